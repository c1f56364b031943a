import Foundation
import PostgresNIO

/// `campaign run` on PostgreSQL: recovery, the claim and the job counts, statement for statement the
/// behaviour of `CampaignStore+Dispatch.swift`; several runners share a campaign (`PostgresStore+Runners.swift`).
/// Without a runner (tests, tools) one run per campaign database (`PostgresRunLock`); every
/// claim first checks, inside its transaction, that this process still holds that lock.
extension PostgresStore: DispatchStore {
    public func recoverAtStart(campaign: CampaignRecord, api: String?, now: Date) async throws(StoreError)
        -> Recovery
    {
        if let runner { return try await recoverAsRunner(runner, campaign: campaign, api: api, now: now) }
        let stamp = Timestamp.string(now)
        return try await withSQL { sql throws(PostgresStoreError) in
            try await sql.transaction { () async throws(PostgresStoreError) -> Recovery in
                try await runLock?.check(sql)
                return try await Self.recover(sql, campaign: campaign, api: api, stamp: stamp, now: now)
            }
        }
    }

    static func recover(
        _ sql: PostgresSQL, campaign: CampaignRecord, api: String?, stamp: String, now: Date
    ) async throws(PostgresStoreError) -> Recovery {
        // Numbers suppressed since the import: their queued jobs are closed before anything is claimed.
        try await sql.execute(
            """
            UPDATE jobs SET status = 'suppressed', updated_at = \(stamp)
            WHERE campaign_id = \(campaign.id) AND status = 'queued'
              AND phone_e164 IN (SELECT phone_e164 FROM suppressed)
            """)
        // The run lock makes every `dialing` job one whose runner is gone: its POST may have been sent.
        let dialing = try await sql.values(
            "SELECT id FROM jobs WHERE campaign_id = \(campaign.id) AND status = 'dialing' ORDER BY id FOR UPDATE",
            as: Int64.self)
        let reason = "the run stopped while this call was being placed; a call may have been made"
        let review = "check whether the call reached the person, then campaign resolve"
        if !dialing.isEmpty {
            try await sql.execute(
                """
                UPDATE attempts SET state = 'unknown', ended_at = \(stamp), error = \(reason)
                WHERE job_id = ANY(\(dialing)) AND state = 'dialing'
                """)
            try await sql.execute(
                """
                UPDATE jobs SET status = 'unknown', error = \(reason), review_reason = \(review), updated_at = \(stamp)
                WHERE id = ANY(\(dialing)) AND status = 'dialing'
                """)
        }
        // Only each job's latest attempt is followed, and only on the API that placed it.
        let rows = try await sql.rows(
            """
            SELECT j.id, a.id, j.attempts, j.phone_e164, a.interaction_id, a.started_at, a.api, a.state
            FROM jobs j JOIN attempts a ON a.id = (SELECT MAX(id) FROM attempts WHERE job_id = j.id)
            WHERE j.campaign_id = \(campaign.id) AND j.status = 'in_progress'
            ORDER BY j.id
            """,
            as: (Int64, Int64, Int64, String, String?, String, String?, String).self)
        var following: [FollowedCall] = []
        var elsewhere: [String: Int] = [:]
        var unknown = dialing
        for (jobID, attemptID, attempts, phone, call, startedAt, placedWith, state) in rows {
            if let placedWith, placedWith != api {
                elsewhere[placedWith, default: 0] += 1
                continue
            }
            let left = LeftInProgress(
                jobID: jobID, attemptID: attemptID, attempts: attempts, phone: phone, interactionID: call,
                startedAt: startedAt, state: state)
            if let call = try await follow(sql, left, owner: nil, stamp: stamp, now: now) {
                following.append(call)
            } else {
                unknown.append(jobID)
            }
        }
        return Recovery(unknownJobIDs: unknown, inProgress: following, placedElsewhere: elsewhere)
    }

    /// A job found `in_progress` with its latest attempt, by a run starting or a runner adopting it.
    struct LeftInProgress {
        var jobID: Int64
        var attemptID: Int64
        var attempts: Int64
        var phone: String
        var interactionID: String?
        var startedAt: String
        var state: String
    }

    /// The call to follow by its interaction id; or, when its latest attempt has none to follow, nil and the job
    /// made `unknown` for a person (guarded on `owner`, a runner's, when given).
    static func follow(
        _ sql: PostgresSQL, _ left: LeftInProgress, owner: Int64?, stamp: String, now: Date
    ) async throws(PostgresStoreError) -> FollowedCall? {
        guard AttemptState(rawValue: left.state) == .placed, let call = left.interactionID else {
            let reason = "in progress, but its latest attempt has no interaction id to follow"
            let review = "check whether the call reached the person, then campaign resolve"
            try await sql.execute(
                """
                UPDATE jobs SET status = 'unknown', error = \(reason), review_reason = \(review), updated_at = \(stamp)
                WHERE id = \(left.jobID) AND status = 'in_progress'
                  AND (\(owner)::bigint IS NULL OR runner_id = \(owner))
                """)
            return nil
        }
        return FollowedCall(
            jobID: left.jobID, attemptID: left.attemptID, attemptNumber: Int(left.attempts), phone: left.phone,
            interactionID: call, startedAt: Timestamp.date(left.startedAt) ?? now)
    }

    /// One transaction: the run lock checked, `results` recorded, then the due jobs locked
    /// (`FOR UPDATE SKIP LOCKED`, in `jobs_by_status` order: NULL "due now" first), judged in Swift (suppression,
    /// window, per-number limits) and written in later statements. The intents' attempt numbers are derived by
    /// a statement sent after the lock is held, so they read the jobs' latest attempts. Committed with
    /// synchronous_commit=on before any POST.
    public func claimDueJobs(
        campaign: CampaignRecord, api: String?, now: Date, limit: Int, admission: (any ClaimAdmission)?,
        pressure: ContactPressure?, recordingFirst results: [AttemptResult]
    ) async throws(StoreError) -> Claim {
        if let runner {
            return try await claimAsRunner(
                runner, campaign: campaign, api: api, now: now, limit: limit,
                admission: admission, pressure: pressure, recordingFirst: results)
        }
        let stamp = Timestamp.string(now)
        return try await withSQL { sql throws(PostgresStoreError) in
            try await sql.transaction { () async throws(PostgresStoreError) -> Claim in
                try await runLock?.check(sql)
                var claim = Claim()
                claim.recorded = try await Self.record(results, sql, owner: nil)
                try await Self.takeDueJobs(
                    sql, into: &claim, campaign: campaign, api: api, now: now, limit: limit, admission: admission,
                    pressure: pressure, owner: nil)
                claim.nextDue = try await Self.nextQueuedTime(sql, campaign: campaign)
                return claim
            }
        }
    }

    /// The claim's core, in the caller's transaction: up to `limit` due jobs locked, judged in Swift
    /// (suppression, window, per-number limits) and their intents written (owned by `owner`, if a runner's).
    static func takeDueJobs(
        _ sql: PostgresSQL, into claim: inout Claim, campaign: CampaignRecord, api: String?, now: Date, limit: Int,
        admission: (any ClaimAdmission)?, pressure: ContactPressure?, owner: RunnerOwner?
    ) async throws(PostgresStoreError) {
        let stamp = Timestamp.string(now)
        if pressure != nil, owner != nil {
            // Per-number limits count calls in every campaign: claims of other campaigns' runners must not decide
            // on the same number at once, so they queue here (after their own dispatch row: no cycle).
            try await sql.execute("SELECT pg_advisory_xact_lock(\(PostgresStore.numberLimitsKey))")
        }
        let wanted = claim.started.count + limit
        while claim.started.count < wanted {
            let candidates = try await lockDueJobs(
                sql, campaign: campaign, stamp: stamp, limit: wanted - claim.started.count)
            if candidates.isEmpty { break }
            var suppressed: [Int64] = []
            var postponed: [PostponedJob] = []
            var starting: [LockedJob] = []
            for candidate in candidates {
                if candidate.suppressed {
                    suppressed.append(candidate.job.id)
                    continue
                }
                let job = candidate.job
                var wait = admission?.until(job).flatMap { $0 > now ? PostponedJob(job: job, until: $0) : nil }
                if let pressure,
                    let until = pressure.until(
                        starts: try await callStarts(sql, phone: job.phone, since: now - pressure.lookBack.seconds),
                        now: now),
                    until >= wait?.until ?? now
                {
                    wait = PostponedJob(job: job, until: until, reason: .contactPressure)
                }
                if let wait {
                    postponed.append(wait)
                } else {
                    starting.append(candidate)
                }
            }
            try await suppress(sql, jobIDs: suppressed, stamp: stamp)
            try await postpone(sql, postponed, stamp: stamp)
            claim.postponed += postponed
            let intents = try await writeIntents(sql, starting, api: api, stamp: stamp, owner: owner)
            claim.started += zip(starting, intents).map { StartedJob(job: $0.job, intent: $1) }
        }
    }

    public func jobCounts(campaign: CampaignRecord) async throws(StoreError) -> JobCounts {
        let rows = try await withSQL { sql throws(PostgresStoreError) in
            try await Self.statusRows(sql, campaign: campaign)
        }
        return try Self.jobCounts(rows)
    }

    /// The campaign's jobs as `(status, count)` rows, for `jobCounts(_:)`; the dispatch store and a report's
    /// snapshot read them alike.
    static func statusRows(
        _ sql: PostgresSQL, campaign: CampaignRecord
    ) async throws(PostgresStoreError) -> [(String, Int64)] {
        // COUNT(*) is a bigint: read as Int64.
        try await sql.rows(
            "SELECT status, COUNT(*) FROM jobs WHERE campaign_id = \(campaign.id) GROUP BY status",
            as: (String, Int64).self)
    }

    /// The same `jobs_by_number` index as SQLite's, made by the first run with a per-number cap or gap:
    /// schema.postgres.sql has no index on `phone_e164` alone (`jobs_by_phone` leads with `campaign_id`), and
    /// a claim looks a number up across campaigns.
    public func indexNumbersAcrossCampaigns() async throws(StoreError) {
        try await withSQL { sql throws(PostgresStoreError) in
            try await sql.execute("CREATE INDEX IF NOT EXISTS jobs_by_number ON jobs (phone_e164)")
        }
    }

    /// Writes the intent to call one queued job (what a claim does for each job it starts), for tests and tools
    /// that pick the job themselves. Throws `jobNotQueued` for a job that is not queued.
    func recordAttemptIntent(jobID: Int64, api: String? = nil, now: Date) async throws(StoreError) -> AttemptIntent {
        let stamp = Timestamp.string(now)
        let campaigns = try await withSQL { sql throws(PostgresStoreError) in
            try await sql.rows(
                """
                SELECT c.id, c.name FROM jobs j JOIN campaigns c ON c.id = j.campaign_id WHERE j.id = \(jobID)
                """, as: (Int64, String).self)
        }
        guard let name = campaigns.first?.1, let campaign = try await self.campaign(named: name) else {
            throw .database(DispatchStoreError.jobNotQueued(jobID: jobID))
        }
        let intent = try await withSQL { sql throws(PostgresStoreError) -> AttemptIntent? in
            try await sql.transaction { () async throws(PostgresStoreError) -> AttemptIntent? in
                let locked = try await Self.lockDueJobs(sql, campaign: campaign, stamp: nil, limit: 1, jobID: jobID)
                guard let job = locked.first else { return nil }
                return try await Self.writeIntents(sql, [job], api: api, stamp: stamp, owner: nil).first
            }
        }
        guard let intent else { throw .database(DispatchStoreError.jobNotQueued(jobID: jobID)) }
        return intent
    }

    /// The earliest `next_attempt_at` of the campaign's queued jobs (`distantPast`: one is due now), or nil.
    func nextQueuedTime(campaign: CampaignRecord) async throws(StoreError) -> Date? {
        try await withSQL { sql throws(PostgresStoreError) in try await Self.nextQueuedTime(sql, campaign: campaign) }
    }

    /// The same, on `sql`: a claim's transaction and a report's snapshot read it there.
    static func nextQueuedTime(_ sql: PostgresSQL, campaign: CampaignRecord) async throws(PostgresStoreError) -> Date? {
        // NULLS FIRST: a NULL is "due now" and PostgreSQL would sort it last; also the index's own order.
        let rows = try await sql.values(
            """
            SELECT next_attempt_at FROM jobs WHERE campaign_id = \(campaign.id) AND status = 'queued'
            ORDER BY next_attempt_at NULLS FIRST LIMIT 1
            """, as: String?.self)
        guard let first = rows.first else { return nil }
        guard let text = first else { return Date.distantPast }
        return Timestamp.date(text)
    }
}
