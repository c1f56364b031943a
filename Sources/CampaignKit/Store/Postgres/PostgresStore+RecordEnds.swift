import Foundation
import PostgresNIO

/// Many calls' ends in one statement: at 500 slots a claim records hundreds of them, and one compare-and-set per
/// call (4 to 6 statements, each a round trip) made the claims the run's limit. The batch keeps each end's own
/// guard and its own `applied` or `stale`; anything it cannot vouch for is written again one call at a time.
extension PostgresStore {
    /// `results` in their order, each `applied` or `stale` as `record(_:_:owner:)` would answer it: consecutive
    /// ends go as one batch (`recordEnds`), the rarer results one by one.
    static func record(
        _ results: [AttemptResult], _ sql: PostgresSQL, owner: RunnerOwner?
    ) async throws(PostgresStoreError) -> [GuardedWrite] {
        var written: [GuardedWrite] = []
        var ends: [CallEnd] = []
        // The jobs of `ends`: looked up once per end, in batches of hundreds.
        var jobs: Set<Int64> = []
        let flush = { (ends: [CallEnd]) async throws(PostgresStoreError) -> [GuardedWrite] in
            ends.isEmpty ? [] : try await recordEnds(ends, sql, owner: owner)
        }
        for result in results {
            // Two ends of one job in a batch would be one row to the UPDATE: the second starts a new batch.
            if case .ended(let end) = result.kind, jobs.insert(end.jobID).inserted {
                ends.append(end)
                continue
            }
            written += try await flush(ends)
            ends = []
            jobs = []
            if case .ended(let end) = result.kind {
                ends.append(end)
                jobs.insert(end.jobID)
            } else {
                written.append(try await record(result, sql, owner: owner))
            }
        }
        written += try await flush(ends)
        return written
    }

    /// `ends` written as `record(_:_:stamp:owner:)` writes each (the POST's answer first when it came only now,
    /// then the end), in one statement inside a savepoint. A job's row is changed only when its own guard holds
    /// (`\(job:in:owner:)` and its attempt in the state that goes with it), and then its attempt row with it. Should
    /// a job's row change without its attempt's (a broken invariant, or a race this statement cannot see), the
    /// batch is rolled back to the savepoint and every end written again one at a time.
    static func recordEnds(
        _ ends: [CallEnd], _ sql: PostgresSQL, owner: RunnerOwner?
    ) async throws(PostgresStoreError) -> [GuardedWrite] {
        let rows = ends.enumerated().map { EndRow(ord: $0.offset, end: $0.element) }
        let json: String
        do {
            json = String(decoding: try JSONEncoder().encode(rows), as: UTF8.self)
        } catch {
            throw .server(location: sql.location.redacted, reason: "could not encode the calls' ends: \(error)")
        }
        try await sql.execute("SAVEPOINT call_ends")
        let written = try await sql.rows(
            """
            WITH t AS (
                SELECT * FROM json_to_recordset(\(json)::json) AS t(
                    ord int, job bigint, attempt bigint, n bigint, placed_id text, placed_raw text, status text,
                    outcome text, summary text, recording_url text, next_attempt_at text, completed_at text,
                    error text, raw text, stamp text)
            ), j AS (
                UPDATE jobs SET status = t.status, outcome = t.outcome, summary = t.summary,
                    recording_url = t.recording_url, next_attempt_at = t.next_attempt_at,
                    completed_at = t.completed_at, error = t.error, updated_at = t.stamp,
                    interaction_id = COALESCE(t.placed_id, jobs.interaction_id)
                FROM t
                WHERE (\(owner?.runner)::bigint IS NULL OR jobs.runner_id = \(owner?.runner))
                  AND jobs.id = t.job AND jobs.attempts = t.n
                  AND jobs.status = CASE WHEN t.placed_id IS NULL THEN 'in_progress' ELSE 'dialing' END
                  AND (SELECT MAX(id) FROM attempts WHERE job_id = jobs.id) = t.attempt
                  AND EXISTS (
                      SELECT 1 FROM attempts a WHERE a.id = t.attempt AND a.job_id = t.job
                        AND a.state = CASE WHEN t.placed_id IS NULL THEN 'placed' ELSE 'dialing' END)
                RETURNING jobs.id
            ), a AS (
                UPDATE attempts SET state = 'ended', ended_at = t.stamp, outcome = t.outcome, summary = t.summary,
                    recording_url = t.recording_url,
                    interaction_id = COALESCE(t.placed_id, attempts.interaction_id),
                    http_status = CASE WHEN t.placed_id IS NULL THEN attempts.http_status ELSE 200 END,
                    raw_response = CASE WHEN t.placed_id IS NULL THEN COALESCE(t.raw, attempts.raw_response)
                        ELSE COALESCE(t.raw, t.placed_raw) END
                FROM t JOIN j ON j.id = t.job
                WHERE attempts.id = t.attempt AND attempts.job_id = t.job
                  AND attempts.state = CASE WHEN t.placed_id IS NULL THEN 'placed' ELSE 'dialing' END
                RETURNING attempts.id
            )
            SELECT t.ord, j.id IS NOT NULL, a.id IS NOT NULL
            FROM t LEFT JOIN j ON j.id = t.job LEFT JOIN a ON a.id = t.attempt ORDER BY t.ord
            """, as: (Int32, Bool, Bool).self)
        guard written.count == ends.count, written.allSatisfy({ $0.1 == $0.2 }) else {
            try await sql.execute("ROLLBACK TO SAVEPOINT call_ends")
            try await sql.execute("RELEASE SAVEPOINT call_ends")
            var one: [GuardedWrite] = []
            for end in ends { one.append(try await record(end, sql, stamp: Timestamp.string(end.at), owner: owner)) }
            return one
        }
        try await sql.execute("RELEASE SAVEPOINT call_ends")
        let outcomes = written.map { $0.1 ? GuardedWrite.applied : .stale }
        for (end, outcome) in zip(ends, outcomes) where outcome == .applied && end.result.outcome == OutcomeRules.optOut
        {
            try await honourOptOut(sql, end: end, stamp: Timestamp.string(end.at))
        }
        return outcomes
    }

    /// One end as the batch reads it (`json_to_recordset`): a nil is a key left out, which reads as NULL.
    private struct EndRow: Encodable {
        var ord: Int
        var job: Int64
        var attempt: Int64
        var n: Int64
        var placedID: String?
        var placedRaw: String?
        var status: String
        var outcome: String
        var summary: String?
        var recordingURL: String?
        var nextAttemptAt: String?
        var completedAt: String?
        var error: String?
        var raw: String?
        var stamp: String

        enum CodingKeys: String, CodingKey {
            case ord, job, attempt, n, status, outcome, summary, error, raw, stamp
            case placedID = "placed_id"
            case placedRaw = "placed_raw"
            case recordingURL = "recording_url"
            case nextAttemptAt = "next_attempt_at"
            case completedAt = "completed_at"
        }

        init(ord: Int, end: CallEnd) {
            let stamp = Timestamp.string(end.at)
            let (status, nextAttempt, completedAt, error) = end.disposition.jobColumns(stamp: stamp)
            self.ord = ord
            job = end.jobID
            attempt = end.attemptID
            n = Int64(end.attemptNumber)
            placedID = end.placed?.interactionID
            placedRaw = end.placed?.rawJSON
            self.status = status.rawValue
            outcome = end.result.outcome
            summary = end.result.summary
            recordingURL = end.result.recordingURL
            nextAttemptAt = nextAttempt
            self.completedAt = completedAt
            self.error = error
            raw = end.result.rawJSON
            self.stamp = stamp
        }
    }
}
