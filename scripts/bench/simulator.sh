# Sourced by the benchmarks that drive `campaign run` (bench-run.sh, bench-scale.sh, bench-postgres.sh): start and
# stop the server the runner calls, generate its contacts, read the server's ledger. The caller sets BIN (the
# campaign binary), WORK (a scratch folder) and KEY (the API key), and stops a server left running on exit
# (`stop_sim_quietly` in its EXIT trap).
#
# The servers: `simulator` (`campaign simulator`, SwiftNIO, which writes each answer in one send) and `python-http`
# (scripts/bench/fake_poku.py: Python's `http.server`, HTTP/1.1 keep-alive, head and body in two sends with Nagle
# on). Both take the same seed, so every measurement that starts one afresh sees the same calls.

SIM_PID=""
SIM_SIGNAL=INT
URL=""

start_sim() { # $1 mean call duration, $2 server (simulator by default) -> SIM_PID, URL
    case ${2:-simulator} in
    simulator) "$BIN" simulator --port 0 --seed 1 --call-duration "$1" --api-key "$KEY" >"$WORK/sim.out" 2>&1 & ;;
    python-http)
        python3 "$(dirname "${BASH_SOURCE[0]}")/fake_poku.py" --port 0 --seed 1 --call-duration "$1" --api-key "$KEY" \
            >"$WORK/sim.out" 2>&1 &
        ;;
    *) echo "unknown server $2: simulator or python-http" >&2; exit 2 ;;
    esac
    SIM_PID=$!
    SIM_SIGNAL=INT
    [ "${2:-simulator}" = simulator ] || SIM_SIGNAL=TERM
    for _ in $(seq 1 200); do
        URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$WORK/sim.out")
        [ -n "$URL" ] && return 0
        sleep 0.05
    done
    echo "the server did not start" >&2
    exit 1
}

# SIGINT stops the simulator cleanly; Python dies of it, and bash would then take the SIGINT for its own.
stop_sim() { kill "-$SIM_SIGNAL" "$SIM_PID"; wait "$SIM_PID" || true; SIM_PID=""; }

# For an EXIT trap: stops the server if one is still running.
stop_sim_quietly() { if [ -n "$SIM_PID" ]; then kill "-$SIM_SIGNAL" "$SIM_PID" 2>/dev/null || true; fi; }

make_contacts() { # $1 count -> $WORK/contacts-N.csv, numbers-N.txt (valid US numbers, never dialled), prompt.txt
    python3 - "$1" "$WORK" <<'PY'
import sys
n, work = int(sys.argv[1]), sys.argv[2]
numbers = [f"+1415{2000000 + i:07d}" for i in range(n)]
with open(f"{work}/contacts-{n}.csv", "w") as f:
    f.write("name,phone\n")
    f.writelines(f"Guest {i},{number}\n" for i, number in enumerate(numbers))
with open(f"{work}/numbers-{n}.txt", "w") as f:
    f.writelines(number + "\n" for number in numbers)
PY
    echo "Hi [name], this is the benchmark." >"$WORK/prompt.txt"
}

# The server's ledger -> "calls busy_seconds status_requests". Every POST that placed a call carries `callSeconds`,
# the call's length from placement to its end, so the busy time is exact, not calls x mean.
ledger_busy() {
    curl -s "$URL/_sim/ledger" | python3 -c '
import json, sys
ledger = json.load(sys.stdin)
placed = [e for e in ledger["entries"] if e["method"] == "POST" and e["placed"]]
gets = sum(1 for e in ledger["entries"] if e["method"] == "GET")
print(len(placed), sum(e.get("callSeconds") or 0 for e in placed), gets)'
}
