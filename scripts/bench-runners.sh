#!/usr/bin/env bash
# Benchmark: several `campaign run` processes working one campaign on PostgreSQL, against one runner on SQLite (the
# peer) measured in the same run, as ratios; then how fast a dead runner's calls are taken over by another.
#   1. For each global limit (RUNNERS_CASES, slots:calls, default 50:3000 and 500:20000): `campaign run` against
#      `campaign simulator` (calls of 0.5 s, `--wait-for-call-end --max-attempts 1`, as scripts/bench-postgres.sh
#      runs it), one runner on SQLite, then 1, 2 and 4 runners (RUNNERS) on one PostgreSQL database: a fresh database
#      per case with the same contacts, every runner started at once with the same --max-parallel (the campaign's
#      global limit), the case over when the last one exits. "4s" (4 split): 4 runners each also given
#      --local-max-parallel limit/4 (rounded up), which spreads the work over them (without it the first runner to
#      claim takes every slot, and takes each freed one back at once). Slot utilisation = sum of call time / (slots
#      x wall time): call time from the simulator's ledger (each placed call's `callSeconds`), wall time from the
#      first runner's start to the last one's exit. Goal: PostgreSQL (any number of runners) / SQLite >= 0.95.
#      placed/s = calls placed (ledger) / that wall time. CPU = user + system seconds of all the runners together.
#      tail = from the end of the last call (ledger) to the last runner's exit: part of the wall time, and what an
#      idle runner adds (while others have calls in flight it looks again only every 2 s before it may exit).
#      Checked from the ledger: every number placed exactly once (no number placed twice, none left out), and never
#      more calls in progress at once than the limit (the simulator's maxConcurrentCalls); from the database: no
#      job left unfinished, and each runner's share of the attempts.
#   2. Failover: 2 runners at limit 50 with `--lease 3s`, calls of 5 s followed by polling (`--poll-interval
#      200ms`, no --wait-for-call-end), FAILOVER_CALLS contacts. Once the 50 slots are full, the runner with the most
#      calls in flight is killed with SIGKILL (its database session, and with it its liveness lock, ends at once)
#      and, in a second run, frozen with SIGSTOP (its session lives on: its lease decides; it is let go with SIGCONT
#      afterwards, and must find itself reaped). Measured: seconds from the signal until its row is `dead` (reaped;
#      `reaped as` is why, from its ended_reason), and until the other runner owns every one of its calls (no job
#      `dialing` or `in_progress` left with its runner_id, none `in_progress` without an owner). Goal: under twice
#      the lease (6 s). Then the runners finish the campaign; the ledger must show no number placed twice, at most
#      50 calls at once.
#   3. A table of the figures.
#
#   scripts/bench-runners.sh                      # all of it: about 7 minutes on 2 cores
#   RUNNERS_CASES=50:600 RUNNERS="1 2" FAILOVER= scripts/bench-runners.sh        # a quick look
#   FAILOVER=KILL RUNNERS_CASES="" scripts/bench-runners.sh                      # the SIGKILL failover alone
#
# Needs psql, python3 and curl, and the test cluster (started here with scripts/test-postgres.sh start) or any
# server named by CAMPAIGN_BENCH_POSTGRES (an admin URL: the script creates and drops its own databases on it).
# The release build is .build-release in the checkout (BENCH_SCRATCH to change it), built here only when its binary is missing;
# CAMPAIGN_BINARY=path takes that binary instead and builds nothing. BENCH_DIR=folder keeps the logs and ledgers.
set -euo pipefail
cd "$(dirname "$0")/.."
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
command -v psql >/dev/null || { echo "bench-runners: needs psql (scripts/setup.sh installs it)"; exit 1; }
cases="${RUNNERS_CASES-50:3000 500:20000}"
runner_counts="${RUNNERS:-1 2 4 4s}"
failovers="${FAILOVER-KILL STOP}"
failover_calls="${FAILOVER_CALLS:-150}"
if [[ -n "${CAMPAIGN_BENCH_POSTGRES:-}" ]]; then
    admin="$CAMPAIGN_BENCH_POSTGRES"
else
    scripts/test-postgres.sh start >/dev/null
    admin="$(scripts/test-postgres.sh url)"
fi

scratch="${BENCH_SCRATCH:-.build-release}"
if [[ -n "${CAMPAIGN_BINARY:-}" ]]; then
    bin="$CAMPAIGN_BINARY"
else
    bin="$(swift build -c release --build-path "$scratch" --show-bin-path 2>/dev/null)/campaign"
    if [[ ! -x "$bin" ]]; then
        echo "building the release binary in $scratch (several minutes)..."
        mkdir -p "$scratch"
        swift build -c release --product campaign --build-path "$scratch" >"$scratch/bench-build.log" 2>&1 ||
            { tail -20 "$scratch/bench-build.log" >&2; echo "bench-runners: the release build failed" >&2; exit 1; }
    fi
    # Built only when missing: say so when the checkout has changed since.
    if [[ -n "$(find Sources Package.swift -newer "$bin" -print -quit)" ]]; then
        echo "bench-runners: note: $bin is older than some sources" \
            "(to rebuild: swift build -c release --build-path $scratch)"
    fi
fi
[[ -x "$bin" ]] || { echo "bench-runners: no binary at $bin" >&2; exit 1; }

work="${BENCH_DIR:-$(mktemp -d)}"
mkdir -p "$work"
name="campaign_runners_$$"
# For scripts/bench/simulator.sh: the binary, the scratch folder, the simulator's API key.
BIN="$bin" WORK="$work" KEY=bench-key
. scripts/bench/simulator.sh
# The admin URL with database $1 in place of its own (the path before any '?').
db_url() { local base="${admin%%\?*}" query=""; [[ "$admin" == *\?* ]] && query="?${admin#*\?}"; echo "${base%/*}/$1$query"; }
databases=()
RUNNER_PIDS=()
cleanup() {
    local pid
    for pid in "${RUNNER_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    stop_sim_quietly
    for db in "${databases[@]}"; do
        psql -q "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    done
    if [[ -z "${BENCH_DIR:-}" ]]; then rm -rf "$work"; fi
}
trap cleanup EXIT
fresh_db() { # $1 name -> a new empty database of that name on the server
    databases+=("$1")
    psql -q "$admin" -c "CREATE DATABASE $1" >/dev/null
}
drop_db() { psql -q "$admin" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null; }
q() { psql -qtA -F' ' "$@"; } # one query's rows, fields separated by a space

now() { echo "$EPOCHREALTIME"; }
now_ms() { local t=$EPOCHREALTIME; echo $((${t/./} / 1000)); }
calc() { python3 -c "print($1)"; }
# User + system CPU seconds of the children this shell has waited for so far, from the file $1 that bash's `times`
# wrote (its second line). `times` itself must run in the shell that waited, not in a $(...) subshell.
children_cpu() {
    sed -n 2p "$1" | python3 -c '
import re, sys
print(sum(int(m) * 60 + float(s) for m, s in re.findall(r"(\d+)m([\d.]+)s", sys.stdin.read())))'
}

# Once the runners have exited: the simulator's ledger kept in $work/$1, the simulator stopped, and its figures in
# $work/figures.txt: "placed busy_seconds numbers_placed_twice max_concurrent status_requests last_end", last_end the
# end of the last call (epoch seconds). A simulator that exited on its own during the case (it should serve until
# stopped) is a problem ($2 names the case), reported with its exit status; its figures are then zeros.
finish_sim() {
    cp "$work/sim.out" "$work/${1%.json}-sim.out"
    if alive "$SIM_PID" && curl -sf "$URL/_sim/ledger" >"$work/$1"; then
        stop_sim
        python3 - "$work/$1" >"$work/figures.txt" <<'PY'
import collections, datetime, json, sys
ledger = json.load(open(sys.argv[1]))
def at(e): return datetime.datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp()
placed = [e for e in ledger["entries"] if e["method"] == "POST" and e["placed"]]
twice = sum(1 for n in collections.Counter(e["to"] for e in placed).values() if n > 1)
gets = sum(1 for e in ledger["entries"] if e["method"] == "GET")
last_end = max((at(e) + (e.get("callSeconds") or 0) for e in placed), default=0)
print(len(placed), sum(e.get("callSeconds") or 0 for e in placed), twice, ledger["maxConcurrentCalls"], gets, last_end)
PY
    else
        local status=0
        wait "$SIM_PID" 2>/dev/null || status=$?
        SIM_PID=""
        problems+=("$2: the simulator had exited on its own (status $status) before the runners were done; its output:"
            "$work/${1%.json}-sim.out, the runners' logs in $work")
        echo "0 0 0 0 0 0" >"$work/figures.txt"
    fi
}

# Whether process $1 is running (a zombie is not).
alive() { local state; [[ -n "$1" ]] && read -r _ _ state _ <"/proc/$1/stat" 2>/dev/null && [[ $state != Z ]]; }

# Waits for the runners $@ (pids) to exit -> their exit statuses in $work/status.txt. A watchdog kills them
# (SIGKILL) if they are still running after $RUNNER_TIMEOUT seconds (default 900), or as soon as the simulator is
# gone: a hang is reported, not waited out. It sleeps between its checks (one a second), so that nothing but the
# runners uses the CPU during a measurement. RUNNERS_ENDED: when the last of them had exited, taken before the
# watchdog is stopped (it ends only after its current second of sleep, which the wall time must not include).
wait_runners() {
    local pid status statuses="" watchdog
    rm -f "$work/timeout"
    (
        trap 'exit 0' TERM
        for ((t = 0; t < ${RUNNER_TIMEOUT:-900}; t++)); do
            sleep 1
            if ! alive "$SIM_PID"; then
                echo "killed: the simulator exited while they ran" >"$work/timeout"
                kill -9 "$@" 2>/dev/null
                exit 0
            fi
        done
        echo "still running after ${RUNNER_TIMEOUT:-900} s, killed" >"$work/timeout"
        kill -9 "$@" 2>/dev/null
    ) &
    watchdog=$!
    for pid in "$@"; do
        status=0
        wait "$pid" 2>/dev/null || status=$?
        statuses+="$status "
    done
    RUNNERS_ENDED=$(now)
    kill "$watchdog" 2>/dev/null || true
    wait "$watchdog" || true
    RUNNER_PIDS=()
    echo "$statuses" >"$work/status.txt"
    if [[ -f "$work/timeout" ]]; then problems+=("runners $*: $(<"$work/timeout") (logs in $work)"); fi
}

# The columns of the two tables (the same widths for the head and the rows).
run_columns='%5s  %6s  %-10s  %7s  %6s  %6s  %5s  %8s  %7s  %8s  %6s  %4s  %5s  %s'
failover_columns='%-7s  %5s  %8s  %-13s  %7s  %10s  %3s  %5s  %7s  %5s  %5s  %3s  %-7s  %s'
rows=()      # the table of part 1
failrows=()  # the lines of part 2
problems=()  # checks that failed

# One measurement: $1 store (sqlite|postgres), $2 runners, $3 slots, $4 calls -> a row of the table; the SQLite
# one sets base_util.
measure() {
    local store=$1 n=$2 slots=$3 calls=$4 db label i start end wall cpu statuses count=${2%s} split=() shown=$2
    if [[ $n == *s ]]; then
        split=(--local-max-parallel $(((slots + count - 1) / count)))
        shown="$count split"
    fi
    if [[ $store == sqlite ]]; then
        db="$work/run-$slots.db"
        rm -f "$db" "$db-wal" "$db-shm"
        label=SQLite
    else
        fresh_db "${name}_${slots}_$n"
        db="$(db_url "${name}_${slots}_$n")"
        label=PostgreSQL
    fi
    echo "  $label, $shown runner(s)${split[*]:+, ${split[*]} each}..."
    "$bin" import "$work/contacts-$calls.csv" --prompt "$work/prompt.txt" --db "$db" >/dev/null
    start_sim 0.5s
    RUNNER_PIDS=()
    times >"$work/times-before.txt"
    start=$(now)
    for ((i = 1; i <= count; i++)); do
        POKU_API_KEY="$KEY" "$bin" run --db "$db" --api-url "$URL" --max-parallel "$slots" --wait-for-call-end \
            --max-attempts 1 "${split[@]}" >"$work/run-$store-$slots-$n-$i.log" 2>&1 &
        RUNNER_PIDS+=($!)
    done
    RUNNER_TIMEOUT=$(calc "max(120, round(10 * $calls * 0.5 / $slots))") wait_runners "${RUNNER_PIDS[@]}"
    end=$RUNNERS_ENDED
    times >"$work/times-after.txt"
    statuses=$(<"$work/status.txt")
    local placed busy twice maxc gets last_end
    finish_sim "ledger-$store-$slots-$n.json" "$label, $shown runners, limit $slots"
    read -r placed busy twice maxc gets last_end <"$work/figures.txt"
    wall=$(calc "$end - $start")
    cpu=$(calc "$(children_cpu "$work/times-after.txt") - $(children_cpu "$work/times-before.txt")")
    for i in $statuses; do
        [[ $i == 0 ]] ||
            problems+=("$label, $shown runners, limit $slots: a runner exited with status $i (logs in $work)")
    done
    [[ $placed -eq $calls ]] || problems+=("$label, $shown runners, limit $slots: $placed calls placed of $calls")
    [[ $twice -eq 0 ]] || problems+=("$label, $shown runners, limit $slots: $twice numbers placed twice")
    [[ $maxc -le $slots ]] || problems+=("$label, $shown runners, limit $slots: $maxc calls in progress at once")
    local attempts="-" left=0
    if [[ $store == postgres ]]; then
        attempts=$(q "$db" -c "SELECT string_agg(c::text, '/' ORDER BY r) FROM
            (SELECT runner_id r, count(*) c FROM attempts GROUP BY runner_id) s")
        left=$(q "$db" -c "SELECT count(*) FROM jobs WHERE status IN ('queued', 'dialing', 'in_progress', 'unknown')")
        [[ $left -eq 0 ]] || problems+=("$label, $shown runners, limit $slots: $left jobs left unfinished")
        drop_db "${name}_${slots}_$n"
    fi
    local util ratio met=-
    util=$(calc "$busy / ($slots * $wall)")
    [[ $store == sqlite ]] && base_util=$util
    ratio=$(calc "$util / $base_util if $base_util else float('nan')")
    [[ $store == postgres ]] && met=$(calc "'yes' if float('$ratio') >= 0.95 else 'no'")
    rows+=("$(printf "$run_columns" "$slots" "$calls" "$label" "$shown" "$(printf %.1f "$wall")" \
        "$(printf %.2f "$(calc "$end - $last_end")")" "$(printf %.3f "$util")" "$(printf %.3f "$ratio")" "$met" \
        "$(printf %.0f "$(calc "$placed / $wall")")" "$(printf %.1f "$cpu")" "$maxc" "$twice" "$attempts")")
    echo "    wall ${wall:0:5} s, utilisation ${util:0:5}, max concurrent $maxc, numbers placed twice $twice"
}

for case in $cases; do
    IFS=: read -r slots calls <<<"$case"
    echo "limit $slots, $calls calls of 0.5 s:"
    make_contacts "$calls"
    base_util=""
    measure sqlite 1 "$slots" "$calls"
    for n in $runner_counts; do measure postgres "$n" "$slots" "$calls"; done
done

# Part 2. $1 KILL or STOP.
failover() {
    local signal=$1 lease=3 limit=50 db dbname i
    dbname="${name}_failover_${signal,,}"
    fresh_db "$dbname"
    db="$(db_url "$dbname")"
    echo "failover, SIG$signal..."
    make_contacts "$failover_calls"
    "$bin" import "$work/contacts-$failover_calls.csv" --prompt "$work/prompt.txt" --db "$db" >/dev/null
    start_sim 5s
    RUNNER_PIDS=()
    for i in 1 2; do
        POKU_API_KEY="$KEY" "$bin" run --db "$db" --api-url "$URL" --max-parallel "$limit" --lease "${lease}s" \
            --poll-interval 200ms --max-attempts 1 >"$work/failover-${signal,,}-$i.log" 2>&1 &
        RUNNER_PIDS+=($!)
    done
    local pids=("${RUNNER_PIDS[@]}") deadline in_flight
    # The limit full: every slot holds a placed call.
    deadline=$(($(now_ms) + 30000))
    while :; do
        in_flight=$(q "$db" -c "SELECT count(*) FROM jobs WHERE status = 'in_progress'" 2>/dev/null || echo 0)
        [[ ${in_flight:-0} -ge $limit ]] && break
        (($(now_ms) > deadline)) && { echo "bench-runners: the runners never filled the $limit slots" >&2; exit 1; }
        sleep 0.1
    done
    # The victim: the live runner with the most calls in flight; the calls it held, and the other runner.
    local victim vpid vcalls other
    read -r victim vpid vcalls < <(q "$db" -c "SELECT r.id, r.pid, count(j.id) FROM runners r
        LEFT JOIN jobs j ON j.runner_id = r.id AND j.status IN ('dialing', 'in_progress')
        WHERE r.state = 'running' GROUP BY r.id, r.pid ORDER BY 3 DESC, 1 LIMIT 1")
    other=$(q "$db" -c "SELECT id FROM runners WHERE state = 'running' AND id <> $victim")
    if [[ " ${pids[*]} " != *" $vpid "* ]]; then
        echo "bench-runners: runner $victim's pid $vpid is not one of ours" >&2
        exit 1
    fi
    local held
    held=$(q "$db" -c "SELECT coalesce(string_agg(id::text, ','), '0') FROM jobs WHERE runner_id = $victim
        AND status IN ('dialing', 'in_progress')")
    local t0 t reaped="" adopted="" state owned orphans
    t0=$(now_ms)
    kill "-$signal" "$vpid"
    # Reaped by this shell at once (bash would otherwise report its death on the terminal later).
    local vstatus=""
    if [[ $signal == KILL ]]; then
        vstatus=0
        wait "$vpid" 2>/dev/null || vstatus=$?
    fi
    deadline=$((t0 + 60000))
    while :; do
        read -r state owned orphans < <(q "$db" -c "SELECT state,
            (SELECT count(*) FROM jobs WHERE runner_id = $victim AND status IN ('dialing', 'in_progress')),
            (SELECT count(*) FROM jobs WHERE status = 'in_progress' AND runner_id IS NULL)
            FROM runners WHERE id = $victim")
        t=$(now_ms)
        [[ $state == dead && -z $reaped ]] && reaped=$(calc "($t - $t0) / 1000")
        if [[ $state == dead && $owned -eq 0 && $orphans -eq 0 ]]; then
            adopted=$(calc "($t - $t0) / 1000")
            break
        fi
        ((t > deadline)) && break
        sleep 0.05
    done
    local taken unknown ended why
    why=$(q "$db" -c "SELECT CASE WHEN ended_reason LIKE '%session ended%' THEN 'session-ended'
        WHEN ended_reason LIKE '%lease expired%' THEN 'lease-expired' ELSE coalesce(ended_reason, '-') END
        FROM runners WHERE id = $victim")
    read -r taken unknown ended < <(q "$db" -c "SELECT count(*) FILTER (WHERE j.runner_id = $other),
        count(*) FILTER (WHERE j.status = 'unknown'),
        count(*) FILTER (WHERE j.runner_id = $victim AND j.status NOT IN ('dialing', 'in_progress', 'unknown'))
        FROM jobs j WHERE j.id IN ($held)")
    # The campaign finished by the runner left (and the frozen one let go, which must find itself reaped and exit).
    local survivor statuses placed busy twice maxc gets last_end outcome
    survivor=${pids[0]}
    [[ $survivor == "$vpid" ]] && survivor=${pids[1]}
    if [[ $signal == STOP ]]; then
        kill -CONT "$vpid"
        RUNNER_TIMEOUT=180 wait_runners "$vpid" "$survivor"
        statuses=$(<"$work/status.txt")
    else
        RUNNER_TIMEOUT=180 wait_runners "$survivor"
        statuses="$vstatus $(<"$work/status.txt")"
    fi
    finish_sim "ledger-failover-${signal,,}.json" "failover SIG$signal"
    read -r placed busy twice maxc gets last_end <"$work/figures.txt"
    outcome=$(q "$db" -c "SELECT string_agg(status || ' ' || c, ', ' ORDER BY status) FROM
        (SELECT status, count(*) c FROM jobs GROUP BY status) s")
    [[ $twice -eq 0 ]] || problems+=("failover SIG$signal: $twice numbers placed twice")
    [[ $maxc -le $limit ]] || problems+=("failover SIG$signal: $maxc calls in progress at once (limit $limit)")
    [[ -n $adopted ]] || problems+=("failover SIG$signal: runner $victim's calls not taken over within 60 s")
    local met=no
    [[ -n $adopted ]] && (($(calc "int($adopted < 2 * $lease)"))) && met=yes
    failrows+=("$(printf "$failover_columns" "SIG$signal" "${lease}s" \
        "${reaped:+$(printf '%.2f' "$reaped")}" "$why" "${adopted:+$(printf '%.2f' "$adopted")}" "$met" "$vcalls" "$taken" \
        "$unknown" "$ended" "$twice" "$maxc" "$(echo $statuses | tr ' ' /)" "$outcome")")
    echo "  reaped after ${reaped:-never} s, all taken over after ${adopted:-never} s"
    drop_db "$dbname"
}

for signal in $failovers; do failover "$signal"; done

echo
echo "=== bench-runners: checkout $(git rev-parse --short HEAD), binary $bin of $(date -u -r "$bin" +%Y-%m-%dT%H:%MZ)," \
    "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load (1, 5, 15 min) at the start $load_start, at the end" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
if [[ ${#rows[@]} -gt 0 ]]; then
    echo "campaign run, calls of 0.5 s, --wait-for-call-end --max-attempts 1; the limit is --max-parallel, global:"
    printf "$run_columns\n" limit calls store runners "wall s" "tail s" util "/ SQLite" ">= 0.95" placed/s "CPU s" max \
        twice "attempts by runner"
    printf '%s\n' "${rows[@]}"
    echo "util = sum of call time / (limit x wall), wall from the first start to the last exit; / SQLite: goal >= 0.95;"
    echo "tail = from the end of the last call (ledger) to the last exit; placed/s = calls placed (ledger) / wall;"
    echo "CPU = user + system s of all runners; max = most calls in progress at once (ledger, never above the limit);"
    echo "twice = numbers placed more than once (must be 0); attempts by runner: the attempts rows per runner_id."
    echo "4 split: 4 runners, each also given --local-max-parallel limit/4 (rounded up)."
fi
if [[ ${#failrows[@]} -gt 0 ]]; then
    echo "failover: 2 runners, --max-parallel 50, calls of 5 s polled every 200 ms, $failover_calls contacts; the runner"
    echo "with the most calls in flight signalled once the 50 slots are full (SIGSTOP: SIGCONT after the takeover):"
    printf "$failover_columns\n" signal lease "reaped s" "reaped as" "taken s" "< 2x lease" its taken unknown ended twice max exits \
        "jobs at the end"
    printf '%s\n' "${failrows[@]}"
    echo "reaped s / taken s: from the signal until its row was 'dead' / until no job was 'dialing' or 'in_progress'"
    echo "with its runner_id and none 'in_progress' without one: goal under twice the lease (6 s). its = its calls"
    echo "in flight at the signal: taken (now the other runner's), unknown ('dialing' when it died), ended before."
    echo "reaped as: why its row says it was reaped (its database session ended, or its lease expired)."
fi
if [[ ${#problems[@]} -gt 0 ]]; then
    echo "PROBLEMS:"
    printf '  %s\n' "${problems[@]}"
    exit 1
fi
