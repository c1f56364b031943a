#!/usr/bin/env bash
# Benchmark: `campaign report --csv` over 1,000,000 jobs against sqlite3's own CSV output of the same
# columns of the same table. Goal: within 2x of sqlite3. Prints both times and the ratio.
#
#   scripts/bench-report.sh [rows]        (default 1000000; needs sqlite3 and a release build)
#
# The database is created by the binary (a 3-row import, so the schema and campaign are the real ones),
# then filled with sqlite3 directly: importing a million rows through `campaign import` would measure
# the importer, not the report. Result columns are filled as a finished campaign has them.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench/timing.sh
rows="${1:-1000000}"
command -v sqlite3 >/dev/null || { echo "bench-report: needs sqlite3 (apt-get install -y sqlite3)"; exit 1; }

swift build -c release --product campaign >/dev/null 2>&1
bin="$(swift build -c release --show-bin-path 2>/dev/null)/campaign"
work="${BENCH_DIR:-$(mktemp -d)}"
mkdir -p "$work"
trap '[[ -z "${BENCH_DIR:-}" ]] && rm -rf "$work"' EXIT
db="$work/bench.db"
rm -f "$db" "$db-wal" "$db-shm"

printf 'name,phone,day,time,party_size,notes\nSeed,+1 415 555 0100,Friday,7pm,2,seed\n' >"$work/seed.csv"
printf 'Hi [name], your table for [party_size] on [day] at [time].\n' >"$work/prompt.txt"
"$bin" import "$work/seed.csv" --prompt "$work/prompt.txt" --db "$db" --name bench >/dev/null

echo "filling $rows jobs..."
sqlite3 "$db" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
DELETE FROM jobs;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
INSERT INTO jobs (campaign_id, import_id, source_line, row_csv, phone_e164, prompt, status, attempts,
    interaction_id, outcome, summary, recording_url, error, last_attempt_at, completed_at, created_at, updated_at)
SELECT 1, 1, i + 1,
    'Contact ' || i || ',+1 415 ' || printf('%07d', i) || ',Friday,7pm,' || (i % 8 + 1)
        || CASE WHEN i % 5 = 0 THEN ',"window seat, if possible"' ELSE ',' END,
    '+1415' || printf('%07d', i),
    'Hi Contact ' || i || ', your table for 2 on Friday at 7pm.',
    CASE WHEN i % 10 < 8 THEN 'completed' ELSE 'failed' END,
    1 + i % 3,
    'int_' || hex(randomblob(8)),
    CASE i % 4 WHEN 0 THEN 'voicemail' WHEN 1 THEN 'no_answer' ELSE 'answered' END,
    'The customer confirmed the reservation for ' || (i % 8 + 1) || ' people, and asked about parking.',
    'https://recordings.example/' || i || '.mp3',
    NULL,
    '2026-11-24T16:20:00.000Z', '2026-11-24T16:21:30.000Z', '2026-11-24T16:00:00.000Z', '2026-11-24T16:21:30.000Z'
FROM n;
SQL

columns="row_csv, phone_e164, status, outcome, attempts, interaction_id, summary, recording_url, error, \
last_attempt_at, completed_at"

# Warm the page cache so neither side pays for the first read from disk.
sqlite3 "$db" "SELECT COUNT(*) FROM jobs" >/dev/null
sqlite_csv() { sqlite3 -csv "$db" "SELECT $columns FROM jobs WHERE campaign_id = 1 ORDER BY id" >"$work/sqlite.csv"; }
campaign_csv() { "$bin" report --db "$db" --csv "$work/campaign.csv" >/dev/null; }
campaign_summary() { "$bin" report --db "$db" >/dev/null; }
campaign_raw() { "$bin" report --db "$db" --csv "$work/campaign-raw.csv" --raw >/dev/null; }

t_sqlite=$(best sqlite_csv)
t_safe=$(best campaign_csv)
t_raw=$(best campaign_raw)
t_summary=$(best campaign_summary)
lines=$(($(wc -l <"$work/campaign.csv") - 1))
[[ "$lines" == "$rows" ]] || { echo "bench-report: expected $rows rows, got $lines" >&2; exit 1; }

printf 'rows:                           %d\n' "$rows"
printf 'sqlite3 -csv:                   %.2fs  (%d MB)\n' "$t_sqlite" $(($(wc -c <"$work/sqlite.csv") / 1000000))
printf 'campaign report --csv:          %.2fs  (%d MB)  ratio %.2fx\n' "$t_safe" \
    $(($(wc -c <"$work/campaign.csv") / 1000000)) "$(echo "$t_safe / $t_sqlite" | bc -l)"
printf 'campaign report --csv --raw:    %.2fs  ratio %.2fx\n' "$t_raw" "$(echo "$t_raw / $t_sqlite" | bc -l)"
printf 'campaign report (summary only): %.2fs  (part of both runs above: the command always prints it)\n' "$t_summary"
printf 'export alone (csv - summary):   %.2fs  ratio %.2fx\n' "$(echo "$t_safe - $t_summary" | bc -l)" \
    "$(echo "($t_safe - $t_summary) / $t_sqlite" | bc -l)"
peak=$(/usr/bin/time -f %M "$bin" report --db "$db" --csv "$work/campaign.csv" 2>&1 >/dev/null | tail -1 || true)
[[ -n "$peak" ]] && printf 'peak memory of report --csv:    %d MB\n' $((peak / 1024))
