import Foundation
import PostgresNIO

/// One job's results columns on PostgreSQL: the bytes of the row's cells, as the server sent them. Every column the
/// export reads is text (`attempts` is cast to text in the query), and a text field's bytes are its UTF-8 text, so
/// nothing is decoded into a `String`. Valid only inside the `forEachResultRow` call.
///
/// The server sends the columns as one `ROW(...)` value in the binary format of a record (`record_send`): the number
/// of fields, then for each field its type's oid, its length (-1 for NULL) and its bytes, integers big-endian. The
/// fields are found once a row; the bytes are the message's own, borrowed for the row's `body` call.
/// One cell a row instead of eleven: postgres-nio's work for each cell (a `PostgresCell` with its column's name,
/// type and format, their references counted) was most of the client's CPU, and the client, not the server, the
/// slower side of `report --csv` (perf, 1,000,000 jobs).
public struct PostgresResultRow: ResultRowBytes {
    /// The record's bytes, borrowed for the one `body` call of `forEachResultRow` that gets this row.
    private let record: UnsafeBufferPointer<UInt8>
    /// Where each field's bytes start in `record` (at 2 x field) and their length (-1: NULL; at 2 x field + 1), found
    /// once by `init?` in room the caller lends for the same call.
    private let fields: UnsafeMutableBufferPointer<Int>

    /// nil unless `record` is a record of exactly `ResultRowLayout.columnCount` fields, each within its bytes.
    fileprivate init?(record: UnsafeBufferPointer<UInt8>, fields: UnsafeMutableBufferPointer<Int>) {
        precondition(fields.count >= 2 * ResultRowLayout.columnCount)
        self.record = record
        self.fields = fields
        let raw = UnsafeRawBufferPointer(record)
        guard raw.count >= 4, Self.integer(raw, at: 0) == ResultRowLayout.columnCount else { return nil }
        var offset = 4
        for field in 0..<ResultRowLayout.columnCount {
            guard offset + 8 <= raw.count else { return nil }
            let length = Self.integer(raw, at: offset + 4)
            guard length >= -1, offset + 8 + max(0, length) <= raw.count else { return nil }
            fields[2 * field] = offset + 8
            fields[2 * field + 1] = length
            offset += 8 + max(0, length)
        }
        guard offset == raw.count else { return nil }
    }

    public func withBytes<T>(_ column: Int, _ body: (UnsafeBufferPointer<UInt8>?) throws -> T) rethrows -> T {
        precondition((0..<ResultRowLayout.columnCount).contains(column), "no column \(column) in a results row")
        let length = fields[2 * column + 1]
        guard length >= 0 else { return try body(nil) }
        let start = fields[2 * column]
        return try body(UnsafeBufferPointer(rebasing: record[start..<start + length]))
    }

    /// The big-endian 32-bit signed integer at `offset`.
    private static func integer(_ raw: UnsafeRawBufferPointer, at offset: Int) -> Int {
        Int(Int32(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
    }
}

/// One moment of a campaign on PostgreSQL: every query runs on one connection inside the `REPEATABLE READ READ ONLY`
/// transaction `readReport` opened, so every figure of a report is of the same moment while a run commits.
/// The statements are `CampaignStore+Report.swift`'s, in PostgreSQL's dialect.
public struct PostgresSnapshot: ReportReading {
    let sql: PostgresSQL
    public let campaign: CampaignRecord

    private func query<T>(_ body: () async throws(PostgresStoreError) -> T) async throws(StoreError) -> T {
        do { return try await body() } catch { throw .postgres(error) }
    }

    public func liveRunners() async throws(StoreError) -> [LiveRunner] {
        try await query { () async throws(PostgresStoreError) in
            try await PostgresRunner.live(sql, campaign: campaign.id)
        }
    }

    /// What `jobCounts` and `jobTotals` read, from the one scan the first of them makes.
    private let jobFigures = JobFigures()

    public func jobCounts() async throws(StoreError) -> JobCounts {
        try await scanJobs().counts
    }

    public func nextQueuedTime() async throws(StoreError) -> Date? {
        try await query { () throws(PostgresStoreError) in
            try await PostgresStore.nextQueuedTime(sql, campaign: campaign)
        }
    }

    public func jobTotals() async throws(StoreError) -> JobTotals {
        try await scanJobs().totals
    }

    /// The counts by status and the totals by outcome, in one scan of the campaign's jobs (grouped by both) rather
    /// than two: on 1,000,000 jobs a scan is 0.2 to 0.9 s of `report --csv` before the first row. Kept for the
    /// second caller; the snapshot makes a second scan read the same rows anyway.
    private func scanJobs() async throws(StoreError) -> (counts: JobCounts, totals: JobTotals) {
        if let kept = jobFigures.value { return kept }
        let rows = try await query { () throws(PostgresStoreError) in
            try await sql.rows(
                """
                SELECT status, outcome, COUNT(*), COALESCE(SUM(attempts), 0)::bigint,
                    COUNT(*) FILTER (WHERE review_reason IS NOT NULL AND status != 'unknown')
                FROM jobs WHERE campaign_id = \(campaign.id) GROUP BY status, outcome
                """, as: (String, String?, Int64, Int64, Int64).self)
        }
        var byStatus: [String: Int64] = [:]
        var totals = JobTotals()
        for (status, outcome, count, attempts, flagged) in rows {
            byStatus[status, default: 0] += count
            if let outcome { totals.byOutcome[outcome, default: 0] += Int(count) }
            totals.attemptsUsed += Int(attempts)
            totals.flagged += Int(flagged)
        }
        let figures = (counts: try PostgresStore.jobCounts(byStatus.map { ($0.key, $0.value) }), totals: totals)
        jobFigures.value = figures
        return figures
    }

    public func attemptStates() async throws(StoreError) -> [String: Int] {
        let rows = try await query { () throws(PostgresStoreError) in
            try await sql.rows(
                """
                SELECT a.state, COUNT(*) FROM attempts a JOIN jobs j ON j.id = a.job_id
                WHERE j.campaign_id = \(campaign.id) GROUP BY a.state
                """, as: (String, Int64).self)
        }
        return Dictionary(rows.map { ($0.0, Int($0.1)) }, uniquingKeysWith: +)
    }

    public func waitingJobCount(now: Date) async throws(StoreError) -> Int {
        try await query { () throws(PostgresStoreError) in
            Int(
                try await sql.values(
                    """
                    SELECT COUNT(*) FROM jobs WHERE campaign_id = \(campaign.id) AND status = 'queued'
                        AND next_attempt_at > \(Timestamp.string(now))
                    """, as: Int64.self
                ).first ?? 0)
        }
    }

    public func waitingForCap(now: Date) async throws(StoreError) -> (count: Int, until: Date?) {
        let rows = try await query { () throws(PostgresStoreError) in
            try await sql.rows(
                """
                SELECT COUNT(*), MIN(next_attempt_at) FROM jobs
                WHERE campaign_id = \(campaign.id) AND status = 'queued' AND waiting_for = 'cap'
                    AND next_attempt_at > \(Timestamp.string(now))
                """, as: (Int64, String?).self)
        }
        guard let row = rows.first else { return (0, nil) }
        return (Int(row.0), row.1.flatMap(Timestamp.date))
    }

    public func reviewJobs(unknown: Bool, limit: Int) async throws(StoreError) -> [ReviewJob] {
        let condition = unknown ? "status = 'unknown'" : "status != 'unknown' AND review_reason IS NOT NULL"
        let rows = try await query { () throws(PostgresStoreError) in
            try await sql.rows(
                """
                SELECT id, phone_e164, status, attempts, COALESCE(review_reason, error), last_attempt_at
                FROM jobs WHERE campaign_id = \(campaign.id) AND \(unescaped: condition) ORDER BY id
                LIMIT \(Int64(limit))
                """, as: (Int64, String, String, Int64, String?, String?).self)
        }
        return rows.map {
            ReviewJob(id: $0.0, phone: $0.1, status: $0.2, attempts: Int($0.3), reason: $0.4, lastAttemptAt: $0.5)
        }
    }

    public func callMinutes() async throws(StoreError) -> CallMinutes {
        // SQLite's julianday difference in ms, rounded half away from zero as both ROUNDs do; SUM of a bigint is a
        // numeric on PostgreSQL, cast back.
        let rows = try await query { () throws(PostgresStoreError) in
            try await sql.rows(
                """
                SELECT COUNT(*), COALESCE(SUM(GREATEST(1, (ms + 59999) / 60000)), 0)::bigint,
                    (COALESCE(SUM(ms), 0) / 1000.0)::float8
                FROM (
                    SELECT GREATEST(0, ROUND(EXTRACT(EPOCH FROM (a.ended_at::timestamptz
                        - a.started_at::timestamptz)) * 1000)::bigint) AS ms
                    FROM attempts a JOIN jobs j ON j.id = a.job_id
                    WHERE j.campaign_id = \(campaign.id) AND a.state = 'ended' AND a.ended_at IS NOT NULL) AS spans
                """, as: (Int64, Int64, Double).self)
        }
        guard let row = rows.first else { return CallMinutes(calls: 0, startedMinutes: 0, seconds: 0) }
        return CallMinutes(calls: Int(row.0), startedMinutes: Int(row.1), seconds: row.2)
    }

    public func callSpan(now: Date) async throws(StoreError) -> (start: String, end: String)? {
        let rows = try await query { () throws(PostgresStoreError) in
            try await sql.rows(
                """
                SELECT MIN(a.started_at), MAX(COALESCE(a.ended_at, \(Timestamp.string(now))))
                FROM attempts a JOIN jobs j ON j.id = a.job_id
                WHERE j.campaign_id = \(campaign.id) AND a.state NOT IN ('rejected', 'not_placed')
                """, as: (String?, String?).self)
        }
        guard let row = rows.first, let start = row.0, let end = row.1 else { return nil }
        return (start, end)
    }

    public func forEachCallEdge(
        now: Date, _ body: (_ time: String, _ delta: Int) throws -> Void
    ) async throws(StoreError) {
        let stamp = Timestamp.string(now)
        // COLLATE "C": the bytewise order SQLite sorts the ISO times in, whatever the parameter's collation.
        try await forEach(
            """
            SELECT t, d FROM (
                SELECT a.started_at AS t, 1::bigint AS d FROM attempts a JOIN jobs j ON j.id = a.job_id
                WHERE j.campaign_id = \(campaign.id) AND a.state NOT IN ('rejected', 'not_placed')
                UNION ALL
                SELECT COALESCE(a.ended_at, \(stamp)), -1::bigint FROM attempts a JOIN jobs j ON j.id = a.job_id
                WHERE j.campaign_id = \(campaign.id) AND a.state NOT IN ('rejected', 'not_placed')) AS edges
            ORDER BY t COLLATE "C", d
            """
        ) { row in
            let (time, delta) = try row.decode((String, Int64).self)
            try body(time, Int(delta))
        }
    }

    public func forEachJob(_ body: (JobRecord) throws -> Void) async throws(StoreError) {
        try await forEach(
            """
            SELECT id, source_line, row_csv, phone_e164, status, outcome, attempts, interaction_id, summary,
                recording_url, error, review_reason, next_attempt_at, last_attempt_at, completed_at
            FROM jobs WHERE campaign_id = \(campaign.id) ORDER BY id
            """
        ) { row in
            let c = try row.decode(
                (
                    Int64, Int64, String, String, String, String?, Int64, String?, String?, String?, String?, String?,
                    String?, String?, String?
                ).self)
            try body(
                JobRecord(
                    id: c.0, sourceLine: Int(c.1), rowCSV: c.2, phoneE164: c.3, status: c.4, outcome: c.5,
                    attempts: Int(c.6), interactionID: c.7, summary: c.8, recordingURL: c.9, error: c.10,
                    reviewReason: c.11, nextAttemptAt: c.12, lastAttemptAt: c.13, completedAt: c.14))
        }
    }

    /// Streams the rows as the server sends them (postgres-nio asks for more as they are consumed), so a million
    /// jobs cost one row's memory, not a million.
    public func forEachResultRow(_ body: (PostgresResultRow) throws -> Void) async throws(StoreError) {
        // ResultRowLayout.columns in order, with attempts as text: its bytes must be the number's digits.
        try await forEach(
            """
            SELECT ROW(row_csv, phone_e164, status, outcome, attempts::text, interaction_id, summary, recording_url,
                error, last_attempt_at, completed_at)
            FROM jobs WHERE campaign_id = \(campaign.id) ORDER BY id
            """
        ) { row in
            try row.decode(ByteBuffer.self).withUnsafeReadableBytes { raw in
                try withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * ResultRowLayout.columnCount) { fields in
                    guard let result = PostgresResultRow(record: raw.bindMemory(to: UInt8.self), fields: fields) else {
                        throw StoreError.postgres(
                            .server(
                                location: sql.location.redacted,
                                reason: "a results row came back in a form this binary does not read"))
                    }
                    try body(result)
                }
            }
        }
    }

    /// Runs `query` and calls `body` for each row as it arrives; `body`'s own errors pass through as they are.
    private func forEach(_ query: PostgresQuery, _ body: (PostgresRow) throws -> Void) async throws(StoreError) {
        do {
            for try await row in try await sql.send(query) { try body(row) }
        } catch let error as StoreError {
            throw error
        } catch let error as PostgresStoreError {
            throw .postgres(error)
        } catch let error as PSQLError {
            throw .postgres(PostgresStoreError(error, location: sql.location))
        } catch {
            throw .database(error)
        }
    }
}

/// `PostgresSnapshot`'s job figures once read; a snapshot lives in one task (`readReport`'s body).
private final class JobFigures {
    var value: (counts: JobCounts, totals: JobTotals)?
}

extension PostgresStore: ReportStore {
    /// Runs `body` on one `REPEATABLE READ READ ONLY` transaction of one connection, held for all of `body`: every
    /// figure it reads is of the transaction's first statement's moment. What `body` throws is thrown as it is.
    public func readReport<T>(campaign: CampaignRecord, _ body: (PostgresSnapshot) async throws -> T) async throws
        -> T
    {
        var outcome: Result<T, any Error>?
        try await withSQL { sql throws(PostgresStoreError) in
            try await sql.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            // The snapshot is taken at the first statement, not at BEGIN: take it now.
            try await sql.execute("SELECT 1")
            do {
                outcome = .success(try await body(PostgresSnapshot(sql: sql, campaign: campaign)))
            } catch {
                outcome = .failure(error)
            }
            try? await sql.execute("ROLLBACK")
        }
        return try outcome!.get()
    }

    /// Every campaign with its creation time and its jobs by status, oldest first, of one snapshot.
    public func campaignProgress() async throws(StoreError) -> [CampaignProgress] {
        let (campaigns, counts, running) = try await withSQL { sql throws(PostgresStoreError) in
            try await sql.snapshot { () throws(PostgresStoreError) in
                (
                    try await sql.rows(
                        "SELECT id, name, created_at FROM campaigns ORDER BY id", as: (Int64, String, String).self),
                    try await sql.rows(
                        "SELECT campaign_id, status, COUNT(*) FROM jobs GROUP BY campaign_id, status",
                        as: (Int64, String, Int64).self),
                    try await sql.values(
                        "SELECT DISTINCT campaign_id FROM runners WHERE state = 'running' ORDER BY 1", as: Int64.self)
                )
            }
        }
        var byCampaign: [Int64: [(String, Int64)]] = [:]
        for (id, status, count) in counts { byCampaign[id, default: []].append((status, count)) }
        var progress = try campaigns.map { (id, name, createdAt) throws(StoreError) in
            CampaignProgress(name: name, createdAt: createdAt, counts: try Self.jobCounts(byCampaign[id] ?? []))
        }
        for (index, campaign) in campaigns.enumerated() where running.contains(campaign.0) {
            progress[index].runners = try await withSQL { sql throws(PostgresStoreError) in
                try await PostgresRunner.live(sql, campaign: campaign.0)
            }
        }
        return progress
    }

    /// Counts by status from `(status, count)` rows; a status this binary does not know is an error, not a guess.
    static func jobCounts(_ rows: [(String, Int64)]) throws(StoreError) -> JobCounts {
        do {
            return try JobCounts(statusRows: rows.lazy.map { ($0.0, Int($0.1)) })
        } catch {
            throw .database(error)
        }
    }
}
