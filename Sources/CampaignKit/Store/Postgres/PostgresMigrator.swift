import Foundation
import PostgresNIO

/// Brings a PostgreSQL database to this binary's schema. A new database gets schema.postgres.sql (the latest
/// schema) and every step name of `CampaignStore.migrationSteps` recorded in `schema_migrations`, in one
/// transaction; a database with a step this binary does not know is refused, never changed.
enum PostgresMigrator {
    /// The `pg_advisory_xact_lock` key every migration takes: ASCII "campaign" read as a 64-bit number, so it is
    /// recognisable in `pg_locks` (classid 0x63616D70, objid 0x6169676E). Advisory locks are per database, and
    /// a transaction's lock ends with it: two processes opening one empty database queue here, and the second
    /// finds the schema the first committed instead of applying it again.
    static let lockKey: Int64 = 0x6361_6D70_6169_676E

    /// The step names, in order: the same as SQLite's, so one name means one schema in both dialects.
    static var steps: [String] { CampaignStore.migrationSteps }

    /// The SQL of each step after the first schema, for a database made before it. A schema change adds a step to
    /// SQLite's migrator and its SQL here, and updates both schema files, in one commit. Each ALTER TABLE adds a
    /// column without a default: no table rewrite, so a large campaign migrates at once.
    static let upgrades: [String: [String]] = [
        "v4-runners": [
            "ALTER TABLE jobs ADD COLUMN runner_id bigint",
            "ALTER TABLE jobs ADD COLUMN slot_until_ms bigint",
            "ALTER TABLE attempts ADD COLUMN runner_id bigint",
            """
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
            )
            """,
            """
            CREATE TABLE campaign_dispatch (
                campaign_id       bigint PRIMARY KEY REFERENCES campaigns (id),
                max_parallel      bigint NOT NULL,
                rate_interval_ms  bigint,
                next_start_ms     bigint,
                paused_until_ms   bigint,
                pause_reason      text COLLATE "C",
                halted_reason     text COLLATE "C"
            )
            """,
        ]
    ]

    static let migrationsTable = """
        CREATE TABLE schema_migrations (
            step        text COLLATE "C" PRIMARY KEY,
            applied_at  text COLLATE "C" NOT NULL
        )
        """

    enum Outcome: Equatable {
        case upToDate
        /// The schema was applied to an empty database.
        case created
        case upgraded(steps: [String])
    }

    /// Checks the schema and, unless it is current, applies what is missing under the advisory lock.
    /// `mustExist`: a database without the schema is refused (`notCampaignDatabase`) and left as it was.
    static func migrate(
        _ connection: PostgresConnection, location: PostgresLocation, mustExist: Bool, now: Date
    ) async throws(PostgresStoreError) -> Outcome {
        let sql = PostgresSQL(connection: connection, location: location)
        // The common case, every command after the first import, reads and takes no lock.
        if let recorded = try await recordedSteps(sql) {
            if try missingSteps(recorded, location: location).isEmpty { return .upToDate }
        } else if mustExist {
            throw .notCampaignDatabase(location: location.redacted)
        }
        return try await migrateLocked(sql, now: now)
    }

    /// The migration itself: one transaction under the advisory lock, which looks at the schema again once the
    /// lock is held (another process may have migrated while this one waited).
    static func migrateLocked(_ sql: PostgresSQL, now: Date) async throws(PostgresStoreError) -> Outcome {
        try await sql.transaction { () async throws(PostgresStoreError) -> Outcome in
            try await sql.execute("SELECT pg_advisory_xact_lock(\(lockKey))")
            guard let recorded = try await recordedSteps(sql) else {
                try await create(sql, now: now)
                return .created
            }
            let missing = try missingSteps(recorded, location: sql.location)
            for step in missing {
                for statement in upgrades[step] ?? [] { try await sql.execute(PostgresQuery(unsafeSQL: statement)) }
                try await record(step, sql, now: now)
            }
            return missing.isEmpty ? .upToDate : .upgraded(steps: missing)
        }
    }

    /// The recorded step names, or nil when the database has no `schema_migrations` table.
    static func recordedSteps(_ sql: PostgresSQL) async throws(PostgresStoreError) -> [String]? {
        guard try await existingTables(["schema_migrations"], sql) == ["schema_migrations"] else { return nil }
        return try await sql.values("SELECT step FROM schema_migrations", as: String.self)
    }

    /// Which of `names` are tables in the schema new tables go to. Read from pg_class with the statement's own
    /// snapshot, not with `to_regclass`: that goes through the connection's catalog cache without taking a
    /// lock, and a "no such table" cached before the advisory lock can outlive the wait. Seen in a full test run
    /// (8 concurrent opens on a loaded machine: one refused the database as not campaign's, having missed the
    /// schema_migrations the first had committed), and in psql: `SELECT to_regclass('t')`, then in a
    /// transaction waiting on the lock while another session creates t and commits, the first `to_regclass('t')`
    /// after the lock still said NULL. A plain query reads pg_class afresh in every statement.
    static func existingTables(_ names: [String], _ sql: PostgresSQL) async throws(PostgresStoreError) -> [String] {
        try await sql.values(
            """
            SELECT c.relname::text FROM pg_catalog.pg_class c
             WHERE c.relname = ANY(\(names)::text[])
               AND c.relnamespace = (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = current_schema())
             ORDER BY 1
            """,
            as: String.self)
    }

    /// The known steps a database lacks, in order; throws for a step this binary does not know, or a missing
    /// step it has no SQL for.
    static func missingSteps(_ recorded: [String], location: PostgresLocation) throws(PostgresStoreError) -> [String] {
        let unknown = recorded.filter { !steps.contains($0) }.sorted()
        guard unknown.isEmpty else { throw .newerSchema(location: location.redacted, unknownSteps: unknown) }
        let missing = steps.filter { !recorded.contains($0) }
        let impossible = missing.filter { upgrades[$0] == nil }
        guard impossible.isEmpty else { throw .incompleteSchema(location: location.redacted, missingSteps: impossible) }
        return missing
    }

    /// Applies schema.postgres.sql to a database that has none of its tables. One that has tables of the same
    /// names, not made by campaign, is refused before anything is written.
    static func create(_ sql: PostgresSQL, now: Date) async throws(PostgresStoreError) {
        let statements = SQLScript.statements(CampaignStore.postgresSchemaSQL)
        let taken = try await existingTables(tableNames(statements), sql)
        guard taken.isEmpty else { throw .notCampaignDatabase(location: sql.location.redacted) }
        try await sql.execute(PostgresQuery(unsafeSQL: migrationsTable))
        for statement in statements { try await sql.execute(PostgresQuery(unsafeSQL: statement)) }
        for step in steps { try await record(step, sql, now: now) }
    }

    static func record(_ step: String, _ sql: PostgresSQL, now: Date) async throws(PostgresStoreError) {
        try await sql.execute(
            "INSERT INTO schema_migrations (step, applied_at) VALUES (\(step), \(Timestamp.string(now)))")
    }

    /// The tables the statements create (`CREATE TABLE name (`).
    static func tableNames(_ statements: [String]) -> [String] {
        statements.compactMap { statement in
            let words = statement.split(whereSeparator: \.isWhitespace)
            guard words.count > 2, words[0] == "CREATE", words[1] == "TABLE" else { return nil }
            return String(words[2])
        }
    }
}
