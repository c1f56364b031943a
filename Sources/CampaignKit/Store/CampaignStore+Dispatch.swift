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
            for row in rows {
                let placedWith: String? = row["api"]
                if let placedWith, placedWith != api {
                    elsewhere[placedWith, default: 0] += 1
                    continue
                }
                guard (row["state"] as String) == "placed", let call: String = row["call"] else { continue }
                following.append(
                    FollowedCall(
                        jobID: row["job"], attemptID: row["attempt"], attemptNumber: row["attempts"],
                        phone: row["phone"], interactionID: call,
                        startedAt: Timestamp.date(row["started_at"]) ?? now))
            }
            return Recovery(unknownJobIDs: dialing, inProgress: following, placedElsewhere: elsewhere)
        }
    }

    /// Takes up to `limit` queued jobs due at `now` (`next_attempt_at` passed or unset), oldest first, and
    /// commits the intent to call each of them, all in one transaction.
    ///
    /// `admit` is asked about each candidate (the run's calling window): a date later than `now` keeps the
    /// job queued until then, and the next candidate is taken instead. A candidate whose number has since
    /// been added to the suppression list becomes `suppressed`, so a suppressed number is never handed out
    /// to be dialled. (`recoverAtStart` sweeps the whole campaign once, so counts are right from the start;
    /// checking only the candidates here keeps a claim an index probe on campaigns of 100,000 jobs.)
    /// `ORDER BY next_attempt_at, id` (NULL first) is the `jobs_by_status` index's own order, so no sort.
    /// The run lock makes this process the only one handing out jobs.
    ///
    /// `results` are what became of attempts since the last claim (calls ended, refused, lost), recorded
    /// first in the same transaction: the end of one call and the start of the next share one commit.
    public func claimDueJobs(
        campaign: CampaignRecord, api: String? = nil, now: Date, limit: Int,
        admit: @escaping @Sendable (DueJob) -> Date? = { _ in nil },
        recordingFirst results: [AttemptResult] = []
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
                    let phone: String = row[1]
                    if try db.cachedValue(
                        Bool.self, sql: "SELECT EXISTS (SELECT 1 FROM suppressed WHERE phone_e164 = ?)",
                        arguments: [phone])
                        ?? false
                    {
                        try db.executeCached(
                            sql: "UPDATE jobs SET status = 'suppressed', updated_at = ? WHERE id = ?",
                            arguments: [stamp, row[0]])
                        continue
                    }
                    let defaults = campaign.defaults
                    let request = CallRequest(
                        prompt: row[3], to: phone, from: row[6] ?? defaults.from,
                        transferTo: row[7] ?? defaults.transferTo, language: row[4] ?? defaults.language,
                        voice: row[5] ?? defaults.voice)
                    let job = DueJob(
                        id: row[0], phone: phone, attempts: row[2], request: request,
                        timeZone: row[8] ?? defaults.timezone)
                    if let until = admit(job), until > now {
                        try db.executeCached(
                            sql: "UPDATE jobs SET next_attempt_at = ?, updated_at = ? WHERE id = ?",
                            arguments: [Timestamp.string(until), stamp, job.id])
                        claim.postponed.append(PostponedJob(job: job, until: until))
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

    /// The earliest `next_attempt_at` of the campaign's queued jobs (`distantPast` when one is due now),
    /// or `nil` when nothing is queued.
    public func nextQueuedTime(campaign: CampaignRecord) throws(StoreError) -> Date? {
        try read { db in try Self.nextQueuedTime(db, campaign: campaign) }
    }

    /// `nextQueuedTime`, read without blocking the caller's thread behind a commit.
    public func nextQueuedTime(campaign: CampaignRecord) async throws(StoreError) -> Date? {
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
    public func postpone(jobID: Int64, until: Date, now: Date) async throws(StoreError) {
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
    public func recordAttemptIntent(jobID: Int64, api: String? = nil, now: Date) async throws(StoreError)
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
            (job[0] as String) == "queued"
        else { throw DispatchStoreError.jobNotQueued(jobID: jobID) }
        let attempts: Int = job[1] + 1
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
                    updated_at = ? WHERE id = ?
                """, arguments: [attempts, stamp, stamp, jobID])
        return AttemptIntent(
            jobID: jobID, attemptID: attemptID, attemptNumber: attempts, previousLastAttemptAt: job[2],
            previousUpdatedAt: job[3], previousNextAttemptAt: job[4])
    }

    /// The POST answered with an interactionId: the call is under way and is followed from now on.
    public func recordPlaced(_ intent: AttemptIntent, interactionID: String, rawJSON: String?, now: Date)
        async throws(StoreError) -> GuardedWrite
    {
        let stamp = Timestamp.string(now)
        return try await commit { db in
            try Self.recordPlaced(db, intent.attempt, interactionID: interactionID, rawJSON: rawJSON, stamp: stamp)
        }
    }

    static func recordPlaced(
        _ db: Database, _ attempt: AttemptRef, interactionID: String, rawJSON: String?, stamp: String
    ) throws -> GuardedWrite {
        try compareAndSet(
            db, attempt, from: ("dialing", "dialing"),
            job: "status = 'in_progress', interaction_id = ?, updated_at = ?", [interactionID, stamp],
            attempt: "UPDATE attempts SET state = 'placed', interaction_id = ?, http_status = 200, raw_response = ?",
            [interactionID, rawJSON])
    }

    /// Records results of attempts in one commit; for each, whether it was written or found its job changed.
    public func record(_ results: [AttemptResult]) async throws(StoreError) -> [GuardedWrite] {
        try await commit { db in try results.map { result in try Self.record(result, in: db) } }
    }

    /// The one place an attempt's result is written, as a compare-and-set (see `compareAndSet`).
    static func record(_ result: AttemptResult, in db: Database) throws -> GuardedWrite {
        let stamp = Timestamp.string(result.at)
        switch result.kind {
        case .ended(let end):
            return try record(end, in: db, stamp: stamp)
        case .rejected(let intent, let httpStatus, let message):
            // No call was placed; the job fails with the API's message.
            let error = "rejected by the API (\(httpStatus)): \(message)"
            return try compareAndSet(
                db, intent.attempt, from: ("dialing", "dialing"),
                job: "status = 'failed', error = ?, completed_at = ?, updated_at = ?", [error, stamp, stamp],
                attempt: "UPDATE attempts SET state = 'rejected', ended_at = ?, http_status = ?, error = ?",
                [stamp, httpStatus, error])
        case .unknown(let intent, let httpStatus, let reason):
            // A call may be ringing: the job waits for a person (`campaign resolve`).
            let error = "the API's answer was lost (\(httpStatus.map { "HTTP \($0)" } ?? "no response")): \(reason)"
            return try compareAndSet(
                db, intent.attempt, from: ("dialing", "dialing"),
                job: "status = 'unknown', error = ?, review_reason = ?, updated_at = ?",
                [error, "a call may have been placed; check, then campaign resolve --requeue or --done", stamp],
                attempt: "UPDATE attempts SET state = 'unknown', ended_at = ?, http_status = ?, error = ?",
                [stamp, httpStatus, error])
        case .notPlaced(let intent, let httpStatus, let reason, let retryAt):
            // The attempt is given back; the attempt row stays, as `not_placed`, for the record.
            return try compareAndSet(
                db, intent.attempt, from: ("dialing", "dialing"),
                job: "status = 'queued', attempts = MAX(attempts - 1, 0), next_attempt_at = ?, updated_at = ?",
                [retryAt.map(Timestamp.string), stamp],
                attempt: "UPDATE attempts SET state = 'not_placed', ended_at = ?, http_status = ?, error = ?",
                [stamp, httpStatus, reason])
        case .undone(let intent):
            // No trace: the job as it was before the intent, the attempt row gone.
            return try compareAndSet(
                db, intent.attempt, from: ("dialing", "dialing"),
                job: """
                    status = 'queued', attempts = MAX(attempts - 1, 0), last_attempt_at = ?, next_attempt_at = ?,
                        updated_at = COALESCE(?, updated_at)
                    """,
                [intent.previousLastAttemptAt, intent.previousNextAttemptAt, intent.previousUpdatedAt],
                attempt: "DELETE FROM attempts", [])
        case .needsReview(let call, let httpStatus, let reason):
            // Kept as `unknown` with its interactionId: never redialled automatically.
            return try compareAndSet(
                db, call.attempt, from: ("in_progress", "placed"),
                job: "status = 'unknown', review_reason = ?, error = ?, updated_at = ?", [reason, reason, stamp],
                attempt: "UPDATE attempts SET state = 'unknown', ended_at = ?, http_status = ?, error = ?",
                [stamp, httpStatus, reason])
        }
    }

    /// A call ended: the attempt's result and the job's next state, in one transaction.
    static func record(_ end: CallEnd, in db: Database, stamp: String) throws -> GuardedWrite {
        let result = end.result
        let attempt = AttemptRef(jobID: end.jobID, attemptID: end.attemptID, attemptNumber: end.attemptNumber)
        var outcome = GuardedWrite.applied
        try db.inSavepoint {
            if let placed = end.placed {
                outcome = try Self.recordPlaced(
                    db, attempt, interactionID: placed.interactionID, rawJSON: placed.rawJSON, stamp: stamp)
                guard outcome == .applied else { return .rollback }
            }
            let status: String
            var nextAttempt: String? = nil
            var completedAt: String? = nil
            var error: String? = nil
            switch end.disposition {
            case .completed:
                status = "completed"
                completedAt = stamp
            case .retry(let at):
                status = "queued"
                nextAttempt = Timestamp.string(at)
            case .failed(let reason):
                status = "failed"
                completedAt = stamp
                error = reason
            }
            outcome = try compareAndSet(
                db, attempt, from: ("in_progress", "placed"),
                job: """
                    status = ?, outcome = ?, summary = ?, recording_url = ?, next_attempt_at = ?, completed_at = ?,
                    error = ?, updated_at = ?
                    """,
                [status, result.outcome, result.summary, result.recordingURL, nextAttempt, completedAt, error, stamp],
                attempt: """
                    UPDATE attempts SET state = 'ended', ended_at = ?, outcome = ?, summary = ?, recording_url = ?,
                        raw_response = COALESCE(?, raw_response)
                    """, [stamp, result.outcome, result.summary, result.recordingURL, result.rawJSON])
            return outcome == .applied ? .commit : .rollback
        }
        return outcome
    }

    /// The compare-and-set every write about a placed (or about to be placed) call goes through.
    ///
    /// The job must still be in `from.job` on attempt count `attempt.attemptNumber`, its latest attempt row
    /// must be `attempt.attemptID`, and that row must still be in `from.attempt`: then the job gets `jobSet`
    /// and the attempt row `attemptStatement` (an UPDATE's or DELETE's head; the guard is appended), both or
    /// neither. Anything else means the job changed under this writer (a person resolved it, another process
    /// took it, an API reused an id): the write is refused, nothing changes, and the caller logs it.
    static func compareAndSet(
        _ db: Database, _ attempt: AttemptRef, from: (job: String, attempt: String),
        job jobSet: String, _ jobArguments: StatementArguments,
        attempt attemptStatement: String, _ attemptArguments: StatementArguments
    ) throws -> GuardedWrite {
        var outcome = GuardedWrite.stale
        try db.inSavepoint {
            try db.executeCached(
                sql: """
                    UPDATE jobs SET \(jobSet)
                    WHERE id = ? AND status = ? AND attempts = ?
                        AND (SELECT MAX(id) FROM attempts WHERE job_id = jobs.id) = ?
                    """,
                arguments: jobArguments + [attempt.jobID, from.job, attempt.attemptNumber, attempt.attemptID])
            guard db.changesCount == 1 else { return .rollback }
            try db.executeCached(
                sql: attemptStatement + " WHERE id = ? AND job_id = ? AND state = ?",
                arguments: attemptArguments + [attempt.attemptID, attempt.jobID, from.attempt])
            guard db.changesCount == 1 else { return .rollback }
            outcome = .applied
            return .commit
        }
        return outcome
    }

    /// The campaign's jobs by status.
    public func jobCounts(campaign: CampaignRecord) throws(StoreError) -> JobCounts {
        try read { db in try Self.jobCounts(db, campaign: campaign) }
    }

    /// The campaign's jobs by status, read without blocking the caller's thread behind a commit.
    public func jobCounts(campaign: CampaignRecord) async throws(StoreError) -> JobCounts {
        try await asyncRead { db in try Self.jobCounts(db, campaign: campaign) }
    }

    static func jobCounts(_ db: Database, campaign: CampaignRecord) throws -> JobCounts {
        var counts = JobCounts()
        let rows = try Row.fetchAll(
            db, sql: "SELECT status, COUNT(*) FROM jobs WHERE campaign_id = ? GROUP BY status",
            arguments: [campaign.id])
        for row in rows { counts.byStatus[row[0]] = row[1] }
        return counts
    }

    /// Settles `unknown` jobs a person has checked: `jobIDs` nil means every unknown job of the campaign.
    /// `requeue` also takes `failed` jobs named by id (a rejection whose cause is fixed, a wrong URL), never
    /// all of them at once: a failed job may have used every attempt on purpose.
    /// Returns the number of jobs changed; ids that do not fit are listed in the error instead of being
    /// ignored silently.
    @discardableResult
    public func resolveUnknown(
        campaign: CampaignRecord, jobIDs: [Int64]?, action: ResolveAction, now: Date
    ) throws(StoreError) -> Int {
        let stamp = Timestamp.string(now)
        return try write { db in
            let unknown = Set(
                try Int64.fetchAll(
                    db, sql: "SELECT id FROM jobs WHERE campaign_id = ? AND status = 'unknown'",
                    arguments: [campaign.id]))
            let failed =
                action == .requeue && jobIDs != nil
                ? Set(
                    try Int64.fetchAll(
                        db, sql: "SELECT id FROM jobs WHERE campaign_id = ? AND status = 'failed'",
                        arguments: [campaign.id])) : []
            let targets: [Int64]
            if let jobIDs {
                let wrong = jobIDs.filter { !unknown.contains($0) && !failed.contains($0) }
                guard wrong.isEmpty else {
                    throw DispatchStoreError.notUnknown(jobIDs: wrong, failedAllowed: action == .requeue)
                }
                targets = jobIDs
            } else {
                targets = unknown.sorted()
            }
            for jobID in targets {
                switch action {
                case .requeue:
                    try db.execute(
                        sql: """
                            UPDATE jobs SET status = 'queued', next_attempt_at = NULL, review_reason = NULL,
                                error = CASE WHEN status = 'failed' THEN NULL ELSE error END,
                                updated_at = ? WHERE id = ? AND status IN ('unknown', 'failed')
                            """, arguments: [stamp, jobID])
                case .done:
                    try db.execute(
                        sql: """
                            UPDATE jobs SET status = 'completed', outcome = COALESCE(outcome, 'resolved'),
                                review_reason = NULL, completed_at = ?, updated_at = ? WHERE id = ?
                            """, arguments: [stamp, stamp, jobID])
                }
            }
            return targets.count
        }
    }
}

/// A dispatch operation that does not fit the job's current state.
public enum DispatchStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case jobNotQueued(jobID: Int64)
    /// `failedAllowed`: the action also takes failed jobs (`--requeue`), and these are neither.
    case notUnknown(jobIDs: [Int64], failedAllowed: Bool = false)

    public var description: String {
        switch self {
        case .jobNotQueued(let jobID):
            return "job \(jobID) is no longer queued; another run may be working this database"
        case .notUnknown(let jobIDs, let failedAllowed):
            return "not \(failedAllowed ? "unknown or failed" : "unknown") jobs of this campaign: "
                + "\(jobIDs.map(String.init).joined(separator: ", ")); campaign report lists the jobs that need review"
        }
    }
}

/// One job's dispatch state, for `campaign resolve`, progress and tests.
public struct JobSnapshot: Sendable, Equatable {
    public var id: Int64
    public var phone: String
    public var status: String
    public var attempts: Int
    public var nextAttemptAt: String?
    public var interactionID: String?
    public var outcome: String?
    public var reviewReason: String?
    /// When the last attempt's intent was recorded (just before its POST).
    public var lastAttemptAt: String?
    /// The attempt rows' states, oldest first.
    public var attemptStates: [String]
}

extension CampaignStore {
    /// Every job of the campaign with its attempts, in import order.
    public func jobSnapshots(campaign: CampaignRecord) throws(StoreError) -> [JobSnapshot] {
        try read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT j.id, j.phone_e164, j.status, j.attempts, j.next_attempt_at, j.interaction_id, j.outcome,
                        j.review_reason, j.last_attempt_at,
                        (SELECT group_concat(state, ',') FROM (SELECT state FROM attempts a WHERE a.job_id = j.id
                            ORDER BY a.attempt_number))
                    FROM jobs j WHERE j.campaign_id = ? ORDER BY j.id
                    """, arguments: [campaign.id])
            return rows.map { row in
                let states: String? = row[9]
                return JobSnapshot(
                    id: row[0], phone: row[1], status: row[2], attempts: row[3], nextAttemptAt: row[4],
                    interactionID: row[5], outcome: row[6], reviewReason: row[7], lastAttemptAt: row[8],
                    attemptStates: states.map { $0.split(separator: ",").map(String.init) } ?? [])
            }
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

extension CampaignStore {
    /// Who holds the run lock of the database at `path`, read without opening it for work (`nil`: unknown).
    public static func runHolder(path: String) -> String? {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(2)
        guard let queue = try? DatabaseQueue(path: path, configuration: configuration) else { return nil }
        return (try? queue.read { db in try String.fetchOne(db, sql: "SELECT holder FROM run_holder WHERE id = 1") })
            ?? nil
    }

    /// Says who holds the run lock, for the refusal a second run prints.
    public func recordRunHolder(_ holder: String, now: Date) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO run_holder (id, holder, acquired_at) VALUES (1, ?, ?)",
                arguments: [holder, Timestamp.string(now)])
        }
    }
}
