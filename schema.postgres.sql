-- The campaign database on PostgreSQL: schema.sql (the SQLite schema, the one source of truth for tables and
-- columns) in PostgreSQL's dialect. The same tables, the same columns in the same order, the same CHECK lists
-- and the same index names; a test compares the database the binary creates from this file with the one it
-- creates from schema.sql, so the two cannot drift. The comments on each column are in schema.sql.
-- The binary embeds this file (Sources/SchemaSQL) and applies it to a new database as one transaction.
--
-- The dialect's differences, each for a reason:
-- * Ids are bigint identities (ALWAYS: only the database assigns them, so an attempt's id grows, which the
--   compare-and-set guard's "latest attempt" relies on). Every other INTEGER is bigint too: Swift's Int.
-- * Every text column is COLLATE "C": SQLite compares text bytewise, and "C" is PostgreSQL's bytewise order,
--   whatever the server's locale. Times are the same 24-character ISO text as on SQLite (Timestamp), so
--   "C" order is time order and the code's strings work unchanged.
-- * jobs_by_status keeps next_attempt_at NULLS FIRST: PostgreSQL sorts NULL last by default, and a NULL
--   there means "due now", which the claim and nextQueuedTime read first. It also ends with id, which a
--   SQLite index holds implicitly (its rowid): the claim's `ORDER BY next_attempt_at NULLS FIRST, id LIMIT n`
--   is then the index's order. Measured on 50,000 jobs (16,667 due now): 0.09 ms with id, 25 ms without it
--   (an incremental sort over every tied row).

CREATE TABLE campaigns (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text COLLATE "C" NOT NULL UNIQUE,
    template      text COLLATE "C" NOT NULL,
    columns       text COLLATE "C" NOT NULL,
    phone_column  text COLLATE "C" NOT NULL,
    region        text COLLATE "C" NOT NULL,
    language      text COLLATE "C",
    voice         text COLLATE "C",
    from_number   text COLLATE "C",
    transfer_to   text COLLATE "C",
    timezone      text COLLATE "C",
    created_at    text COLLATE "C" NOT NULL
);

CREATE TABLE imports (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id  bigint NOT NULL REFERENCES campaigns (id),
    source_file  text COLLATE "C" NOT NULL,
    imported_at  text COLLATE "C" NOT NULL,
    rows_read    bigint NOT NULL DEFAULT 0,
    queued       bigint NOT NULL DEFAULT 0,
    duplicates   bigint NOT NULL DEFAULT 0,
    suppressed   bigint NOT NULL DEFAULT 0,
    rejected     bigint NOT NULL DEFAULT 0
);

CREATE TABLE jobs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id      bigint NOT NULL REFERENCES campaigns (id),
    import_id        bigint NOT NULL REFERENCES imports (id),
    source_line      bigint NOT NULL,
    row_csv          text COLLATE "C" NOT NULL,
    phone_e164       text COLLATE "C" NOT NULL,
    prompt           text COLLATE "C" NOT NULL,
    language         text COLLATE "C",
    voice            text COLLATE "C",
    from_number      text COLLATE "C",
    transfer_to      text COLLATE "C",
    timezone         text COLLATE "C",
    status           text COLLATE "C" NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'dialing', 'in_progress', 'completed', 'failed', 'unknown',
                          'cancelled', 'suppressed')),
    attempts         bigint NOT NULL DEFAULT 0,
    next_attempt_at  text COLLATE "C",
    interaction_id   text COLLATE "C",
    outcome          text COLLATE "C",
    summary          text COLLATE "C",
    recording_url    text COLLATE "C",
    error            text COLLATE "C",
    review_reason    text COLLATE "C",
    last_attempt_at  text COLLATE "C",
    completed_at     text COLLATE "C",
    created_at       text COLLATE "C" NOT NULL,
    updated_at       text COLLATE "C" NOT NULL,
    waiting_for      text COLLATE "C",
    runner_id        bigint,
    slot_until_ms    bigint
);
CREATE UNIQUE INDEX jobs_by_phone ON jobs (campaign_id, phone_e164);
CREATE INDEX jobs_by_status ON jobs (campaign_id, status, next_attempt_at NULLS FIRST, id);

CREATE TABLE attempts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id          bigint NOT NULL REFERENCES jobs (id),
    attempt_number  bigint NOT NULL,
    state           text COLLATE "C" NOT NULL
        CHECK (state IN ('dialing', 'placed', 'ended', 'rejected', 'unknown', 'not_placed')),
    interaction_id  text COLLATE "C",
    started_at      text COLLATE "C" NOT NULL,
    ended_at        text COLLATE "C",
    http_status     bigint,
    outcome         text COLLATE "C",
    summary         text COLLATE "C",
    recording_url   text COLLATE "C",
    error           text COLLATE "C",
    raw_response    text COLLATE "C",
    api             text COLLATE "C",
    runner_id       bigint,
    UNIQUE (job_id, attempt_number)
);
CREATE INDEX attempts_by_interaction ON attempts (interaction_id);

CREATE TABLE suppressed (
    phone_e164  text COLLATE "C" PRIMARY KEY,
    source      text COLLATE "C" NOT NULL,
    added_at    text COLLATE "C" NOT NULL
);

CREATE TABLE run_holder (
    id           bigint PRIMARY KEY CHECK (id = 1),
    holder       text COLLATE "C" NOT NULL,
    acquired_at  text COLLATE "C" NOT NULL
);

CREATE TABLE runners (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id     bigint NOT NULL REFERENCES campaigns (id),
    host            text COLLATE "C" NOT NULL,
    pid             bigint NOT NULL,
    state           text COLLATE "C" NOT NULL DEFAULT 'running'
        CHECK (state IN ('running', 'stopped', 'dead')),
    started_at      text COLLATE "C" NOT NULL,
    lease_until_ms  bigint NOT NULL,
    heartbeat_ms    bigint NOT NULL,
    ended_reason    text COLLATE "C"
);

CREATE TABLE campaign_dispatch (
    campaign_id       bigint PRIMARY KEY REFERENCES campaigns (id),
    max_parallel      bigint NOT NULL,
    rate_interval_ms  bigint,
    next_start_ms     bigint,
    paused_until_ms   bigint,
    pause_reason      text COLLATE "C",
    halted_reason     text COLLATE "C"
);
