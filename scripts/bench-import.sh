#!/usr/bin/env bash
# Import benchmark (issue 2): `campaign import` of N generated contacts (default 1,000,000) against
#   - sqlite3's own `.import` of the same CSV (no validation at all: the floor), and
#   - a plain Python script doing the same validated work (csv + phonenumbers + sqlite3).
# Prints wall time, CPU time and peak memory of each, and the ratios. Run: scripts/bench-import.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
out=bench-out
mkdir -p "$out"
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 CLI: apt-get install sqlite3" >&2; exit 1; }
python3 -c "import phonenumbers" 2>/dev/null || pip install --quiet phonenumbers
contacts="$out/contacts-$count.csv"
[ -f "$contacts" ] || python3 scripts/bench/gen_contacts.py "$count" "$contacts"
swift build -c release --scratch-path .build-release --product campaign >/dev/null
bin=.build-release/release/campaign
cat > "$out/prompt.txt" <<'PROMPT'
You are Sam from Luigi's Trattoria, confirming a table for [party_size] for [name] on [day] at [time|7pm].
If they cannot make it, offer another day. If you reach voicemail, leave a short message and a call-back number.
PROMPT

# measure NAME COMMAND...: runs once, records "wall user sys maxrss_kb" in $out/NAME.time
measure() {
    local name=$1
    shift
    /usr/bin/time -f "%e %U %S %M" -o "$out/$name.time" "$@" >"$out/$name.log" 2>&1 || {
        echo "$name failed:" >&2
        tail -5 "$out/$name.log" >&2
        exit 1
    }
}

rm -f "$out"/*.db "$out"/*.db-wal "$out"/*.db-shm
measure sqlite3 sqlite3 "$out/sqlite.db" -cmd ".mode csv" ".import $contacts contacts"
measure campaign "$bin" import "$contacts" --prompt "$out/prompt.txt" --db "$out/campaign.db" --skip-invalid \
    --rejects "$out/rejects.csv"
measure python python3 scripts/bench/peer_import.py "$contacts" "$out/prompt.txt" "$out/python.db"

echo "import of $count contacts ($(nproc) cores; $(date -u +%Y-%m-%d))"
printf '%-10s %9s %9s %10s\n' tool "wall s" "cpu s" "peak MB"
for name in sqlite3 campaign python; do
    read -r wall user sys rss <"$out/$name.time"
    printf '%-10s %9.2f %9.2f %10.1f\n' "$name" "$wall" "$(echo "$user + $sys" | bc)" "$(echo "$rss / 1024" | bc -l)"
done
read -r sqlite_wall _ <"$out/sqlite3.time"
read -r campaign_wall _ _ campaign_rss <"$out/campaign.time"
read -r python_wall _ <"$out/python.time"
printf 'campaign / sqlite3 .import: %.2fx (goal <= 3.5x)\n' "$(echo "$campaign_wall / $sqlite_wall" | bc -l)"
printf 'python / campaign:          %.2fx (goal >= 5x)\n' "$(echo "$python_wall / $campaign_wall" | bc -l)"
printf 'campaign peak memory:       %.1f MB (goal < 150 MB)\n' "$(echo "$campaign_rss / 1024" | bc -l)"
echo "campaign: $(tail -1 "$out/campaign.log")"
echo "python:   $(tail -1 "$out/python.log")"
