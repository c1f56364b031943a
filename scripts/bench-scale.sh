#!/usr/bin/env bash
# How many calls can one runner follow at once? `campaign run` with thousands of 30 s calls in flight,
# polling, against `campaign simulator` (and optionally scripts/bench/fake_poku.py), loopback only.
# Not a test: run it by hand after `swift build -c release`; record the figures in scripts/BENCH-RUN.md.
#
#   scripts/bench-scale.sh                                   # 2,000 and 5,000 slots, simulator (about 8 min)
#   SIZES="5000:25000:2.5s" scripts/bench-scale.sh           # one size: slots:calls:poll-interval
#   SERVERS="simulator python-http" scripts/bench-scale.sh   # also against the Python fake
#   CAMPAIGN_BINARY=path KEEP=1 scripts/bench-scale.sh       # KEEP=1 keeps the work folder (ledgers, logs)
#
# Calls last 30 s on average (uniform 15-45 s, seed 1). The poll interval is scaled with the slots so that
# the runner makes about 2,000 status requests a second (5,000 calls / 2.5 s, 2,000 / 1 s). The calls are
# sized so that the queue runs dry after about two minutes; then the last calls are followed to their end.
#
# What it prints, per size:
# - CPU: user + sys of `campaign run` (/usr/bin/time) over its wall time, in cores; the same for the server.
# - Peak memory: the run's max RSS.
# - Utilisation, two ways. `whole run`: sum of call time / (slots x wall), as scripts/bench-run.sh computes
#   it; it includes start-up and the last ~45 s when fewer calls are left than slots, so it cannot reach 0.95
#   on a run this short whatever the runner does. `steady`: the same over the window from the moment every
#   slot was first filled to the last POST (while jobs were queued), from the ledger's exact call intervals
#   (placed at the POST's arrival, lasting its `callSeconds`): how full the runner kept its slots.
# - Refill delay: for every call that ended while jobs were still queued, its end (simulator: POST arrival +
#   callSeconds) to the POST that refilled its slot. A call's end is recorded by the next claim the runner
#   makes after it learns the end (`completed_at`, from `campaign report --json --jobs`), and that claim takes
#   every free slot: the refill is the latest POST of the jobs that claim took (their `last_attempt_at` is the
#   claim's time), so it is exact up to the ledger's millisecond and never early. Split into learning the end
#   (a poll: up to one interval plus jitter) and the rest (claim, commit, POST).
# - The peak of the client's open descriptors (TCP connections, roughly) and threads, sampled every second.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${CAMPAIGN_BINARY:-$ROOT/.build/release/campaign}
WORK=$(mktemp -d /tmp/bench-scale.XXXXXX)
KEY=bench-key
CALL=${CALL:-30s}
# slots:calls:poll-interval
SIZES=${SIZES:-"2000:10000:1s 5000:25000:2.5s"}
SERVERS=${SERVERS:-simulator}
# start_sim, stop_sim, make_contacts
. "$ROOT/scripts/bench/simulator.sh"
cleanup() {
    stop_sim_quietly
    if [ "${KEEP:-0}" = 1 ]; then echo "work folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

ticks() { # $1 pid -> utime+stime in clock ticks
    awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}

echo "campaign: $BIN ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo "machine: $(nproc) cores, $(uname -sr); load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
echo "calls ${CALL} mean (uniform 0.5x-1.5x), one attempt per number; sizes (slots:calls:poll) $SIZES"
echo

ROWS=()
for size in $SIZES; do
    IFS=: read -r slots calls poll <<<"$size"
    make_contacts "$calls"
    for server in $SERVERS; do
        tag="$server-$slots"
        db="$WORK/$tag.db"
        "$BIN" import "$WORK/contacts-$calls.csv" --prompt "$WORK/prompt.txt" --db "$db" >/dev/null
        start_sim "$CALL" "$server"
        load_before=$(cut -d' ' -f1 /proc/loadavg)
        sim_ticks_before=$(ticks "$SIM_PID")
        /usr/bin/time -f "%e %U %S %M" -o "$WORK/time-$tag.txt" env POKU_API_KEY=$KEY "$BIN" run --db "$db" \
            --api-url "$URL" --max-parallel "$slots" --poll-interval "$poll" --max-attempts 1 \
            >"$WORK/run-$tag.log" 2>&1 &
        time_pid=$!
        run_pid=""
        for _ in $(seq 1 100); do
            run_pid=$(pgrep -P "$time_pid" || true)
            [ -n "$run_pid" ] && break
            sleep 0.05
        done
        # Every second: the client's open descriptors and threads, the server's CPU ticks.
        : >"$WORK/samples-$tag.txt"
        while kill -0 "$time_pid" 2>/dev/null; do
            if [ -n "$run_pid" ] && [ -d "/proc/$run_pid" ]; then
                fds=$(find "/proc/$run_pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
                threads=$(awk '/^Threads/ {print $2}' "/proc/$run_pid/status" 2>/dev/null || echo 0)
                echo "$(date +%s.%N) $fds ${threads:-0} $(ticks "$SIM_PID")" >>"$WORK/samples-$tag.txt"
            fi
            sleep 1
        done
        wait "$time_pid" || { echo "campaign run ($tag) failed:" >&2; tail -5 "$WORK/run-$tag.log" >&2; }
        sim_ticks_after=$(ticks "$SIM_PID")
        load_after=$(cut -d' ' -f1 /proc/loadavg)
        curl -s "$URL/_sim/ledger" >"$WORK/ledger-$tag.json"
        stop_sim
        "$BIN" report --db "$db" --json --jobs >"$WORK/report-$tag.json"
        row=$(python3 - "$WORK" "$tag" "$server" "$slots" "$poll" "$sim_ticks_before" "$sim_ticks_after" \
            "$(getconf CLK_TCK)" "$load_before/$load_after" <<'PY'
import json, sys
from datetime import datetime

work, tag, server, slots, poll, t0, t1, hz, load = sys.argv[1:]
slots, hz = int(slots), int(hz)
wall, user, sys_, rss_kb = map(float, open(f"{work}/time-{tag}.txt").read().split()[-4:])

def seconds(stamp):  # ISO-8601 with milliseconds, UTC
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()

ledger = json.load(open(f"{work}/ledger-{tag}.json"))
posts = [e for e in ledger["entries"] if e["method"] == "POST" and e["placed"]]
gets = sum(1 for e in ledger["entries"] if e["method"] == "GET")
first_get = min((seconds(e["time"]) for e in ledger["entries"] if e["method"] == "GET"), default=0)
last_get = max((seconds(e["time"]) for e in ledger["entries"] if e["method"] == "GET"), default=0)
calls = {}  # interactionId -> (placed, ended), simulator time
for e in posts:
    start = seconds(e["time"])
    calls[e["interactionId"]] = (start, start + e["callSeconds"])
busy = sum(end - start for start, end in calls.values())
starts = sorted(start for start, _ in calls.values())

# Steady window: every slot filled once (the slots-th POST) to the last POST (the queue ran dry after it).
lo, hi = starts[min(slots, len(starts)) - 1], starts[-1]
steady = sum(max(0.0, min(end, hi) - max(start, lo)) for start, end in calls.values())
steady_util = steady / (slots * (hi - lo)) if hi > lo else float("nan")

# Refill: the end is recorded by the first claim at or after the client learnt it (completed_at); that
# claim's jobs share its time (last_attempt_at); their latest POST is the refill.
jobs = json.load(open(f"{work}/report-{tag}.json"))["jobs"]
post_of = {j["interaction_id"]: calls[j["interaction_id"]][0] for j in jobs if j["interaction_id"] in calls}
claims = {}
for j in jobs:
    if j["interaction_id"] in post_of:
        claims.setdefault(seconds(j["last_attempt_at"]), []).append(post_of[j["interaction_id"]])
claim_times = sorted(claims)
claim_refill = {t: max(claims[t]) for t in claim_times}
import bisect
delays, learn, rest = [], [], []
for j in jobs:
    call = calls.get(j["interaction_id"])
    if not call or not j["completed_at"]:
        continue
    learnt = seconds(j["completed_at"])
    k = bisect.bisect_left(claim_times, learnt - 0.0005)
    if call[1] > hi or k == len(claim_times):
        continue  # ended after the queue ran dry: nothing to refill its slot with
    refill = claim_refill[claim_times[k]]
    delays.append(refill - call[1])
    learn.append(learnt - call[1])
    rest.append(refill - learnt)

def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")

samples = [line.split() for line in open(f"{work}/samples-{tag}.txt") if line.strip()]
fds = max((int(s[1]) for s in samples), default=0)
threads = max((int(s[2]) for s in samples), default=0)
sim_cores = (int(t1) - int(t0)) / hz / wall
print("|".join([
    server, str(slots), str(len(posts)), poll, load, f"{wall:.0f}", f"{(user + sys_):.1f}",
    f"{(user + sys_) / wall:.2f}", f"{rss_kb / 1024:.0f}", f"{busy / (slots * wall):.3f}", f"{steady_util:.3f}",
    f"{gets / max(1e-9, last_get - first_get):.0f}",
    f"{pct(delays, 0.5):.2f} / {pct(delays, 0.99):.2f} / {max(delays, default=float('nan')):.2f}",
    f"{pct(learn, 0.99):.2f}", f"{pct(rest, 0.5) * 1000:.0f} / {pct(rest, 0.99) * 1000:.0f}",
    str(fds), str(threads), f"{sim_cores:.2f}"]))
PY
)
        ROWS+=("$row")
        echo "$row"
        grep -E "error|warning" "$WORK/run-$tag.log" | head -3 || true
    done
done

echo
echo "| server | slots | calls | poll | load before/after | wall s | CPU s | cores | peak RSS MB | util. whole run | util. steady | status req/s | refill delay p50 / p99 / max s | learning the end p99 s | claim+POST p50 / p99 ms | peak fds | peak threads | server cores |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for row in "${ROWS[@]}"; do echo "| ${row//|/ | } |"; done
