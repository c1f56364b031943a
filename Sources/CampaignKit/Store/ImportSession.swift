import Foundation
import GRDB
import GRDBSQLite

/// A stored campaign.
public struct CampaignRecord: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var template: String
    public var columns: [String]
    public var phoneColumn: String
    public var region: String
    public var defaults: CallOptions
}

/// Where a number that is already queued came from.
public struct ExistingJob: Sendable, Equatable {
    public var importID: Int64
    public var line: Int
    public var sourceFile: String
}

/// One validated contact, ready to be stored.
public struct NewJob: Sendable {
    public var line: Int
    public var rowCSV: String
    public var phoneE164: String
    public var prompt: String
    public var overrides: CallOptions
    public var suppressed: Bool
}

/// An import in progress inside one write transaction: nothing it writes is visible, or kept,
/// unless the importer decides to commit.
public final class ImportSession {
    let db: Database
    public let campaign: CampaignRecord
    public let importID: Int64
    private let insertJob: Statement
    private let findJob: Statement
    private let now: String

    init(db: Database, campaign: CampaignRecord, importID: Int64, now: String) throws {
        self.db = db
        self.campaign = campaign
        self.importID = importID
        self.now = now
        insertJob = try db.makeStatement(
            sql: """
                INSERT INTO jobs (campaign_id, import_id, source_line, row_csv, phone_e164, prompt,
                    language, voice, from_number, transfer_to, timezone, status, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (campaign_id, phone_e164) DO NOTHING
                """)
        findJob = try db.makeStatement(
            sql: """
                SELECT jobs.import_id, jobs.source_line, imports.source_file FROM jobs
                JOIN imports ON imports.id = jobs.import_id
                WHERE jobs.campaign_id = ? AND jobs.phone_e164 = ?
                """)
    }

    /// Stores one job. Returns nil when stored, or the job that already holds this number.
    public func insert(_ job: NewJob) throws -> ExistingJob? {
        let statement = insertJob.sqliteStatement
        sqlite3_reset(statement)
        sqlite3_bind_int64(statement, 1, campaign.id)
        sqlite3_bind_int64(statement, 2, importID)
        sqlite3_bind_int64(statement, 3, Int64(job.line))
        bind(statement, 4, job.rowCSV)
        bind(statement, 5, job.phoneE164)
        bind(statement, 6, job.prompt)
        bind(statement, 7, job.overrides.language)
        bind(statement, 8, job.overrides.voice)
        bind(statement, 9, job.overrides.from)
        bind(statement, 10, job.overrides.transferTo)
        bind(statement, 11, job.overrides.timezone)
        bind(statement, 12, job.suppressed ? "suppressed" : "queued")
        bind(statement, 13, now)
        bind(statement, 14, now)
        let code = sqlite3_step(statement)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
        if sqlite3_changes(db.sqliteConnection) == 1 { return nil }
        let row = try Row.fetchOne(findJob, arguments: [campaign.id, job.phoneE164])!
        return ExistingJob(importID: row[0], line: row[1], sourceFile: row[2])
    }

    private func bind(_ statement: SQLiteStatement, _ index: Int32, _ value: String?) {
        guard var text = value else {
            sqlite3_bind_null(statement, index)
            return
        }
        text.withUTF8 { bytes in
            _ = sqlite3_bind_text(statement, index, bytes.baseAddress, Int32(bytes.count), SQLITE_TRANSIENT)
        }
    }

    /// Adds numbers to the suppression list and marks every job still waiting to be dialled for
    /// them as suppressed, in any campaign.
    public func suppress(_ numbers: [String], source: String) throws -> Int {
        let statement = try db.makeStatement(
            sql: "INSERT INTO suppressed (phone_e164, source, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
        for number in numbers {
            try statement.execute(arguments: [number, source, now])
        }
        try db.execute(
            sql: """
                UPDATE jobs SET status = 'suppressed', updated_at = ?
                WHERE status = 'queued' AND phone_e164 IN (SELECT phone_e164 FROM suppressed)
                """, arguments: [now])
        return db.changesCount
    }

    /// Every suppressed number.
    public func suppressedNumbers() throws -> Set<String> {
        Set(try String.fetchAll(db, sql: "SELECT phone_e164 FROM suppressed"))
    }

    /// Records the import's counts.
    public func finish(rowsRead: Int, queued: Int, duplicates: Int, suppressed: Int, rejected: Int) throws {
        try db.execute(
            sql: """
                UPDATE imports SET rows_read = ?, queued = ?, duplicates = ?, suppressed = ?, rejected = ?
                WHERE id = ?
                """, arguments: [rowsRead, queued, duplicates, suppressed, rejected, importID])
    }
}

private let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

extension CampaignStore {
    /// The campaign called `name`, if there is one.
    public func campaign(named name: String) throws(StoreError) -> CampaignRecord? {
        try read { db in try Self.fetchCampaign(db, name: name) }
    }

    /// Names of all campaigns, oldest first.
    public func campaignNames() throws(StoreError) -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT name FROM campaigns ORDER BY id") }
    }

    static func fetchCampaign(_ db: Database, name: String) throws -> CampaignRecord? {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT id, name, template, columns, phone_column, region, language, voice, from_number,
                        transfer_to, timezone FROM campaigns WHERE name = ?
                    """, arguments: [name])
        else { return nil }
        return CampaignRecord(
            id: row[0], name: row[1], template: row[2], columns: CSVReader.parseLine(row[3]), phoneColumn: row[4],
            region: row[5],
            defaults: CallOptions(language: row[6], voice: row[7], from: row[8], transferTo: row[9], timezone: row[10]))
    }

    /// Runs an import inside one transaction. `body` returns true to commit, false to roll back
    /// (a dry run, or an all-or-nothing import with rejected rows).
    public func importContacts<T>(
        into campaign: CampaignRecord, sourceFile: String, now: Date,
        _ body: (ImportSession) throws -> (commit: Bool, result: T)
    ) throws -> T {
        let stamp = Timestamp.string(now)
        var output: T?
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA cache_size = -65536")
            defer { try? db.execute(sql: "PRAGMA cache_size = -2000") }
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
                    db: db, campaign: campaign, importID: db.lastInsertedRowID, now: stamp)
                let (commit, result) = try body(session)
                output = result
                return commit ? .commit : .rollback
            }
        }
        return output!
    }
}
