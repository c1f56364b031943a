import Foundation
import GRDB
import GRDBSQLite

/// One job's columns as the results export reads them: raw bytes straight from SQLite.
///
/// Valid only inside the `forEachResultRow` closure that receives it: the bytes belong to the statement
/// and change at the next row. Reading bytes instead of `String`s is what lets a million-row export keep
/// pace with sqlite3's own CSV output (see scripts/BENCH-REPORT.md).
public struct SQLiteResultRow: ResultRowBytes {
    let statement: SQLiteStatement

    init(statement: SQLiteStatement) { self.statement = statement }

    public func withBytes<T>(_ column: Int, _ body: (UnsafeBufferPointer<UInt8>?) throws -> T) rethrows -> T {
        guard sqlite3_column_type(statement, Int32(column)) != SQLITE_NULL,
            let text = sqlite3_column_text(statement, Int32(column))
        else { return try body(nil) }
        let count = Int(sqlite3_column_bytes(statement, Int32(column)))
        return try body(UnsafeBufferPointer(start: text, count: count))
    }
}

/// One moment of a campaign as `campaign report` reads it from SQLite: every query below runs in the read
/// transaction `CampaignStore.readReport` opened on a connection of its own, so every figure of a report
/// (summary, results CSV, timeline, jobs) is of the same moment, even while `campaign run` commits. Separate
/// reads once let a report taken during a run count a job `queued` in one figure and `answered` in the next.
///
/// Valid only inside the `readReport` closure that receives it.
public struct SQLiteSnapshot: ReportReading {
    let connection: DatabaseQueue
    public let campaign: CampaignRecord

    /// Runs one query in the snapshot's transaction, with SQLite's errors as the store's.
    private func query<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try connection.inDatabase(body) } catch { throw CampaignStore.storeError(error) }
    }

    /// The campaign's jobs by status.
    public func jobCounts() throws(StoreError) -> JobCounts {
        try query { db in try CampaignStore.jobCounts(db, campaign: campaign) }
    }

    /// The earliest `next_attempt_at` of the queued jobs (`distantPast` when one is due now), or nil.
    public func nextQueuedTime() throws(StoreError) -> Date? {
        try query { db in try CampaignStore.nextQueuedTime(db, campaign: campaign) }
    }

    /// Jobs by their last outcome label, attempts used, and jobs flagged for review (other than `unknown`
    /// ones), in one scan of the campaign's jobs: the summary of a million jobs pays for one pass, not three.
    public func jobTotals() throws(StoreError) -> JobTotals {
        try query { db in
            var totals = JobTotals()
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT outcome, COUNT(*), SUM(attempts), SUM(review_reason IS NOT NULL AND status != 'unknown')
                    FROM jobs WHERE campaign_id = ? GROUP BY outcome
                    """, arguments: [campaign.id])
            for row in rows {
                if let outcome: String = row[0] { totals.byOutcome[outcome] = row[1] }
                totals.attemptsUsed += row[2] as Int
                totals.flagged += row[3] as Int
            }
            return totals
        }
    }

    /// Attempts by state.
    public func attemptStates() throws(StoreError) -> [String: Int] {
        try query { db in
            var byState: [String: Int] = [:]
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT a.state, COUNT(*) FROM attempts a JOIN jobs j ON j.id = a.job_id
                    WHERE j.campaign_id = ? GROUP BY a.state
                    """, arguments: [campaign.id])
            for row in rows { byState[row[0]] = row[1] }
            return byState
        }
    }

    /// Queued jobs whose retry (or calling window) is in the future at `now`.
    public func waitingJobCount(now: Date) throws(StoreError) -> Int {
        try query { db in
            try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM jobs WHERE campaign_id = ? AND status = 'queued' AND next_attempt_at > ?",
                arguments: [campaign.id, Timestamp.string(now)]) ?? 0
        }
    }

    /// Queued jobs held back by per-number limits (`--max-calls-per-number`, `--min-gap`) at `now`, and when
    /// the first of them may be called.
    public func waitingForCap(now: Date) throws(StoreError) -> (count: Int, until: Date?) {
        try query { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*), MIN(next_attempt_at) FROM jobs
                    WHERE campaign_id = ? AND status = 'queued' AND waiting_for = 'cap' AND next_attempt_at > ?
                    """, arguments: [campaign.id, Timestamp.string(now)])
            return (row?[0] ?? 0, (row?[1] as String?).flatMap(Timestamp.date))
        }
    }

    /// Jobs a person must look at, oldest first, at most `limit`.
    ///
    /// `unknown: true` lists the `unknown` jobs (a call may have been placed); `false` lists the other jobs
    /// that carry a review reason.
    public func reviewJobs(unknown: Bool, limit: Int) throws(StoreError) -> [ReviewJob] {
        let condition = unknown ? "status = 'unknown'" : "status != 'unknown' AND review_reason IS NOT NULL"
        return try query { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, phone_e164, status, attempts, COALESCE(review_reason, error), last_attempt_at
                    FROM jobs WHERE campaign_id = ? AND \(condition) ORDER BY id LIMIT ?
                    """, arguments: [campaign.id, limit])
            return rows.map {
                ReviewJob(
                    id: $0[0], phone: $0[1], status: $0[2], attempts: $0[3], reason: $0[4], lastAttemptAt: $0[5])
            }
        }
    }

    /// Started minutes of the calls that ended, from their attempts' timestamps.
    ///
    /// `started_at` is written just before the POST and `ended_at` when the run learnt that the call ended,
    /// so each span is a little longer than the call: the estimate errs on the high side.
    public func callMinutes() throws(StoreError) -> CallMinutes {
        try query { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*), COALESCE(SUM(MAX(1, (ms + 59999) / 60000)), 0), COALESCE(SUM(ms), 0) / 1000.0
                    FROM (
                        SELECT MAX(0, CAST(ROUND((julianday(a.ended_at) - julianday(a.started_at)) * 86400000)
                            AS INTEGER)) AS ms
                        FROM attempts a JOIN jobs j ON j.id = a.job_id
                        WHERE j.campaign_id = ? AND a.state = 'ended' AND a.ended_at IS NOT NULL)
                    """, arguments: [campaign.id])
            guard let row else { return CallMinutes(calls: 0, startedMinutes: 0, seconds: 0) }
            return CallMinutes(calls: row[0], startedMinutes: row[1], seconds: row[2])
        }
    }

    /// The first start and the last end of the campaign's calls (an unended call ends at `now`), or nil
    /// when no call was ever started.
    public func callSpan(now: Date) throws(StoreError) -> (start: String, end: String)? {
        try query { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT MIN(a.started_at), MAX(COALESCE(a.ended_at, ?2)) FROM attempts a JOIN jobs j ON j.id = a.job_id
                    WHERE j.campaign_id = ?1 AND a.state NOT IN ('rejected', 'not_placed')
                    """, arguments: [campaign.id, Timestamp.string(now)])
            guard let row, let start = row[0] as String?, let end = row[1] as String? else { return nil }
            return (start, end)
        }
    }

    /// Calls `body` with every start (+1) and end (-1) of the calls that may have been live, in time order.
    ///
    /// A call that has not ended (dialing or placed) ends at `now`. Attempts refused before any call
    /// (`rejected`, `not_placed`) are left out.
    public func forEachCallEdge(
        now: Date, _ body: (_ time: String, _ delta: Int) throws -> Void
    ) throws(StoreError) {
        try query { db in
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT t, d FROM (
                        SELECT a.started_at AS t, 1 AS d FROM attempts a JOIN jobs j ON j.id = a.job_id
                        WHERE j.campaign_id = ?1 AND a.state NOT IN ('rejected', 'not_placed')
                        UNION ALL
                        SELECT COALESCE(a.ended_at, ?2), -1 FROM attempts a JOIN jobs j ON j.id = a.job_id
                        WHERE j.campaign_id = ?1 AND a.state NOT IN ('rejected', 'not_placed'))
                    ORDER BY t, d
                    """, arguments: [campaign.id, Timestamp.string(now)])
            while let row = try cursor.next() {
                try body(row[0], row[1])
            }
        }
    }

    /// Calls `body` for every job with its contact row, in import order (for `--json --jobs`).
    public func forEachJob(_ body: (JobRecord) throws -> Void) throws(StoreError) {
        try query { db in
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT id, source_line, row_csv, phone_e164, status, outcome, attempts, interaction_id, summary,
                        recording_url, error, review_reason, next_attempt_at, last_attempt_at, completed_at
                    FROM jobs WHERE campaign_id = ? ORDER BY id
                    """, arguments: [campaign.id])
            while let row = try cursor.next() {
                try body(
                    JobRecord(
                        id: row[0], sourceLine: row[1], rowCSV: row[2], phoneE164: row[3], status: row[4],
                        outcome: row[5], attempts: row[6], interactionID: row[7], summary: row[8],
                        recordingURL: row[9], error: row[10], reviewReason: row[11], nextAttemptAt: row[12],
                        lastAttemptAt: row[13], completedAt: row[14]))
            }
        }
    }

    /// Calls `body` for every job, in import order, with the columns as raw bytes.
    public func forEachResultRow(_ body: (SQLiteResultRow) throws -> Void) throws(StoreError) {
        try query { db in
            let statement = try db.makeStatement(
                sql: """
                    SELECT \(ResultRowLayout.columns) FROM jobs WHERE campaign_id = ? ORDER BY id
                    """)
            let cursor = try Row.fetchCursor(statement, arguments: [campaign.id])
            let raw = SQLiteResultRow(statement: statement.sqliteStatement)
            while try cursor.next() != nil {
                try body(raw)
            }
        }
    }
}

/// The store operations of `campaign report` and `campaign list`. All their SQL is here.
extension CampaignStore {
    /// Runs `body` inside one read transaction of `campaign`'s database, on a connection of its own that
    /// holds the transaction across `body`'s suspensions (the store's own connection is the run's writer).
    /// What `body` throws is thrown as it is; SQLite's own errors become `StoreError`s.
    public func readReport<T>(campaign: CampaignRecord, _ body: (SQLiteSnapshot) async throws -> T) async throws -> T {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        // The one transaction is left open between the snapshot's queries on purpose, and ended below.
        configuration.allowsUnsafeTransactions = true
        let connection: DatabaseQueue
        do {
            connection = try DatabaseQueue(path: path, configuration: configuration)
            // A deferred transaction takes its snapshot at its first read, so it reads at once.
            try connection.inDatabase { db in
                try db.beginTransaction(.deferred)
                _ = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM campaigns")
            }
        } catch {
            throw Self.storeError(error)
        }
        defer { try? connection.inDatabase { db in try db.rollback() } }
        return try await body(SQLiteSnapshot(connection: connection, campaign: campaign))
    }

    /// Every campaign with its creation time and its jobs by status, oldest first, read in one transaction.
    public func campaignProgress() throws(StoreError) -> [CampaignProgress] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT name, created_at FROM campaigns ORDER BY id")
            return try rows.compactMap { row in
                guard let record = try Self.fetchCampaign(db, name: row[0]) else { return nil }
                return CampaignProgress(
                    name: record.name, createdAt: row[1], counts: try Self.jobCounts(db, campaign: record))
            }
        }
    }
}
