#!/usr/bin/env bash
# Benchmark: campaign on PostgreSQL against psql's own COPY, in the same run, as ratios.
#   1. `campaign import` of N generated contacts (scripts/bench/gen_contacts.py) into a fresh database, against
#      `psql \copy` of the same CSV into a plain table with the same columns (the floor). Goal: <= 3x.
#   2. `campaign report --csv` of those N jobs, against `psql \copy (SELECT <the same columns>) TO` a file.
#      Goal: <= 2x.
#   3. `campaign run` at 50 slots against `campaign simulator` (3,000 calls of 0.5 s, `--wait-for-call-end`: the
#      default 50-slot case of scripts/bench-run.sh, about 30 s a run), on PostgreSQL and on SQLite: slot
#      utilisation (sum of call time / (slots x wall time), from the simulator's ledger) on each, and their ratio.
#      Goal: PostgreSQL / SQLite >= 0.98.
#
#   scripts/bench-postgres.sh [rows]     (default 1000000)
#   RUN_CASE=50:600 scripts/bench-postgres.sh 10000        # a quick look: slots:calls of the run comparison
#
# Needs the test cluster (scripts/test-postgres.sh start) or any server named by CAMPAIGN_BENCH_POSTGRES (an admin
# URL: the script creates and drops its own database on it), psql and python3. The release build goes to
# /work/.build-rel-pg (BENCH_SCRATCH to change it), apart from the debug build of the checkout; CAMPAIGN_BINARY=path
# takes that binary instead and builds nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
rows="${1:-1000000}"
command -v psql >/dev/null || { echo "bench-postgres: needs psql (apt-get install -y postgresql-client)"; exit 1; }
admin="${CAMPAIGN_BENCH_POSTGRES:-$(scripts/test-postgres.sh url)}"
scratch="${BENCH_SCRATCH:-/work/.build-rel-pg}"

if [[ -n "${CAMPAIGN_BINARY:-}" ]]; then
    bin="$CAMPAIGN_BINARY"
else
    swift build -c release --product campaign --scratch-path "$scratch" >/dev/null 2>&1
    bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path 2>/dev/null)/campaign"
fi
work="${BENCH_DIR:-$(mktemp -d)}"
mkdir -p "$work"
name="campaign_bench_$$"
# For scripts/bench/simulator.sh: the binary, the scratch folder, the simulator's API key.
BIN="$bin" WORK="$work" KEY=bench-key
. scripts/bench/simulator.sh
. scripts/bench/timing.sh
# The admin URL with the bench database in place of its own (the path before any '?').
db_url() { local base="${admin%%\?*}" query=""; [[ "$admin" == *\?* ]] && query="?${admin#*\?}"; echo "${base%/*}/$1$query"; }
db="$(db_url "$name")"
floor="$(db_url "${name}_floor")"
cleanup() {
    stop_sim_quietly
    psql -q "$admin" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "DROP DATABASE IF EXISTS ${name}_floor WITH (FORCE)" \
        -c "DROP DATABASE IF EXISTS ${name}_run WITH (FORCE)" >/dev/null 2>&1 || true
    [[ -z "${BENCH_DIR:-}" ]] && rm -rf "$work"
}
trap cleanup EXIT
psql -q "$admin" -c "CREATE DATABASE $name" -c "CREATE DATABASE ${name}_floor" -c "CREATE DATABASE ${name}_run" >/dev/null

echo "generating $rows contacts..."
python3 scripts/bench/gen_contacts.py "$rows" "$work/contacts.csv"
cat >"$work/prompt.txt" <<'PROMPT'
You are Sam from Luigi's Trattoria, confirming a table for [party_size] for [name] on [day] at [time|7pm].
If they cannot make it, offer another day. If you reach voicemail, leave a short message and a call-back number.
PROMPT


# The floor of the import: the CSV's bytes into a table with the jobs' columns, by the server's own COPY.
psql -q "$floor" >/dev/null <<'SQL'
CREATE TABLE contacts (name text COLLATE "C", phone text COLLATE "C", day text COLLATE "C", time text COLLATE "C",
    party_size text COLLATE "C", notes text COLLATE "C");
SQL
copy_in() { psql -q "$floor" -c "\\copy contacts FROM '$work/contacts.csv' WITH (FORMAT csv, HEADER true)" >/dev/null; }
campaign_import() { "$bin" import "$work/contacts.csv" --prompt "$work/prompt.txt" --db "$db" --name bench --skip-invalid \
    --rejects "$work/rejects.csv" >/dev/null; }

t_floor=$(time_of copy_in)
t_import=$(time_of campaign_import)
queued=$(psql -qtA "$db" -c "SELECT COUNT(*) FROM jobs")
[[ "$queued" -gt 0 ]] || { echo "bench-postgres: the import stored no job" >&2; exit 1; }
# What autovacuum would soon do on its own, done now and untimed, so that it does not run during the measurements
# below and both exports get the plan of an analysed table (an index scan in id order instead of a sort).
psql -q "$db" -c "VACUUM ANALYZE jobs" >/dev/null

columns="row_csv, phone_e164, status, outcome, attempts, interaction_id, summary, recording_url, error, \
last_attempt_at, completed_at"
copy_out() {
    psql -q "$db" -c "\\copy (SELECT $columns FROM jobs WHERE campaign_id = 1 ORDER BY id) TO '$work/psql.csv' WITH (FORMAT csv)" \
        >/dev/null
}
campaign_csv() { "$bin" report --db "$db" --csv "$work/campaign.csv" >/dev/null; }
t_copy_out=$(best copy_out)
t_report=$(best campaign_csv)
lines=$(($(wc -l <"$work/psql.csv")))

printf 'rows:                              %d (%d queued jobs; %d lines in the psql CSV)\n' "$rows" "$queued" "$lines"
printf 'psql \\copy contacts FROM csv:      %.2fs\n' "$t_floor"
printf 'campaign import:                   %.2fs  ratio %.2fx  (goal <= 3x)\n' "$t_import" \
    "$(echo "$t_import / $t_floor" | bc -l)"
printf 'psql \\copy (SELECT ...) TO csv:    %.2fs\n' "$t_copy_out"
printf 'campaign report --csv:             %.2fs  ratio %.2fx  (goal <= 2x)\n' "$t_report" \
    "$(echo "$t_report / $t_copy_out" | bc -l)"
peak=$(/usr/bin/time -f %M "$bin" report --db "$db" --csv "$work/campaign.csv" 2>&1 >/dev/null | tail -1 || true)
[[ -n "$peak" ]] && printf 'peak memory of report --csv:       %d MB\n' $((peak / 1024))

# The run on each backend: a fresh simulator with the same seed (the same calls), a fresh database.
IFS=: read -r slots calls <<<"${RUN_CASE:-50:3000}"
make_contacts "$calls"
utilisation_on() { # $1 database -> "utilisation wall_s peak_MB" in $work/util.txt
    "$bin" import "$work/contacts-$calls.csv" --prompt "$work/prompt.txt" --db "$1" >/dev/null
    start_sim 0.5s
    /usr/bin/time -f "%e %M" -o "$work/run-time.txt" env POKU_API_KEY="$KEY" "$bin" run --db "$1" --api-url "$URL" \
        --max-parallel "$slots" --wait-for-call-end --max-attempts 1 >"$work/run.log" 2>&1 \
        || { echo "bench-postgres: campaign run on $1 failed:" >&2; tail -5 "$work/run.log" >&2; exit 1; }
    local wall rss placed busy
    read -r wall rss <"$work/run-time.txt"
    read -r placed busy _ < <(ledger_busy)
    stop_sim
    [[ "$placed" -eq "$calls" ]] || { echo "bench-postgres: $placed calls placed of $calls" >&2; exit 1; }
    python3 -c "print(f'{$busy / ($slots * $wall):.4f} $wall {$rss / 1024:.0f}')" >"$work/util.txt"
}
utilisation_on "$(db_url "${name}_run")"
read -r util_pg wall_pg rss_pg <"$work/util.txt"
utilisation_on "$work/run.db"
read -r util_sqlite wall_sqlite rss_sqlite <"$work/util.txt"
printf 'campaign run, %d slots, %d calls of 0.5 s (--wait-for-call-end), slot utilisation:\n' "$slots" "$calls"
printf '  on PostgreSQL:                   %.3f  (%.1fs, %d MB)\n' "$util_pg" "$wall_pg" "$rss_pg"
printf '  on SQLite:                       %.3f  (%.1fs, %d MB)\n' "$util_sqlite" "$wall_sqlite" "$rss_sqlite"
printf '  PostgreSQL / SQLite:             %.3f  (goal >= 0.98)\n' "$(echo "$util_pg / $util_sqlite" | bc -l)"
echo "commit $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ), load (1, 5, 15 min) at the start $load_start," \
    "at the end $(cut -d' ' -f1-3 /proc/loadavg)"
