import Foundation
import PostgresNIO

/// The statements of one claim on PostgreSQL, in the order the claim sends them: lock the due jobs, then
/// write what Swift decided about each (suppressed, postponed, intent) in later statements.
extension PostgresStore {
    /// A due job locked by the claim, with what its intent must remember of it.
    struct LockedJob: Sendable {
        var job: DueJob
        var suppressed: Bool
        var previousLastAttemptAt: String?
        var previousUpdatedAt: String
        var previousNextAttemptAt: String?
        var previousRunnerID: Int64?
    }

    /// Locks up to `limit` queued jobs due at `stamp` (nil: whatever their due time), oldest due first; with
    /// `jobID`, only that job. `SKIP LOCKED`: a row another transaction holds (a `cancel`, a `resolve`) is left
    /// to the next claim instead of waiting on it. The suppression flag is read with the row.
    static func lockDueJobs(
        _ sql: PostgresSQL, campaign: CampaignRecord, stamp: String?, limit: Int, jobID: Int64? = nil
    ) async throws(PostgresStoreError) -> [LockedJob] {
        let rows = try await sql.rows(
            """
            SELECT j.id, j.phone_e164, j.attempts, j.prompt, j.language, j.voice, j.from_number, j.transfer_to,
                j.timezone, j.last_attempt_at, j.updated_at, j.next_attempt_at,
                EXISTS (SELECT 1 FROM suppressed s WHERE s.phone_e164 = j.phone_e164), j.runner_id
            FROM jobs j
            WHERE j.campaign_id = \(campaign.id) AND j.status = 'queued'
              AND (\(stamp)::text IS NULL OR j.next_attempt_at IS NULL OR j.next_attempt_at <= \(stamp))
              AND (\(jobID)::bigint IS NULL OR j.id = \(jobID))
            ORDER BY j.next_attempt_at NULLS FIRST, j.id LIMIT \(Int64(limit))
            FOR UPDATE OF j SKIP LOCKED
            """,
            as: (
                Int64, String, Int64, String, String?, String?, String?, String?, String?, String?, String, String?,
                Bool, Int64?
            ).self)
        let defaults = campaign.defaults
        return rows.map { row in
            let request = CallRequest(
                prompt: row.3, to: row.1, from: row.6 ?? defaults.from, transferTo: row.7 ?? defaults.transferTo,
                language: row.4 ?? defaults.language, voice: row.5 ?? defaults.voice)
            let job = DueJob(
                id: row.0, phone: row.1, attempts: Int(row.2), request: request, timeZone: row.8 ?? defaults.timezone)
            return LockedJob(
                job: job, suppressed: row.12, previousLastAttemptAt: row.9, previousUpdatedAt: row.10,
                previousNextAttemptAt: row.11, previousRunnerID: row.13)
        }
    }

    /// When calls to `phone` started since `since`, in every campaign: the attempts that may have rung someone.
    static func callStarts(_ sql: PostgresSQL, phone: String, since: Date) async throws(PostgresStoreError) -> [Date] {
        try await sql.values(
            """
            SELECT a.started_at FROM jobs j JOIN attempts a ON a.job_id = j.id
            WHERE j.phone_e164 = \(phone) AND a.started_at > \(Timestamp.string(since))
              AND a.state IN \(unescaped: CampaignStore.mayHaveRung)
            """, as: String.self
        ).compactMap(Timestamp.date)
    }

    static func suppress(_ sql: PostgresSQL, jobIDs: [Int64], stamp: String) async throws(PostgresStoreError) {
        guard !jobIDs.isEmpty else { return }
        try await sql.execute(
            "UPDATE jobs SET status = 'suppressed', updated_at = \(stamp) WHERE id = ANY(\(jobIDs)) AND status = 'queued'"
        )
    }

    /// Keeps jobs queued until their date, saying what they wait for (`window` or `cap`), in one statement.
    static func postpone(_ sql: PostgresSQL, _ jobs: [PostponedJob], stamp: String) async throws(PostgresStoreError) {
        guard !jobs.isEmpty else { return }
        let ids = jobs.map(\.job.id)
        let untils = jobs.map { Timestamp.string($0.until) }
        let reasons = jobs.map { $0.reason == .contactPressure ? "cap" : "window" }
        try await sql.execute(
            """
            UPDATE jobs SET next_attempt_at = t.until, waiting_for = t.reason, updated_at = \(stamp)
            FROM unnest(\(ids)::bigint[], \(untils)::text[], \(reasons)::text[]) AS t(id, until, reason)
            WHERE jobs.id = t.id AND jobs.status = 'queued'
            """)
    }

    /// The intents to call `jobs` (locked by this transaction): an attempt row each in `dialing`, numbered one
    /// past the job's highest, and the jobs in `dialing` with one more attempt. One statement sent after the
    /// lock, so `MAX(attempt_number)` reads every attempt committed before it (one derived in the locking
    /// statement could read an older snapshot and repeat a number); its two parts change different tables, and
    /// the jobs' rows are this transaction's already. A runner's claim sends it under the campaign's dispatch
    /// row lock, which the other runners wait on: one round trip, not two.
    static func writeIntents(
        _ sql: PostgresSQL, _ jobs: [LockedJob], api: String?, stamp: String, owner: RunnerOwner?
    ) async throws(PostgresStoreError) -> [AttemptIntent] {
        guard !jobs.isEmpty else { return [] }
        let ids = jobs.map(\.job.id)
        let written = try await sql.rows(
            """
            WITH attempt AS (
                INSERT INTO attempts (job_id, attempt_number, state, started_at, api, runner_id)
                SELECT t.job, (SELECT COALESCE(MAX(a.attempt_number), 0) + 1 FROM attempts a WHERE a.job_id = t.job),
                    'dialing', \(stamp), \(api), \(owner?.runner)
                FROM unnest(\(ids)::bigint[]) WITH ORDINALITY AS t(job, n) ORDER BY t.n
                RETURNING job_id, id
            ), job AS (
                UPDATE jobs SET status = 'dialing', attempts = attempts + 1, last_attempt_at = \(stamp),
                    next_attempt_at = NULL, waiting_for = NULL, updated_at = \(stamp), runner_id = \(owner?.runner)
                WHERE id = ANY(\(ids)) AND status = 'queued'
                RETURNING id, attempts
            )
            SELECT attempt.job_id, attempt.id, job.attempts FROM attempt JOIN job ON job.id = attempt.job_id
            """, as: (Int64, Int64, Int64).self)
        let byJob = Dictionary(written.map { ($0.0, ($0.1, $0.2)) }, uniquingKeysWith: { first, _ in first })
        var intents: [AttemptIntent] = []
        for locked in jobs {
            // The rows are locked by this transaction: a job that is not found here is a broken invariant, and
            // the whole claim is rolled back rather than a call started without its intent.
            guard let (attemptID, count) = byJob[locked.job.id] else {
                throw .server(
                    location: sql.location.redacted,
                    reason: DispatchStoreError.jobNotQueued(jobID: locked.job.id).description)
            }
            intents.append(
                AttemptIntent(
                    jobID: locked.job.id, attemptID: attemptID, attemptNumber: Int(count),
                    previousLastAttemptAt: locked.previousLastAttemptAt, previousUpdatedAt: locked.previousUpdatedAt,
                    previousNextAttemptAt: locked.previousNextAttemptAt, previousRunnerID: locked.previousRunnerID))
        }
        return intents
    }
}
