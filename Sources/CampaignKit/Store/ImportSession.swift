import Foundation
import GRDB
import GRDBSQLite

/// Where a number that is already queued came from.
public struct ExistingJob: Sendable, Equatable {
    var importID: Int64
    var line: Int
    var sourceFile: String
}

/// An import in progress inside one write transaction: nothing it writes is visible, or kept,
/// unless the importer decides to commit.
///
/// Duplicates are found in memory (a number is 8 bytes as an integer), not by probing the unique
/// index row by row: for a large import the unique index on `jobs` is dropped and built again at
/// the end in one sorted pass, which is several times faster than a million random B-tree inserts.
/// The unique index is back before the transaction commits, so the guarantee never lapses.
///
/// Jobs are written `rowsPerStatement` at a time with one multi-row `INSERT`: a single-row
/// statement pays SQLite's per-statement work (opening the table cursor, finding the last rowid,
/// halting) for every job, which measured as more than the row itself.
public final class ImportSession: ImportWriting {
    let db: Database
    public let campaign: CampaignRecord
    public let importID: Int64
    /// The number of jobs one `insertMany` writes.
    static let rowsPerStatement = 64
    /// Parameters a job takes in the insert statements.
    private static let parametersPerJob: Int32 = 14
    private let insertOne: Statement
    private let insertMany: Statement
    private let now: String
    /// Every number of the campaign: where it was first seen, packed as import id << 32 | line.
    private var seen = SeenNumbers()
    private var sourceFiles: [Int64: String] = [:]
    /// The `CREATE INDEX` statements to run again in `finish`, when `dropIndexesForBulk` dropped them.
    private var droppedIndexes: [String] = []
    private var prefetched: UInt64 = 0
    /// Jobs of the current batch that `claim` accepted and `write` has yet to store.
    private var pending: [Int] = []

    init(db: Database, campaign: CampaignRecord, importID: Int64, sourceFile: String, now: String) throws {
        self.db = db
        self.campaign = campaign
        self.importID = importID
        self.now = now
        sourceFiles[importID] = sourceFile
        func insert(rows: Int) throws -> Statement {
            let values = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: rows)
            let statement = try db.makeStatement(
                sql: """
                    INSERT INTO jobs (campaign_id, import_id, source_line, row_csv, phone_e164, prompt,
                        language, voice, from_number, transfer_to, timezone, status, created_at, updated_at)
                    VALUES \(values.joined(separator: ", "))
                    """)
            // What is the same for every job is bound once: bindings outlive sqlite3_reset, and
            // `write` binds every other parameter again for each job.
            now.withCString { stamp in
                for row in 0..<Int32(rows) {
                    let base = row * Self.parametersPerJob
                    sqlite3_bind_int64(statement.sqliteStatement, base + 1, campaign.id)
                    sqlite3_bind_int64(statement.sqliteStatement, base + 2, importID)
                    sqlite3_bind_text(statement.sqliteStatement, base + 13, stamp, -1, SQLITE_TRANSIENT)
                    sqlite3_bind_text(statement.sqliteStatement, base + 14, stamp, -1, SQLITE_TRANSIENT)
                }
            }
            return statement
        }
        insertOne = try insert(rows: 1)
        insertMany = try insert(rows: Self.rowsPerStatement)
        pending.reserveCapacity(2 * Self.rowsPerStatement)
        let existing = try Row.fetchCursor(
            db, sql: "SELECT phone_e164, import_id, source_line FROM jobs WHERE campaign_id = ?",
            arguments: [campaign.id])
        while let row = try existing.next() {
            if let key = Self.key(row[0]) {
                _ = seen.firstPlace(of: key, orInsert: Self.place(importID: row[1], line: row[2]))
            }
        }
    }

    static func place(importID: Int64, line: Int) -> UInt64 {
        UInt64(truncatingIfNeeded: importID) << 32 | UInt64(UInt32(clamping: line))
    }

    /// An E.164 number as an integer: at most 15 digits after the '+'.
    static func key(_ e164: String) -> UInt64? {
        var value: UInt64 = 0
        var digits = 0
        for byte in e164.utf8.dropFirst() {
            guard byte >= 48 && byte <= 57 else { return nil }
            value = value &* 10 &+ UInt64(byte - 48)
            digits += 1
        }
        return digits > 0 && digits <= 15 ? value : nil
    }

    /// Indexes on `jobs` that an import only appends to, so keeping them costs less than a rebuild:
    /// every new job of a campaign has the same (campaign_id, status, NULL) key and a rowid above
    /// all others, so its entry lands after the previous one, in a page already in the cache.
    /// Rebuilding it means reading the whole table once more.
    static let appendOnlyIndexes: Set<String> = ["jobs_by_status"]

    /// Drops the indexes on `jobs` that take random inserts (to be built again in `finish`): for an
    /// import that is large next to what the table holds, one sorted build costs less than keeping
    /// them up to date row by row.
    func dropIndexesForBulk(estimatedRows: Int) throws {
        seen.reserveCapacity(seen.count + estimatedRows)
        let indexes = try Row.fetchAll(
            db,
            sql: "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs' AND sql IS NOT NULL")
        for index in indexes {
            let name: String = index[0]
            if Self.appendOnlyIndexes.contains(name) { continue }
            try db.execute(sql: "DROP INDEX \(name.quotedDatabaseIdentifier)")
            droppedIndexes.append(index[1])
        }
    }

    /// Warms the cache for the numbers of `jobs` before they are claimed one by one.
    public func prefetch(_ jobs: PackedJobs) {
        // Kept, so that the compiler cannot drop the reads as unused.
        prefetched &+= seen.prefetch(jobs.headers.lazy.map(\.key))
    }

    /// Accepts job `index` of `jobs` unless its number is already taken: returns nil when accepted
    /// (it is stored by the next `write(jobs)`), or the job that already holds its number.
    public func claim(_ jobs: PackedJobs, _ index: Int) throws -> ExistingJob? {
        let header = jobs.headers[index]
        if let first = seen.firstPlace(of: header.key, orInsert: Self.place(importID: importID, line: header.line)) {
            let firstImport = Int64(first >> 32)
            return ExistingJob(
                importID: firstImport, line: Int(first & 0xFFFF_FFFF), sourceFile: try sourceFile(firstImport))
        }
        pending.append(index)
        return nil
    }

    /// Stores, in file order, the jobs of `jobs` that `claim` accepted. Call it once a batch, after
    /// its claims and before the next batch's: the statements point into `jobs` without copying.
    public func write(_ jobs: PackedJobs) throws {
        guard !pending.isEmpty else { return }
        defer { pending.removeAll(keepingCapacity: true) }
        try jobs.bytes.withUnsafeBufferPointer { bytes in
            var next = 0
            while next < pending.count {
                let rows = pending.count - next >= Self.rowsPerStatement ? Self.rowsPerStatement : 1
                let statement = (rows == 1 ? insertOne : insertMany).sqliteStatement
                sqlite3_reset(statement)
                for row in 0..<rows {
                    Self.bind(jobs, pending[next + row], bytes, to: statement, at: Int32(row) * Self.parametersPerJob)
                }
                let code = sqlite3_step(statement)
                guard code == SQLITE_DONE else {
                    throw DatabaseError(
                        resultCode: ResultCode(rawValue: code),
                        message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
                }
                next += rows
            }
        }
    }

    /// Binds the parameters of job `index` that differ from job to job, after parameter `base`.
    private static func bind(
        _ jobs: PackedJobs, _ index: Int, _ bytes: UnsafeBufferPointer<UInt8>, to statement: OpaquePointer?,
        at base: Int32
    ) {
        let header = jobs.headers[index]
        sqlite3_bind_int64(statement, base + 3, Int64(header.line))
        for field in PackedJobs.Field.allCases {
            let column = base + Int32(field.rawValue + 4)
            guard let range = jobs.range(index, field) else {
                sqlite3_bind_null(statement, column)
                continue
            }
            let text = UnsafeRawPointer(bytes.baseAddress! + range.lowerBound).assumingMemoryBound(to: CChar.self)
            sqlite3_bind_text(statement, column, text, Int32(range.count), nil)  // static: no copy
        }
        let status: StaticString = header.suppressed ? "suppressed" : "queued"
        status.withUTF8Buffer { text in
            text.withMemoryRebound(to: CChar.self) {
                _ = sqlite3_bind_text(statement, base + 12, $0.baseAddress, Int32($0.count), nil)
            }
        }
    }

    private func sourceFile(_ importID: Int64) throws -> String {
        if let file = sourceFiles[importID] { return file }
        let file = try String.fetchOne(db, sql: "SELECT source_file FROM imports WHERE id = ?", arguments: [importID])
        sourceFiles[importID] = file ?? "an earlier import"
        return file ?? "an earlier import"
    }

    /// Adds numbers to the suppression list inside this import's transaction and marks every job
    /// still waiting to be dialled for them as suppressed, in any campaign. `campaign import` saves its
    /// lists on their own first (`CampaignStore.addSuppressed`); a dry run counts with this one.
    public func suppress(_ lists: [(source: String, numbers: [String])]) throws -> SuppressionResult {
        try CampaignStore.addSuppressed(db, lists, now: now)
    }

    /// Every suppressed number.
    public func suppressedNumbers() throws -> Set<String> {
        Set(try String.fetchAll(db, sql: "SELECT phone_e164 FROM suppressed"))
    }

    /// Records the import's counts and builds again any index `dropIndexesForBulk` dropped. The
    /// session takes no more jobs after this.
    public func finish(rowsRead: Int, queued: Int, duplicates: Int, suppressed: Int, rejected: Int) throws {
        // The numbers seen (32 MB for a million) make room for the index build's sorter.
        seen = SeenNumbers()
        if !droppedIndexes.isEmpty {
            // The reading and validating threads are done by now: let SQLite's sorter use every core.
            let cores = min(8, ProcessInfo.processInfo.activeProcessorCount)
            try db.execute(sql: "PRAGMA threads = \(cores)")
            defer { try? db.execute(sql: "PRAGMA threads = 0") }
            for sql in droppedIndexes { try db.execute(sql: sql) }
        }
        droppedIndexes = []
        try db.execute(
            sql: """
                UPDATE imports SET rows_read = ?, queued = ?, duplicates = ?, suppressed = ?, rejected = ?
                WHERE id = ?
                """, arguments: [rowsRead, queued, duplicates, suppressed, rejected, importID])
    }
}

private let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

extension CampaignStore {
    /// Runs an import inside one transaction. `body` returns true to commit, false to roll back
    /// (a dry run, or an all-or-nothing import with rejected rows).
    ///
    /// An import much larger than the jobs already stored (the first import of a big file) is a bulk
    /// load: it runs with a rollback journal instead of the WAL, so each new page is written once
    /// rather than to the WAL and again at the checkpoint, and the `jobs` indexes are built at the
    /// end. It is just as atomic and durable; the WAL comes back when the import ends. When another
    /// connection has the database open the journal cannot change, and the import stays in WAL mode.
    public func importContacts<T>(
        into campaign: CampaignRecord, sourceFile: String, estimatedRows: Int, now: Date,
        _ body: (ImportSession) throws -> (commit: Bool, result: T)
    ) throws -> T {
        let stamp = Timestamp.string(now)
        var output: T?
        try queue.writeWithoutTransaction { db in
            let existing = try Int.fetchOne(db, sql: "SELECT count(*) FROM jobs") ?? 0
            let bulk = estimatedRows >= 10_000 && existing < estimatedRows
            var journalChanged = false
            if bulk && path != ":memory:" {
                journalChanged = (try? String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE")) == "delete"
            }
            // A bulk load appends, so it needs few pages in the cache; a small cache also makes the
            // index build sort in small runs that SQLite's sorter threads sort and merge in parallel
            // (scripts/bench/insert_floor.c: 0.65 s with 4 MB against 0.95 s with 16 MB, and less
            // memory). A smaller import probes the unique index, and keeps more of it in the cache.
            try db.execute(sql: bulk ? "PRAGMA cache_size = -4096" : "PRAGMA cache_size = -65536")
            // A bulk load does not have SQLite check each job's campaign_id and import_id against
            // their parent rows (a lookup in two tables per job): the import writes both ids itself,
            // from the rows it inserts or reads in the same transaction. Changing this setting is
            // only possible outside a transaction; it is on again when the import ends.
            if bulk { try db.execute(sql: "PRAGMA foreign_keys = OFF") }
            // Nor the CHECK on jobs.status: the import writes one of two constants, 'queued' or
            // 'suppressed' (ImportSession.bind), both in the list. SQLite 3.40 checks `status IN
            // (...)` by building an eight-row temporary B-tree for every row it inserts (EXPLAIN:
            // OpenEphemeral and eight IdxInsert per row), 0.85 s a million rows, more than a third of
            // the insert. The flag is read when a statement is compiled, so it is on for as long as
            // the import's statements may be (re)compiled, and off again before anything else runs.
            if bulk { try db.execute(sql: "PRAGMA ignore_check_constraints = ON") }
            defer {
                try? db.execute(sql: "PRAGMA cache_size = -2000")
                if bulk {
                    try? db.execute(sql: "PRAGMA foreign_keys = ON")
                    try? db.execute(sql: "PRAGMA ignore_check_constraints = OFF")
                }
                if journalChanged { _ = try? String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
            }
            try db.inTransaction(.immediate) {
                var campaign = campaign
                if campaign.id == 0 {
                    try db.execute(
                        sql: """
                            INSERT INTO campaigns (name, template, columns, phone_column, region, language, voice,
                                from_number, transfer_to, timezone, created_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            campaign.name, campaign.template, CSVWriter.record(campaign.columns), campaign.phoneColumn,
                            campaign.region, campaign.defaults.language, campaign.defaults.voice,
                            campaign.defaults.from, campaign.defaults.transferTo, campaign.defaults.timezone, stamp,
                        ])
                    campaign.id = db.lastInsertedRowID
                }
                try db.execute(
                    sql: "INSERT INTO imports (campaign_id, source_file, imported_at) VALUES (?, ?, ?)",
                    arguments: [campaign.id, sourceFile, stamp])
                let session = try ImportSession(
                    db: db, campaign: campaign, importID: db.lastInsertedRowID, sourceFile: sourceFile, now: stamp)
                if bulk { try session.dropIndexesForBulk(estimatedRows: estimatedRows) }
                let (commit, result) = try body(session)
                output = result
                return commit ? .commit : .rollback
            }
        }
        return output!
    }
}
