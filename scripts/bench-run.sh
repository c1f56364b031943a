#!/usr/bin/env bash
# Benchmark of `campaign run` against a thread-pool peer (scripts/peer_run.py), both driving the same
# server (loopback only) with the same poll interval. Not a test: run it by hand after
# `swift build -c release`, and record the figures in scripts/BENCH-RUN.md.
#
# Every case runs against two servers (SERVERS): `simulator` (`campaign simulator`, SwiftNIO, which writes
# each answer in one send) and `python-http` (scripts/bench/fake_poku.py: Python's `http.server`, HTTP/1.1
# keep-alive, head and body in two sends with Nagle on, as many frameworks do).
#
#   scripts/bench-run.sh            # all of it (about 30 minutes)
#   MODES=wait CASES="500:30000" TOOLS=campaign SERVERS=simulator MEMORY=0 scripts/bench-run.sh   # one row
#   CAMPAIGN_BINARY=path scripts/bench-run.sh
#
# Slot utilisation = sum of call time / (slots x wall time). Call time comes from the simulator's ledger:
# every POST that placed a call carries `callSeconds`, the call's length from placement to its end, so it is
# exact, not calls x mean. Wall time is the whole process (start-up included) as /usr/bin/time sees it.
# Each measurement gets a fresh simulator with the same seed, so both tools see the same calls.
#
# Modes: `wait` holds each POST open until its call ends (`--wait-for-call-end`), so a slot is free the
# moment its call ends; `pollN` polls every N ms (+-20 % jitter), so a slot is free on average about N/2 ms
# after its call ended: with 0.5 s calls poll100 cannot pass about 0.9 for any tool. poll20 is the default
# `--poll-interval 5s` scaled to the benchmark's calls (5 s on a 2-minute call is 20 ms on a 0.5 s one).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${CAMPAIGN_BINARY:-$ROOT/.build/release/campaign}
PEER="$ROOT/scripts/peer_run.py"
WORK=$(mktemp -d /tmp/bench-run.XXXXXX)
KEY=bench-key
CALL=${CALL:-0.5s}
# max-parallel:calls; sized so each run takes about 30 s at 0.5 s calls, so that the last half-second (when
# fewer jobs are left than slots) weighs about 1 % at every size.
CASES=${CASES:-"5:300 50:3000 500:30000"}
# Polling modes at 500 slots are bound by the two cores (each call is 1 POST and 5 to 25 polls, on both sides
# of the loopback), so they get fewer calls there to keep the run short.
POLL_CASES=${POLL_CASES:-"5:300 50:3000 500:10000"}
MODES=${MODES:-"wait poll20 poll100"}
# TOOLS: which of the two to measure (both by default); MEMORY=0 skips the memory-against-size table.
TOOLS=${TOOLS:-"campaign python"}
SERVERS=${SERVERS:-"simulator python-http"}
MEMORY=${MEMORY:-1}
# start_sim, stop_sim, make_contacts, ledger_busy
. "$ROOT/scripts/bench/simulator.sh"
trap 'stop_sim_quietly; rm -rf "$WORK"' EXIT

ROWS=()
measure() { # $1 tool $2 server $3 mode $4 slots $5 calls, command in the rest
    local tool=$1 server=$2 mode=$3 slots=$4 calls=$5
    shift 5
    local log="$WORK/$tool-$server-$mode-$slots.log"
    /usr/bin/time -f "%e %U %S %M" -o "$WORK/time.txt" "$@" >"$log" 2>&1 || {
        echo "$tool ($server, $mode) at $slots slots failed:" >&2
        tail -5 "$log" >&2
    }
    read -r wall user sys rss_kb < <(tail -1 "$WORK/time.txt")
    read -r placed busy gets < <(ledger_busy)
    local row
    row=$(python3 -c "
wall, user, sys_, rss, placed, busy, gets, slots = $wall, $user, $sys, $rss_kb, $placed, $busy, $gets, $slots
print(f'$tool|$server|$mode|{slots}|{placed}|{wall:.1f}|{busy / (slots * wall):.3f}|{gets}|'
      f'{(user + sys_) * 10000 / max(placed, 1):.1f}|{rss / 1024:.0f}')")
    ROWS+=("$row")
    echo "$row"
}

echo "campaign: $BIN"
echo "machine: $(nproc) cores, $(uname -sr); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "calls ${CALL} mean (uniform 0.5x-1.5x); one attempt per number; modes: $MODES; servers: $SERVERS"
echo
for mode in $MODES; do
    case $mode in
    wait) RUN_MODE=(--wait-for-call-end) PEER_MODE=(--wait-for-call-end) ;;
    poll*)
        ms=${mode#poll}
        RUN_MODE=(--poll-interval "${ms}ms") PEER_MODE=(--poll-interval "$(python3 -c "print($ms / 1000)")")
        ;;
    *) echo "unknown mode $mode: wait or pollN (N ms)" >&2; exit 2 ;;
    esac
    cases=$CASES
    [ "$mode" = wait ] || cases=$POLL_CASES
    for case in $cases; do
        slots=${case%%:*}
        calls=${case##*:}
        make_contacts "$calls"
        for server in $SERVERS; do
            for tool in $TOOLS; do
                start_sim "$CALL" "$server"
                if [ "$tool" = campaign ]; then
                    db="$WORK/c-$server-$mode-$slots.db"
                    "$BIN" import "$WORK/contacts-$calls.csv" --prompt "$WORK/prompt.txt" --db "$db" >/dev/null
                    measure campaign "$server" "$mode" "$slots" "$calls" env POKU_API_KEY=$KEY "$BIN" run \
                        --db "$db" --api-url "$URL" --max-parallel "$slots" "${RUN_MODE[@]}" --max-attempts 1
                else
                    measure python "$server" "$mode" "$slots" "$calls" python3 "$PEER" --api-url "$URL" \
                        --api-key "$KEY" --numbers "$WORK/numbers-$calls.txt" --max-parallel "$slots" \
                        "${PEER_MODE[@]}"
                fi
                stop_sim
            done
        done
    done
done

echo
echo "| tool | server | mode | slots | calls | wall s | utilisation | status requests | CPU s / 10k calls | peak RSS MB |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for row in "${ROWS[@]}"; do echo "|${row//|/ | }|" | sed 's/^|/| /; s/|$/ |/'; done
echo
echo "Ratios campaign / python peer:"
echo
echo "| server | mode | slots | utilisation | status requests | CPU per call |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}" | python3 -c '
import sys
rows = {}
for line in sys.stdin:
    tool, server, mode, slots, calls, wall, util, gets, cpu, rss = line.strip().split("|")
    rows[(tool, server, mode, slots)] = (float(util), int(gets), float(cpu))
for (tool, server, mode, slots), (util, gets, cpu) in rows.items():
    peer = rows.get(("python", server, mode, slots))
    if tool == "campaign" and peer:
        polls = f"{gets} / {peer[1]} = {gets / peer[1]:.2f}x" if peer[1] else "-"
        print(f"| {server} | {mode} | {slots} | {util:.3f} / {peer[0]:.3f} = {util / peer[0]:.2f}x | {polls} | "
              f"{cpu / peer[2]:.2f}x |")'

[ "$MEMORY" = 1 ] || exit 0
# Memory against campaign size: the same 20 s of dialling (50 ms calls, 50 slots) on a 1,000-job and a
# 100,000-job campaign; the run is stopped with SIGINT (it exits 130, resumable) and its peak RSS read.
echo
echo "| jobs in campaign | import s | calls placed in 20 s | peak RSS MB of run |"
echo "|---|---|---|---|"
for jobs in 1000 100000; do
    make_contacts "$jobs"
    db="$WORK/m-$jobs.db"
    start=$(date +%s.%N)
    "$BIN" import "$WORK/contacts-$jobs.csv" --prompt "$WORK/prompt.txt" --db "$db" >/dev/null
    imported=$(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')")
    start_sim 50ms
    /usr/bin/time -f "%e %U %S %M" -o "$WORK/time.txt" env POKU_API_KEY=$KEY timeout -s INT 20 "$BIN" run \
        --db "$db" --api-url "$URL" --max-parallel 50 --poll-interval 20ms --max-attempts 1 --grace-period 2s \
        >"$WORK/mem-$jobs.log" 2>&1 || true
    read -r wall user sys rss_kb < <(tail -1 "$WORK/time.txt")
    read -r placed busy gets < <(ledger_busy)
    stop_sim
    echo "| $jobs | $imported | $placed | $((rss_kb / 1024)) |"
done
