// What SQLite alone needs to store the import benchmark's jobs: reads the jobs of a database that
// `campaign import` wrote (bench-out/campaign.db after scripts/bench-import.sh) into memory, then
// inserts them into a new database with schema.sql, the way ImportSession does, and times the
// insert, the index builds and the commit. Options (letters, any order) switch one thing each:
//   F  foreign_keys off          K  ignore_check_constraints on     S  keep jobs_by_status
//   P  keep jobs_by_phone        N  build no index at the end       t  PRAGMA threads = 2
//   C  64 MB cache (else 16 MB)  m  temp_store = MEMORY             s  secure_delete off
//   O  INSERT OR FAIL
// Environment: B = rows per INSERT statement (default 1), PS = page size of the new database,
// CACHE_KB = cache size in KiB (instead of C's choice).
// Build and run from the repository root:
//   cc -O2 scripts/bench/insert_floor.c -lsqlite3 -o bench-out/insert_floor
//   B=64 bench-out/insert_floor bench-out/campaign.db bench-out/floor.db FSKt
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

#define MAX_ROWS 2000000
static char *rowcsv[MAX_ROWS], *phone[MAX_ROWS], *prompt[MAX_ROWS];
static int lines[MAX_ROWS];

static void run(sqlite3 *db, const char *sql) {
    char *error = 0;
    if (sqlite3_exec(db, sql, 0, 0, &error)) {
        fprintf(stderr, "%s: %s\n", sql, error);
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s SOURCE.db NEW.db OPTIONS\n", argv[0]);
        return 2;
    }
    const char *source = argv[1], *out = argv[2], *opts = argv[3];
    int rows = 0;
    sqlite3 *src;
    sqlite3_stmt *query;
    sqlite3_open(source, &src);
    sqlite3_prepare_v2(src, "SELECT source_line, row_csv, phone_e164, prompt FROM jobs", -1, &query, 0);
    while (sqlite3_step(query) == SQLITE_ROW && rows < MAX_ROWS) {
        lines[rows] = sqlite3_column_int(query, 0);
        rowcsv[rows] = strdup((const char *)sqlite3_column_text(query, 1));
        phone[rows] = strdup((const char *)sqlite3_column_text(query, 2));
        prompt[rows] = strdup((const char *)sqlite3_column_text(query, 3));
        rows++;
    }
    sqlite3_finalize(query);
    sqlite3_close(src);

    char journal[4096];
    snprintf(journal, sizeof journal, "%s-journal", out);
    unlink(out);
    unlink(journal);
    static char schema[1 << 20];
    FILE *file = fopen("schema.sql", "r");
    if (!file) {
        fprintf(stderr, "run from the repository root (needs schema.sql)\n");
        return 2;
    }
    schema[fread(schema, 1, sizeof schema - 1, file)] = 0;
    fclose(file);

    sqlite3 *db;
    sqlite3_open(out, &db);
    if (getenv("PS")) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA page_size = %s", getenv("PS"));
        run(db, sql);
    }
    run(db, "PRAGMA journal_mode = WAL");
    run(db, schema);
    run(db, "PRAGMA journal_mode = DELETE");
    run(db, strchr(opts, 'F') ? "PRAGMA foreign_keys = OFF" : "PRAGMA foreign_keys = ON");
    if (strchr(opts, 'K')) run(db, "PRAGMA ignore_check_constraints = ON");
    if (strchr(opts, 's')) run(db, "PRAGMA secure_delete = OFF");
    if (strchr(opts, 't')) run(db, "PRAGMA threads = 2");
    if (strchr(opts, 'm')) run(db, "PRAGMA temp_store = MEMORY");
    run(db, strchr(opts, 'C') ? "PRAGMA cache_size = -65536" : "PRAGMA cache_size = -16384");
    if (getenv("CACHE_KB")) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA cache_size = -%s", getenv("CACHE_KB"));
        run(db, sql);
    }
    run(db, "PRAGMA synchronous = FULL");

    double t0 = now(), c0 = cpu();
    run(db, "BEGIN IMMEDIATE");
    run(db, "INSERT INTO campaigns (name, template, columns, phone_column, region, created_at) "
            "VALUES ('c', 't', 'a', 'p', 'US', 'x')");
    run(db, "INSERT INTO imports (campaign_id, source_file, imported_at) VALUES (1, 'f', 'x')");
    if (!strchr(opts, 'P')) run(db, "DROP INDEX jobs_by_phone");
    if (!strchr(opts, 'S')) run(db, "DROP INDEX jobs_by_status");
    int batch = getenv("B") ? atoi(getenv("B")) : 1;
    if (batch < 1) batch = 1;
    char *sql = malloc(400 + 64 * (size_t)batch);
    int length = sprintf(sql,
                         "INSERT %s INTO jobs (campaign_id, import_id, source_line, row_csv, phone_e164, prompt, "
                         "language, voice, from_number, transfer_to, timezone, status, created_at, updated_at) VALUES ",
                         strchr(opts, 'O') ? "OR FAIL" : "");
    for (int row = 0; row < batch; row++)
        length += sprintf(sql + length, "%s(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", row ? "," : "");
    sqlite3_stmt *insert;
    if (sqlite3_prepare_v2(db, sql, -1, &insert, 0)) {
        fprintf(stderr, "prepare: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    const char *stamp = "2026-11-24T18:00:00.000Z";
    for (int row = 0; row < batch; row++) {
        sqlite3_bind_text(insert, row * 14 + 13, stamp, -1, SQLITE_STATIC);
        sqlite3_bind_text(insert, row * 14 + 14, stamp, -1, SQLITE_STATIC);
    }
    for (int first = 0; first + batch <= rows; first += batch) {
        sqlite3_reset(insert);
        for (int row = 0; row < batch; row++) {
            int base = row * 14, job = first + row;
            sqlite3_bind_int64(insert, base + 1, 1);
            sqlite3_bind_int64(insert, base + 2, 1);
            sqlite3_bind_int64(insert, base + 3, lines[job]);
            sqlite3_bind_text(insert, base + 4, rowcsv[job], (int)strlen(rowcsv[job]), SQLITE_STATIC);
            sqlite3_bind_text(insert, base + 5, phone[job], (int)strlen(phone[job]), SQLITE_STATIC);
            sqlite3_bind_text(insert, base + 6, prompt[job], (int)strlen(prompt[job]), SQLITE_STATIC);
            for (int column = 7; column <= 11; column++) sqlite3_bind_null(insert, base + column);
            sqlite3_bind_text(insert, base + 12, "queued", 6, SQLITE_STATIC);
        }
        if (sqlite3_step(insert) != SQLITE_DONE) {
            fprintf(stderr, "insert: %s\n", sqlite3_errmsg(db));
            return 1;
        }
    }
    sqlite3_finalize(insert);
    double t1 = now(), c1 = cpu();
    if (!strchr(opts, 'P') && !strchr(opts, 'N'))
        run(db, "CREATE UNIQUE INDEX jobs_by_phone ON jobs (campaign_id, phone_e164)");
    double t2 = now(), c2 = cpu();
    if (!strchr(opts, 'S') && !strchr(opts, 'N'))
        run(db, "CREATE INDEX jobs_by_status ON jobs (campaign_id, status, next_attempt_at)");
    double t3 = now(), c3 = cpu();
    run(db, "COMMIT");
    double t4 = now(), c4 = cpu();
    printf("%d rows, %s, %d a statement (wall s, cpu s): insert %.2f (%.2f)  phone index %.2f (%.2f)  "
           "status index %.2f (%.2f)  commit %.2f (%.2f)  total %.2f (%.2f)\n",
           rows - rows % batch, opts, batch, t1 - t0, c1 - c0, t2 - t1, c2 - c1, t3 - t2, c3 - c2, t4 - t3, c4 - c3,
           t4 - t0, c4 - c0);
    sqlite3_close(db);
    return 0;
}
