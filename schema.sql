-- The campaign database: the one source of truth for its tables and columns.
-- The binary embeds this file when it is built (Sources/SchemaSQL) and applies it as migration v1;
-- a test compares the database the binary creates with this file, so the two cannot drift.
-- Times are UTC ISO-8601 text with milliseconds ("2026-11-24T16:20:00.000Z"), which sorts correctly.

-- One campaign: a prompt template and the defaults that rows may override.
CREATE TABLE campaigns (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    template      TEXT    NOT NULL,  -- the prompt, with [column] and [column|default] placeholders
    columns       TEXT    NOT NULL,  -- the contacts file's header, one RFC 4180 record, in file order
    phone_column  TEXT    NOT NULL,
    region        TEXT    NOT NULL,  -- region for numbers written without a country code
    language      TEXT,              -- campaign defaults; NULL leaves the API's default
    voice         TEXT,
    from_number   TEXT,
    transfer_to   TEXT,
    timezone      TEXT,
    created_at    TEXT    NOT NULL
);

-- One run of `campaign import`, kept so a later import can say where a duplicate came from.
CREATE TABLE imports (
    id           INTEGER PRIMARY KEY,
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
    source_file  TEXT    NOT NULL,
    imported_at  TEXT    NOT NULL,
    rows_read    INTEGER NOT NULL DEFAULT 0,
    queued       INTEGER NOT NULL DEFAULT 0,
    duplicates   INTEGER NOT NULL DEFAULT 0,
    suppressed   INTEGER NOT NULL DEFAULT 0,
    rejected     INTEGER NOT NULL DEFAULT 0
);

-- One call job per contact.
CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY,
    campaign_id      INTEGER NOT NULL REFERENCES campaigns (id),
    import_id        INTEGER NOT NULL REFERENCES imports (id),
    source_line      INTEGER NOT NULL,  -- line of the contacts file where the row starts
    row_csv          TEXT    NOT NULL,  -- the row as it was read: one RFC 4180 record, columns in file order
    phone_e164       TEXT    NOT NULL,
    prompt           TEXT    NOT NULL,  -- the template expanded with this row's values
    language         TEXT,              -- per-row overrides; NULL means the campaign default
    voice            TEXT,
    from_number      TEXT,
    transfer_to      TEXT,
    timezone         TEXT,
    status           TEXT    NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'dialing', 'in_progress', 'completed', 'failed', 'unknown',
                          'cancelled', 'suppressed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT,              -- NULL: due now
    interaction_id   TEXT,
    outcome          TEXT,
    summary          TEXT,
    recording_url    TEXT,
    error            TEXT,
    review_reason    TEXT,              -- set when a person must look at this job
    last_attempt_at  TEXT,
    completed_at     TEXT,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    waiting_for      TEXT,              -- why a queued job's next_attempt_at is in the future: 'window' (its
                                        -- calling window or an unknown zone) or 'cap' (per-number limits);
                                        -- NULL: a retry's delay, or nothing
    runner_id        INTEGER,           -- PostgreSQL, several runners: the runner (runners.id) that owns the
                                        -- job while it is dialing or in_progress; NULL: no one (an orphan
                                        -- call to adopt). Always NULL on SQLite, which has one runner.
    slot_until_ms    INTEGER            -- an unknown job's call may still be ringing: it counts against the
                                        -- campaign's global limit until this database time (epoch ms)
);
-- A number is queued at most once per campaign. A named index rather than a table constraint, so
-- that a large import can drop it and build it again in one sorted pass inside its transaction.
CREATE UNIQUE INDEX jobs_by_phone ON jobs (campaign_id, phone_e164);
CREATE INDEX jobs_by_status ON jobs (campaign_id, status, next_attempt_at);

-- One placement of a call. The row is written as 'dialing' and committed before the POST is sent.
CREATE TABLE attempts (
    id              INTEGER PRIMARY KEY,
    job_id          INTEGER NOT NULL REFERENCES jobs (id),
    attempt_number  INTEGER NOT NULL,
    state           TEXT    NOT NULL
        CHECK (state IN ('dialing', 'placed', 'ended', 'rejected', 'unknown', 'not_placed')),
    interaction_id  TEXT,
    started_at      TEXT    NOT NULL,
    ended_at        TEXT,
    http_status     INTEGER,
    outcome         TEXT,
    summary         TEXT,
    recording_url   TEXT,
    error           TEXT,
    raw_response    TEXT,               -- the API's JSON as received, unknown fields included
    api             TEXT,               -- the API the call was placed with (base URL, or 'simulator'); NULL:
                                        -- placed before this was recorded. A call is only followed there.
    runner_id       INTEGER,            -- PostgreSQL: the runner that placed it (runners.id); NULL on SQLite
    UNIQUE (job_id, attempt_number)
);
CREATE INDEX attempts_by_interaction ON attempts (interaction_id);

-- Numbers that must never be queued or dialled, whatever campaign they appear in.
CREATE TABLE suppressed (
    phone_e164  TEXT PRIMARY KEY,
    source      TEXT NOT NULL,          -- the file or command that added it
    added_at    TEXT NOT NULL
);

-- Who holds the run lock (an flock on the database file itself): one row, rewritten by each run that
-- takes the lock, read only to name the holder when a second run is refused.
CREATE TABLE run_holder (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    holder       TEXT NOT NULL,         -- pid, host and start time of the run
    acquired_at  TEXT NOT NULL
);

-- Several runners on one PostgreSQL campaign (unused on SQLite, where the run lock keeps one runner). A
-- runner's row is its lease: renewed in database time, and a runner that cannot renew stops claiming by
-- itself before it expires. Any live runner reaps an expired one: its dialing jobs become unknown, its
-- in_progress jobs are adopted and followed by their interaction id. Times ending in _ms are the database's
-- clock (epoch milliseconds), so machines never compare their own clocks with each other.
CREATE TABLE runners (
    id              INTEGER PRIMARY KEY,
    campaign_id     INTEGER NOT NULL REFERENCES campaigns (id),
    host            TEXT    NOT NULL,
    pid             INTEGER NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'running'
        CHECK (state IN ('running', 'stopped', 'dead')),
    started_at      TEXT    NOT NULL,
    lease_until_ms  INTEGER NOT NULL,
    heartbeat_ms    INTEGER NOT NULL,   -- the last renewal
    ended_reason    TEXT                -- why it stopped or was reaped
);

-- One row per campaign run on PostgreSQL: the limits every runner shares, and the shared pause. Every claim
-- locks it (FOR UPDATE) and counts the calls in flight under that lock, so the limit holds across machines.
CREATE TABLE campaign_dispatch (
    campaign_id       INTEGER PRIMARY KEY REFERENCES campaigns (id),
    max_parallel      INTEGER NOT NULL,   -- calls in flight at most, across every runner
    rate_interval_ms  INTEGER,            -- --rate: at least this long between two call starts; NULL: none
    next_start_ms     INTEGER,            -- --rate: the next call may start at this database time
    paused_until_ms   INTEGER,            -- a 429 paused every runner until this database time
    pause_reason      TEXT,
    halted_reason     TEXT                -- a runner met a 401 or 402: every runner stops with this message
);
