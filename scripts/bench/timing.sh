# Sourced by the benchmarks that time whole commands against a peer (bench-report.sh, bench-postgres.sh).

# Seconds `"$@"` took, wall clock, to the nanosecond.
time_of() { local start end; start=$(date +%s.%N); "$@"; end=$(date +%s.%N); echo "$end - $start" | bc; }

# The shortest of 3 runs of `"$@"`, in seconds.
best() {
    local best="" t
    for _ in 1 2 3; do
        t=$(time_of "$@")
        if [[ -z "$best" ]] || (( $(echo "$t < $best" | bc) )); then best=$t; fi
    done
    echo "$best"
}
