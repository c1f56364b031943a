import Foundation
import GRDB

/// The store operations of `campaign run`, in the dispatcher's words. All their SQL is here.
extension CampaignStore {
    /// Brings the database back to a state a run can start from, after an earlier run stopped or died.
    ///
    /// A job in `dialing` had its intent committed but its POST's answer never recorded: a call may be
    /// ringing, so it becomes `unknown` (never redialled automatically). `in_progress` jobs have an
    /// interactionId and are returned to be followed, not placed again.
    /// `api` names the API this run talks to; calls placed with another one are left alone.
    public func recoverAtStart(campaign: CampaignRecord, api: String? = nil, now: Date) throws(StoreError) -> Recovery {
        let stamp = Timestamp.string(now)
        return try write { db in
            // Numbers suppressed since the import: their queued jobs are closed before anything is claimed.
            try db.execute(
                sql: """
                    UPDATE jobs SET status = 'suppressed', updated_at = ?
                    WHERE campaign_id = ? AND status = 'queued' AND phone_e164 IN (SELECT phone_e164 FROM suppressed)
                    """, arguments: [stamp, campaign.id])
            let dialing = try Int64.fetchAll(
                db, sql: "SELECT id FROM jobs WHERE campaign_id = ? AND status = 'dialing' ORDER BY id",
                arguments: [campaign.id])
            let reason = "the run stopped while this call was being placed; a call may have been made"
            for jobID in dialing {
                try db.execute(
                    sql: """
                        UPDATE attempts SET state = 'unknown', ended_at = ?, error = ?
                        WHERE job_id = ? AND state = 'dialing'
                        """, arguments: [stamp, reason, jobID])
                try db.execute(
                    sql: """
                        UPDATE jobs SET status = 'unknown', error = ?, review_reason = ?, updated_at = ? WHERE id = ?
                        """,
                    arguments: [
                        reason, "check whether the call reached the person, then campaign resolve",
                        stamp, jobID,
                    ])
            }
            // Only each job's latest attempt is followed (an API that reuses an interactionId must not cause
            // two follows of one job), and only on the API that placed it.
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT j.id AS job, a.id AS attempt, j.attempts, j.phone_e164 AS phone, a.interaction_id AS call,
                        a.started_at, a.api, a.state
                    FROM jobs j JOIN attempts a ON a.id = (SELECT MAX(id) FROM attempts WHERE job_id = j.id)
                    WHERE j.campaign_id = ? AND j.status = 'in_progress'
                    ORDER BY j.id
                    """, arguments: [campaign.id])
            var following: [FollowedCall] = []
            var elsewhere: [String: Int] = [:]
            var unknown = dialing
            for row in rows {
                let placedWith: String? = row["api"]
                if let placedWith, placedWith != api {
                    elsewhere[placedWith, default: 0] += 1
                    continue
                }
                guard AttemptState(rawValue: row["state"]) == .placed, let call: String = row["call"] else {
                    // In progress without a placed attempt to follow: nothing a run can follow or safely redial.
                    // A person decides, as for a lost answer (never left `in_progress` for ever, unsaid).
                    let reason = "in progress, but its latest attempt has no interaction id to follow"
                    try db.execute(
                        sql: """
                            UPDATE jobs SET status = 'unknown', error = ?, review_reason = ?, updated_at = ?
                            WHERE id = ? AND status = 'in_progress'
                            """,
                        arguments: [
                            reason, "check whether the call reached the person, then campaign resolve",
                            stamp, row["job"] as Int64,
                        ])
                    unknown.append(row["job"])
                    continue
                }
                following.append(
                    FollowedCall(
                        jobID: row["job"], attemptID: row["attempt"], attemptNumber: row["attempts"],
                        phone: row["phone"], interactionID: call,
                        startedAt: Timestamp.date(row["started_at"]) ?? now))
            }
            return Recovery(unknownJobIDs: unknown, inProgress: following, placedElsewhere: elsewhere)
        }
    }

    /// Takes up to `limit` queued jobs due at `now` (`next_attempt_at` passed or unset), oldest first, and
    /// commits the intent to call each of them, all in one transaction.
    ///
    /// `admission` (the run's calling window) is asked about each candidate: a date later than `now` keeps
    /// the job queued until then, and the next candidate is taken instead. A candidate whose number has since
    /// been added to the suppression list becomes `suppressed`, so a suppressed number is never handed out
    /// to be dialled. (`recoverAtStart` sweeps the whole campaign once, so counts are right from the start;
    /// checking only the candidates here keeps a claim an index probe on campaigns of 100,000 jobs.)
    /// `ORDER BY next_attempt_at, id` (NULL first) is the `jobs_by_status` index's own order, so no sort.
    /// The run lock makes this process the only one handing out jobs.
    ///
    /// `results` are what became of attempts since the last claim (calls ended, refused, lost), recorded
    /// first in the same transaction: the end of one call and the start of the next share one commit.
    public func claimDueJobs(
        campaign: CampaignRecord, api: String? = nil, now: Date, limit: Int, admission: (any ClaimAdmission)? = nil,
        pressure: ContactPressure? = nil, recordingFirst results: [AttemptResult] = []
    ) async throws(StoreError) -> Claim {
        let stamp = Timestamp.string(now)
        return try await commit { db in
            var claim = Claim()
            claim.recorded = try results.map { result in try Self.record(result, in: db) }
            while claim.started.count < limit {
                let rows = try db.cachedRows(
                    sql: """
                        SELECT id, phone_e164, attempts, prompt, language, voice, from_number, transfer_to, timezone
                        FROM jobs
                        WHERE campaign_id = ? AND status = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
                        ORDER BY next_attempt_at, id LIMIT ?
                        """, arguments: [campaign.id, stamp, limit - claim.started.count])
                if rows.isEmpty { break }
                for row in rows {
                    let phone: String = row["phone_e164"]
                    if try db.cachedValue(
                        Bool.self, sql: "SELECT EXISTS (SELECT 1 FROM suppressed WHERE phone_e164 = ?)",
                        arguments: [phone])
                        ?? false
                    {
                        try db.executeCached(
                            sql: "UPDATE jobs SET status = 'suppressed', updated_at = ? WHERE id = ?",
                            arguments: [stamp, row["id"] as Int64])
                        continue
                    }
                    let defaults = campaign.defaults
                    let request = CallRequest(
                        prompt: row["prompt"], to: phone, from: row["from_number"] ?? defaults.from,
                        transferTo: row["transfer_to"] ?? defaults.transferTo,
                        language: row["language"] ?? defaults.language, voice: row["voice"] ?? defaults.voice)
                    let job = DueJob(
                        id: row["id"], phone: phone, attempts: row["attempts"], request: request,
                        timeZone: row["timezone"] ?? defaults.timezone)
                    var wait = admission?.until(job).flatMap { $0 > now ? PostponedJob(job: job, until: $0) : nil }
                    if let pressure,
                        let until = pressure.until(
                            starts: try Self.callStarts(db, phone: phone, since: now - pressure.lookBack.seconds),
                            now: now),
                        until >= wait?.until ?? now
                    {
                        wait = PostponedJob(job: job, until: until, reason: .contactPressure)
                    }
                    if let wait {
                        try db.executeCached(
                            sql: "UPDATE jobs SET next_attempt_at = ?, waiting_for = ?, updated_at = ? WHERE id = ?",
                            arguments: [
                                Timestamp.string(wait.until), wait.reason == .contactPressure ? "cap" : "window", stamp,
                                job.id,
                            ])
                        claim.postponed.append(wait)
                        continue
                    }
                    claim.started.append(
                        StartedJob(job: job, intent: try Self.recordIntent(db, jobID: job.id, api: api, stamp: stamp)))
                }
            }
            claim.nextDue = try Self.nextQueuedTime(db, campaign: campaign)
            return claim
        }
    }

    /// The attempt states that may have rung someone (being placed, placed, ended, unknown), as SQL: what
    /// per-number limits count, never an attempt refused before a call existed.
    static let mayHaveRung = "('dialing', 'placed', 'ended', 'unknown')"

    /// When calls to `phone` started since `since`, in every campaign of the database: the attempts that may
    /// have rung someone (`mayHaveRung`).
    static func callStarts(_ db: Database, phone: String, since: Date) throws -> [Date] {
        try String.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT a.started_at FROM jobs j JOIN attempts a ON a.job_id = j.id
                    WHERE j.phone_e164 = ? AND a.started_at > ? AND a.state IN \(mayHaveRung)
                    """), arguments: [phone, Timestamp.string(since)]
        ).compactMap(Timestamp.date)
    }

    /// Makes looking up a number across campaigns an index probe (`jobs_by_number`): built once, by the first
    /// run with a per-number cap or gap, so imports that never use one do not maintain it.
    public func indexNumbersAcrossCampaigns() throws(StoreError) {
        try write { db in try db.execute(sql: "CREATE INDEX IF NOT EXISTS jobs_by_number ON jobs (phone_e164)") }
    }

    /// The earliest `next_attempt_at` of the campaign's queued jobs (`distantPast` when one is due now),
    /// or `nil` when nothing is queued.
    func nextQueuedTime(campaign: CampaignRecord) throws(StoreError) -> Date? {
        try read { db in try Self.nextQueuedTime(db, campaign: campaign) }
    }

    /// `nextQueuedTime`, read without blocking the caller's thread behind a commit.
    func nextQueuedTime(campaign: CampaignRecord) async throws(StoreError) -> Date? {
        try await asyncRead { db in try Self.nextQueuedTime(db, campaign: campaign) }
    }

    static func nextQueuedTime(_ db: Database, campaign: CampaignRecord) throws -> Date? {
        // Ordered by the index (NULL, "due now", sorts first) so this costs one index probe, not a scan of
        // every queued job: the loop asks it each time it waits, on campaigns of 100,000 jobs.
        let row = try db.cachedRow(
            sql: """
                SELECT next_attempt_at FROM jobs WHERE campaign_id = ? AND status = 'queued'
                ORDER BY next_attempt_at LIMIT 1
                """, arguments: [campaign.id])
        guard let row else { return nil }
        guard let text: String = row[0] else { return Date.distantPast }
        return Timestamp.date(text)
    }

    /// Keeps a queued job waiting until `until` (outside its calling window): it is not failed.
    func postpone(jobID: Int64, until: Date, now: Date) async throws(StoreError) {
        try await commit { db in
            try db.executeCached(
                sql: "UPDATE jobs SET next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 'queued'",
                arguments: [Timestamp.string(until), Timestamp.string(now), jobID])
        }
    }

    /// Writes the intent to call: an attempt row in `dialing`, the job in `dialing` with one more attempt.
    ///
    /// This is committed (synchronous=FULL) before the POST is sent. The API has no idempotency key,
    /// so if the process dies mid-request the only safe reading of the database is "a call may have been
    /// placed": recovery turns such a job `unknown` instead of dialling the person a second time.
    func recordAttemptIntent(jobID: Int64, api: String? = nil, now: Date) async throws(StoreError)
        -> AttemptIntent
    {
        let stamp = Timestamp.string(now)
        return try await commit { db in try Self.recordIntent(db, jobID: jobID, api: api, stamp: stamp) }
    }

    static func recordIntent(_ db: Database, jobID: Int64, api: String?, stamp: String) throws -> AttemptIntent {
        guard
            let job = try db.cachedRow(
                sql: "SELECT status, attempts, last_attempt_at, updated_at, next_attempt_at FROM jobs WHERE id = ?",
                arguments: [jobID]),
            JobStatus(rawValue: job["status"]) == .queued
        else { throw DispatchStoreError.jobNotQueued(jobID: jobID) }
        let attempts: Int = job["attempts"] + 1
        let number =
            try db.cachedValue(
                Int.self, sql: "SELECT COALESCE(MAX(attempt_number), 0) + 1 FROM attempts WHERE job_id = ?",
                arguments: [jobID]) ?? 1
        try db.executeCached(
            sql: "INSERT INTO attempts (job_id, attempt_number, state, started_at, api) VALUES (?, ?, 'dialing', ?, ?)",
            arguments: [jobID, number, stamp, api])
        let attemptID = db.lastInsertedRowID
        try db.executeCached(
            sql: """
                UPDATE jobs SET status = 'dialing', attempts = ?, last_attempt_at = ?, next_attempt_at = NULL,
                    waiting_for = NULL, updated_at = ? WHERE id = ?
                """, arguments: [attempts, stamp, stamp, jobID])
        return AttemptIntent(
            jobID: jobID, attemptID: attemptID, attemptNumber: attempts, previousLastAttemptAt: job["last_attempt_at"],
            previousUpdatedAt: job["updated_at"], previousNextAttemptAt: job["next_attempt_at"])
    }

    /// The campaign's jobs by status.
    func jobCounts(campaign: CampaignRecord) throws(StoreError) -> JobCounts {
        try read { db in try Self.jobCounts(db, campaign: campaign) }
    }

    /// The campaign's jobs by status, read without blocking the caller's thread behind a commit.
    public func jobCounts(campaign: CampaignRecord) async throws(StoreError) -> JobCounts {
        try await asyncRead { db in try Self.jobCounts(db, campaign: campaign) }
    }

    static func jobCounts(_ db: Database, campaign: CampaignRecord) throws -> JobCounts {
        let rows = try Row.fetchAll(
            db, sql: "SELECT status, COUNT(*) FROM jobs WHERE campaign_id = ? GROUP BY status",
            arguments: [campaign.id])
        return try JobCounts(statusRows: rows.map { ($0[0] as String, $0[1] as Int) })
    }
}

/// A dispatch operation that does not fit the job's current state.
public enum DispatchStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case jobNotQueued(jobID: Int64)
    /// `failedAllowed`: the action also takes failed jobs (`--requeue`), and these are neither.
    case notUnknown(jobIDs: [Int64], failedAllowed: Bool = false)
    /// `campaign cancel` with ids that are not queued jobs of the campaign: each as "id (status)".
    case notQueued(jobs: [String])
    /// A job status the schema of this binary does not have (a database written by a newer version).
    case unknownStatus(String)

    public var description: String {
        switch self {
        case .unknownStatus(let text):
            return "the database holds a job status this version does not know ('\(text)'); upgrade campaign"
        case .jobNotQueued(let jobID):
            return "job \(jobID) is no longer queued; another run may be working this database"
        case .notQueued(let jobs):
            return "only queued jobs can be cancelled (a call in flight is never cut); not queued: "
                + jobs.joined(separator: ", ") + ". Nothing was cancelled"
        case .notUnknown(let jobIDs, let failedAllowed):
            return "not \(failedAllowed ? "unknown or failed" : "unknown") jobs of this campaign: "
                + "\(jobIDs.map(String.init).joined(separator: ", ")); campaign report lists the jobs that need review"
        }
    }
}

extension Database {
    // The dispatcher runs the same few statements for every call; preparing (and authorizing) each one
    // again was a visible share of a run's CPU. These go through the connection's statement cache.

    func executeCached(sql: String, arguments: StatementArguments = StatementArguments()) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }

    func cachedRow(sql: String, arguments: StatementArguments) throws -> Row? {
        try Row.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }

    func cachedRows(sql: String, arguments: StatementArguments) throws -> [Row] {
        try Row.fetchAll(cachedStatement(sql: sql), arguments: arguments)
    }

    func cachedValue<T: DatabaseValueConvertible>(_ type: T.Type, sql: String, arguments: StatementArguments) throws
        -> T?
    {
        try T.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }
}
