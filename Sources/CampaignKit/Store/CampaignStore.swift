import Foundation
import GRDB
import SchemaSQL

/// The campaign database. The only type that speaks SQL: everything else asks it for operations
/// in the domain's words.
public final class CampaignStore: Sendable {
    public let path: String
    let queue: DatabaseQueue
    /// The writes of `campaign run`, committed in shared transactions (see `GroupCommitter`).
    let committer: GroupCommitter

    /// Opens the database at `path` and brings its schema up to date. Only `import` creates one
    /// (`mustExist: false`, the default); every other command passes `mustExist: true`, so a mistyped `--db`
    /// is an error instead of a new empty database, and a file that is not a campaign database is left as it is.
    public init(path: String, mustExist: Bool = false) throws(StoreError) {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        if mustExist && !FileManager.default.fileExists(atPath: path) { throw .noDatabase(path: path) }
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            // Checked before anything is written (the journal mode, the schema): an empty file or another
            // program's database is not made into a campaign database.
            if mustExist, try !queue.read({ db in try db.tableExists("grdb_migrations") && db.tableExists("jobs") }) {
                throw StoreError.notCampaignDatabase(path: path)
            }
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")
            }
            try Self.migrator.migrate(queue)
            committer = GroupCommitter(queue: queue)
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: error.message ?? "\(error)")
        } catch {
            throw StoreError.cannotOpen(path: path, reason: "\(error)")
        }
    }

    /// A consistent copy of this database in a new file at `path` (SQLite's online backup: one snapshot, even
    /// while another process writes), opened as a store of its own.
    public func copy(to path: String) throws(StoreError) -> CampaignStore {
        do {
            let destination = try DatabaseQueue(path: path)
            try queue.backup(to: destination)
            try destination.close()
        } catch {
            throw StoreError.cannotOpen(path: path, reason: "\(error)")
        }
        return try CampaignStore(path: path)
    }

    /// The schema text as embedded in the binary from schema.sql.
    static var schemaSQL: String { String(cString: campaign_schema_sql()) }

    /// Versioned migrations. v1 is schema.sql; later versions append steps here and update schema.sql.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: CampaignStore.schemaSQL)
        }
        // A database made by v1 before these were in schema.sql gets them here; one made from today's
        // schema.sql already has them. The column goes at the end of the table, where schema.sql has it too.
        migrator.registerMigration("v2-attempt-api-and-run-holder") { db in
            if try !db.columns(in: "attempts").contains(where: { $0.name == "api" }) {
                try db.execute(sql: "ALTER TABLE attempts ADD COLUMN api TEXT")
            }
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS run_holder (
                        id           INTEGER PRIMARY KEY CHECK (id = 1),
                        holder       TEXT NOT NULL,
                        acquired_at  TEXT NOT NULL
                    )
                    """)
        }
        migrator.registerMigration("v3-jobs-waiting-for") { db in
            if try !db.columns(in: "jobs").contains(where: { $0.name == "waiting_for" }) {
                try db.execute(sql: "ALTER TABLE jobs ADD COLUMN waiting_for TEXT")
            }
        }
        // Several runners on PostgreSQL: the same tables and columns here, unused, so the two dialects stay one schema.
        migrator.registerMigration("v4-runners") { db in
            for (table, column) in [("jobs", "runner_id"), ("jobs", "slot_until_ms"), ("attempts", "runner_id")]
            where try !db.columns(in: table).contains(where: { $0.name == column }) {
                try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN \(column) INTEGER")
            }
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS runners (
                        id              INTEGER PRIMARY KEY,
                        campaign_id     INTEGER NOT NULL REFERENCES campaigns (id),
                        host            TEXT    NOT NULL,
                        pid             INTEGER NOT NULL,
                        state           TEXT    NOT NULL DEFAULT 'running'
                            CHECK (state IN ('running', 'stopped', 'dead')),
                        started_at      TEXT    NOT NULL,
                        lease_until_ms  INTEGER NOT NULL,
                        heartbeat_ms    INTEGER NOT NULL,
                        ended_reason    TEXT
                    );
                    CREATE TABLE IF NOT EXISTS campaign_dispatch (
                        campaign_id       INTEGER PRIMARY KEY REFERENCES campaigns (id),
                        max_parallel      INTEGER NOT NULL,
                        rate_interval_ms  INTEGER,
                        next_start_ms     INTEGER,
                        paused_until_ms   INTEGER,
                        pause_reason      TEXT,
                        halted_reason     TEXT
                    );
                    """)
        }
        return migrator
    }

    /// The tables and their columns, in order, as the database has them (tests compare with schema.sql).
    func tableColumns() throws -> [String: [String]] {
        try queue.read { db in
            var result: [String: [String]] = [:]
            let tables = try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                    + "AND name != 'grdb_migrations'")
            for table in tables {
                result[table] = try Row.fetchAll(db, sql: "PRAGMA table_info(\(table.quotedDatabaseIdentifier))")
                    .map { $0["name"] as String }
            }
            return result
        }
    }

    /// Runs `body` on the database (for store extensions in other files).
    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try queue.write(body) } catch { throw Self.storeError(error) }
    }

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try queue.read(body) } catch { throw Self.storeError(error) }
    }

    /// Runs `body` in the next group commit and returns once it is durable. The caller suspends rather
    /// than blocking a thread while other writes and the fsync run.
    func commit<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do { return try await committer.write(body) } catch { throw Self.storeError(error) }
    }

    /// Reads without blocking the caller's thread while a commit runs. Unlike GRDB's own async `read`, a
    /// cancelled task still gets its answer: a run that is being cancelled reads its final counts.
    func asyncRead<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await withCheckedThrowingContinuation { continuation in
                queue.asyncRead { database in
                    continuation.resume(with: Result { try body(database.get()) })
                }
            }
        } catch {
            throw Self.storeError(error)
        }
    }

    /// A store error as it is, anything else (SQLite's, a body's own) wrapped.
    static func storeError(_ error: any Error) -> StoreError {
        error as? StoreError ?? .database(error)
    }
}

/// What went wrong with the database, in words a user can act on.
public enum StoreError: Error, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    /// No file at the path a command that only reads or works a campaign was given.
    case noDatabase(path: String)
    /// A file that is not a campaign database (empty, or another program's).
    case notCampaignDatabase(path: String)
    case database(any Error)
    case campaignNotFound(name: String, available: [String])
    case campaignNotChosen(available: [String])
    /// A PostgreSQL database's own failure, its location redacted.
    case postgres(PostgresStoreError)

    /// Worth trying again: a PostgreSQL connection was lost (SQLite's busy waits are the committer's own).
    var isTransient: Bool {
        if case .postgres(let error) = self { return error.isConnectionLost }
        return false
    }

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "cannot open the database \(path): \(reason)"
        case .noDatabase(let path):
            return "no campaign database at \(path); campaign import creates one (or pass --db, or set CAMPAIGN_DB)"
        case .notCampaignDatabase(let path):
            return "\(path) is not a campaign database (campaign import creates one; it was left as it is)"
        case .postgres(let error):
            return error.description
        case .database(let error):
            if let error = error as? DispatchStoreError { return error.description }
            if let error = error as? DatabaseError {
                return "database error: \(error.message ?? "\(error)")"
            }
            return "database error: \(error)"
        case .campaignNotFound(let name, let available):
            if available.isEmpty { return "no campaign named '\(name)': the database has no campaigns yet" }
            return "no campaign named '\(name)'; the database has: \(available.joined(separator: ", "))"
        case .campaignNotChosen(let available):
            if available.isEmpty { return "the database has no campaigns yet; run campaign import first" }
            return
                "the database has several campaigns (\(available.joined(separator: ", "))); choose one with --campaign"
        }
    }
}

extension CampaignStore {
    /// Deletes a database file and its WAL companions (used when a refused import created it).
    public static func remove(path: String) {
        for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
    }
}
