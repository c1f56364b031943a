import Foundation
import PostgresNIO

/// `campaign run` as one of several runners of a campaign on PostgreSQL: its start (registration, reaping,
/// recovery) and its claim, which adds to the one-runner claim the fence (the lease renewed, or nothing kept),
/// adoption of orphaned calls, and the campaign's shared limit, rate and pause read under the dispatch row's
/// lock. docs/ARCHITECTURE.md, "Several runners".
extension PostgresStore {
    public var mayPlaceCalls: Bool { runner?.holdsLease ?? true }

    public func nudges() -> AsyncStream<Void>? { runner?.nudges() }

    public func joinAsRunner(campaign: CampaignRecord, now: Date) async throws(StoreError) -> SharedLimits? {
        guard let runner else { return nil }
        if let limits = runner.limits { return limits }
        do {
            return try await runner.register(campaign: campaign, now: now)
        } catch {
            throw .postgres(error)
        }
    }

    /// A clean stop of this store's runner (see `PostgresRunner.stop`); a failure is left to the lease, which
    /// expires, and the reaper, which does the same.
    func stopRunner(reason: String) async {
        guard let runner else { return }
        // A connection the server ended (the reason the run stops, perhaps) is handed out once more by the pool and
        // refused at once: the next one is new.
        for _ in 0..<3 {
            do {
                try await runner.stop(now: Date(), reason: reason)
                break
            } catch {
                continue
            }
        }
        await runner.close()
    }

    /// Registers `runner`, reaps runners whose lease expired, and brings the campaign to a state this runner can
    /// start from. Unlike a lone run it touches only what no live runner owns: queued jobs whose number was
    /// suppressed since, and `dialing` jobs without an owner (left by a run before runners existed). Orphaned
    /// `in_progress` calls are adopted by claims, as slots allow.
    func recoverAsRunner(
        _ runner: PostgresRunner, campaign: CampaignRecord, api: String?, now: Date
    ) async throws(StoreError) -> Recovery {
        let stamp = Timestamp.string(now)
        if runner.id == nil { _ = try await joinAsRunner(campaign: campaign, now: now) }
        return try await withSQL { sql throws(PostgresStoreError) -> Recovery in
            let reaped = try await PostgresRunner.reap(
                sql, campaign: campaign.id, hold: runner.holdMilliseconds, now: now)
            return try await sql.runnerTransaction { () async throws(PostgresStoreError) -> Recovery in
                try await sql.execute(
                    """
                    UPDATE jobs SET status = 'suppressed', updated_at = \(stamp)
                    WHERE campaign_id = \(campaign.id) AND status = 'queued'
                      AND phone_e164 IN (SELECT phone_e164 FROM suppressed)
                    """)
                let ownerless = try await PostgresRunner.orphan(
                    sql, campaign: campaign.id, runner: nil, hold: runner.holdMilliseconds, stamp: stamp,
                    reason: "the run stopped while this call was being placed; a call may have been made")
                let elsewhere = try await sql.rows(
                    """
                    SELECT a.api, COUNT(*) FROM jobs j JOIN attempts a
                        ON a.id = (SELECT MAX(id) FROM attempts WHERE job_id = j.id)
                    WHERE j.campaign_id = \(campaign.id) AND j.status = 'in_progress' AND j.runner_id IS NULL
                      AND a.api IS NOT NULL AND a.api IS DISTINCT FROM \(api)
                    GROUP BY a.api
                    """, as: (String, Int64).self)
                return Recovery(
                    unknownJobIDs: (reaped + ownerless).sorted(), inProgress: [],
                    placedElsewhere: Dictionary(elsewhere.map { ($0.0, Int($0.1)) }, uniquingKeysWith: +))
            }
        }
    }

    /// One claim of a runner, in one transaction, in a fixed lock order (own runner row, own jobs, orphans,
    /// the dispatch row, queued jobs), which rules out deadlocks with the reaper and with other claims:
    /// 1. the fence: its lease renewed, or (reaped) the claim fails and nothing is kept;
    /// 2. `results` recorded, each a compare-and-set that also needs the job to be this runner's;
    /// 3. orphaned `in_progress` calls adopted, as this run's free slots allow;
    /// 4. the campaign's dispatch row locked, the calls in flight across every runner counted under that lock
    ///    (jobs `dialing`, `in_progress`, or `unknown` still holding a slot), and the shared pause and rate read;
    /// 5. as many due jobs as the shared limit leaves, claimed as a lone run claims them.
    /// A runner whose lease renewal has not been acknowledged for half a lease takes nothing (steps 3 and 5).
    func claimAsRunner(
        _ runner: PostgresRunner, campaign: CampaignRecord, api: String?, now: Date, limit: Int,
        admission: (any ClaimAdmission)?, pressure: ContactPressure?, recordingFirst results: [AttemptResult]
    ) async throws(StoreError) -> Claim {
        let mayTake = runner.holdsLease
        let owner = self.owner
        let claimed: (Claim, ContinuousClock.Instant?)
        do {
            claimed = try await withSQL { sql throws(PostgresStoreError) in
                let (claim, renewalSent, after) = try await sql.runnerTransaction {
                    () async throws(PostgresStoreError) -> (Claim, ContinuousClock.Instant?, AfterClaim) in
                    let renewalSent = try await runner.fence(sql)
                    var claim = Claim()
                    claim.recorded = try await Self.record(results, sql, owner: owner)
                    var free = mayTake ? limit : 0
                    if free > 0, let owner {
                        claim.adopted = try await Self.adopt(
                            sql, campaign: campaign, api: api, owner: owner, limit: free, now: now)
                        free -= claim.adopted.count
                    }
                    let lock = runner.settings.lockDispatchRow ? "FOR UPDATE" : ""
                    let dispatch = try await sql.rows(
                        """
                        SELECT max_parallel, rate_interval_ms, next_start_ms, paused_until_ms,
                            \(unescaped: PostgresRunner.nowMS), halted_reason
                        FROM campaign_dispatch WHERE campaign_id = \(campaign.id) \(unescaped: lock)
                        """, as: (Int64, Int64?, Int64?, Int64?, Int64, String?).self)
                    guard let (maxParallel, rate, nextStart, pausedUntil, dbNow, halted) = dispatch.first else {
                        throw .server(location: sql.location.redacted, reason: "the campaign's dispatch row is missing")
                    }
                    if let halted {
                        claim.halted = halted
                        free = 0
                    }
                    let inFlight = try await Self.callsInFlight(sql, campaign: campaign, owner: owner, api: api)
                    var heldUntil: Int64? = nil
                    var take = min(free, max(0, Int(maxParallel - inFlight.all)))
                    if take < free {
                        heldUntil = dbNow + 1000
                        claim.limitReached = true
                        let holding = inFlight.all - inFlight.active
                        if take == 0, holding > 0, let release = inFlight.firstRelease {
                            let until = now.addingTimeInterval(Double(release - dbNow) / 1000)
                            claim.heldBack =
                                "\(holding) unknown job(s) still hold slots of the campaign's limit of \(maxParallel) "
                                + "(their calls may still be ringing; --unknown-hold), the first until "
                                + Timestamp.string(until)
                        }
                    }
                    if let pausedUntil, pausedUntil > dbNow {
                        take = 0
                        heldUntil = pausedUntil
                    }
                    if let rate {
                        if let nextStart, nextStart > dbNow {
                            take = 0
                            heldUntil = max(heldUntil ?? nextStart, nextStart)
                        } else {
                            take = min(take, 1)
                        }
                    }
                    if take > 0 {
                        try await Self.takeDueJobs(
                            sql, into: &claim, campaign: campaign, api: api, now: now, limit: take,
                            admission: admission,
                            pressure: pressure, owner: owner)
                    }
                    if let rate, !claim.started.isEmpty {
                        try await sql.execute(
                            """
                            UPDATE campaign_dispatch SET next_start_ms = \(unescaped: PostgresRunner.nowMS) + \(rate)
                            WHERE campaign_id = \(campaign.id)
                            """)
                    }
                    let after = AfterClaim(
                        heldUntil: free > 0 ? heldUntil : nil, dbNow: dbNow, othersWorking: inFlight.others > 0,
                        orphans: inFlight.orphans > 0, drained: inFlight.active == 0 && inFlight.orphans == 0)
                    return (claim, renewalSent, after)
                }
                return (
                    await finish(
                        claim, after, sql: sql, campaign: campaign, now: now, mayTake: mayTake,
                        recorded: !results.isEmpty),
                    renewalSent
                )
            }
        } catch {
            // Reaped: nothing of this claim is kept. Calls that ended with their POST's answer
            // (`--wait-for-call-end`) were made all the same: their interaction ids go on their `unknown` jobs.
            if case .postgres(.runnerReaped) = error { await keepLateAnswers(results) }
            throw error
        }
        let (claim, renewalSent) = claimed
        // The fence renewed the lease; it counts once committed, from when it was sent.
        if let renewalSent { runner.renewed(sentAt: renewalSent) }
        return claim
    }

    /// What a runner's claim learnt under the dispatch row lock that the read after its commit needs.
    struct AfterClaim {
        /// When due jobs the shared limit, pause or rate kept back may start (database ms), if it kept any back.
        var heldUntil: Int64?
        var dbNow: Int64
        var othersWorking: Bool
        var orphans: Bool
        /// No call in flight anywhere in the campaign once this claim's results were recorded.
        var drained: Bool
    }

    /// The rest of a runner's claim, after its commit (out of the dispatch row lock other runners wait on): when
    /// the next queued job is due, whether to look again in 2 s, and the nudge when this claim recorded the
    /// campaign's last calls. The claim is committed: a failure here must not lose it, so it is answered with a
    /// re-check in 2 s instead.
    func finish(
        _ committed: Claim, _ after: AfterClaim, sql: PostgresSQL, campaign: CampaignRecord, now: Date, mayTake: Bool,
        recorded: Bool
    ) async -> Claim {
        var claim = committed
        do {
            claim.nextDue = try await Self.nextQueuedTime(sql, campaign: campaign)
        } catch {
            claim.recheckAt = now.addingTimeInterval(Self.recheckInterval)
            return claim
        }
        // The shared limit held back due jobs only if some are due.
        if claim.nextDue.map({ $0 > now }) ?? true { claim.limitReached = false }
        if let heldUntil = after.heldUntil, let due = claim.nextDue, due <= now {
            // Due jobs the shared limit, pause or rate kept back: not before then. (Times of the database's clock, as
            // this machine's: the two are within the tolerance checked at registration.)
            claim.nextDue = now.addingTimeInterval(Double(heldUntil - after.dbNow) / 1000)
        }
        if recorded, claim.started.isEmpty, claim.adopted.isEmpty, claim.nextDue == nil, after.drained,
            let id = owner?.runner
        {
            // This claim recorded the campaign's last calls: the runners waiting on them may exit now.
            try? await PostgresRunner.nudge(sql, campaign: campaign.id, from: id)
        }
        if claim.nextDue != nil || after.othersWorking || after.orphans || !mayTake {
            claim.recheckAt = now.addingTimeInterval(Self.recheckInterval)
        }
        return claim
    }

    public func share(_ news: SharedHealth, campaign: CampaignRecord) async {
        guard runner != nil else { return }
        let statement: PostgresQuery
        switch news {
        case .pause(let until, let reason):
            statement = """
                UPDATE campaign_dispatch
                SET paused_until_ms = GREATEST(COALESCE(paused_until_ms, 0), \(Int64((until.timeIntervalSince1970 * 1000).rounded()))),
                    pause_reason = \(reason)
                WHERE campaign_id = \(campaign.id)
                """
        case .halted(let reason):
            statement = "UPDATE campaign_dispatch SET halted_reason = \(reason) WHERE campaign_id = \(campaign.id)"
        }
        try? await withSQL { sql throws(PostgresStoreError) in try await sql.execute(statement) }
    }

    /// The interaction ids of `results` whose POST answered only at the call's end, written on their jobs made
    /// `unknown` when this runner was reaped (`recordLateAnswer`). Best effort: the ids were printed too.
    func keepLateAnswers(_ results: [AttemptResult]) async {
        for result in results {
            guard case .ended(let end) = result.kind, let placed = end.placed else { continue }
            let attempt = AttemptRef(jobID: end.jobID, attemptID: end.attemptID, attemptNumber: end.attemptNumber)
            try? await withSQL { sql throws(PostgresStoreError) in
                try await Self.recordLateAnswer(
                    sql, attempt, interactionID: placed.interactionID, stamp: Timestamp.string(end.at))
            }
        }
    }

    /// The transaction lock claims with per-number limits take: ASCII "campnumb".
    static let numberLimitsKey: Int64 = 0x6361_6D70_6E75_6D62

    /// How often a runner with free slots claims again though nothing it knows of is due: other runners' retries,
    /// imports and freed shared slots reach it within this.
    static let recheckInterval: TimeInterval = 2

    /// The calls in flight of `campaign` across every runner: `all` counts against the shared limit (jobs
    /// `dialing` or `in_progress`, and `unknown` ones still holding a slot), `mine` are this claim's runner's
    /// before it, `active` those `dialing` or `in_progress` of every runner, `others` those other runners own,
    /// `orphans` the calls without an owner placed through `api`, which this runner may adopt (another API's are
    /// followed by a runner on that API).
    static func callsInFlight(
        _ sql: PostgresSQL, campaign: CampaignRecord, owner: RunnerOwner? = nil, api: String? = nil
    ) async throws(PostgresStoreError) -> (
        all: Int64, mine: Int64, active: Int64, others: Int64, orphans: Int64, firstRelease: Int64?
    ) {
        let rows = try await sql.rows(
            """
            SELECT COUNT(*),
                COUNT(*) FILTER (WHERE status <> 'unknown'),
                MIN(slot_until_ms) FILTER (WHERE status = 'unknown'),
                COUNT(*) FILTER (WHERE status <> 'unknown' AND runner_id = \(owner?.runner)),
                COUNT(*) FILTER (WHERE status <> 'unknown' AND runner_id <> \(owner?.runner)),
                COUNT(*) FILTER (WHERE status = 'in_progress' AND runner_id IS NULL
                    AND (SELECT a.api FROM attempts a WHERE a.id = (SELECT MAX(id) FROM attempts WHERE job_id = jobs.id))
                        IS NOT DISTINCT FROM \(api))
            FROM jobs
            WHERE campaign_id = \(campaign.id)
              AND (status IN ('dialing', 'in_progress')
                   OR (status = 'unknown' AND slot_until_ms > \(unescaped: PostgresRunner.nowMS)))
            """, as: (Int64, Int64, Int64?, Int64, Int64, Int64).self)
        guard let (all, active, firstRelease, mine, others, orphans) = rows.first else { return (0, 0, 0, 0, 0, nil) }
        return (all, mine, active, others, orphans, firstRelease)
    }

    /// Takes up to `limit` placed calls without an owner (their runner stopped or was reaped) made through `api`,
    /// as this runner's to follow. `SKIP LOCKED` and the owner re-checked once the row is locked: of runners racing
    /// for one call, exactly one adopts it. A call whose latest attempt has no interaction id to follow becomes
    /// `unknown`.
    static func adopt(
        _ sql: PostgresSQL, campaign: CampaignRecord, api: String?, owner: RunnerOwner, limit: Int, now: Date
    ) async throws(PostgresStoreError) -> [FollowedCall] {
        let ids = try await sql.values(
            """
            UPDATE jobs SET runner_id = \(owner.runner)
            WHERE id IN (
                SELECT j.id FROM jobs j
                WHERE j.campaign_id = \(campaign.id) AND j.status = 'in_progress' AND j.runner_id IS NULL
                  AND (SELECT a.api FROM attempts a WHERE a.id = (SELECT MAX(id) FROM attempts WHERE job_id = j.id))
                      IS NOT DISTINCT FROM \(api)
                ORDER BY j.id LIMIT \(Int64(limit)) FOR UPDATE SKIP LOCKED)
              AND status = 'in_progress' AND runner_id IS NULL
            RETURNING id
            """, as: Int64.self)
        guard !ids.isEmpty else { return [] }
        let rows = try await sql.rows(
            """
            SELECT j.id, a.id, j.attempts, j.phone_e164, a.interaction_id, a.started_at, a.state
            FROM jobs j JOIN attempts a ON a.id = (SELECT MAX(id) FROM attempts WHERE job_id = j.id)
            WHERE j.id = ANY(\(ids)) ORDER BY j.id
            """, as: (Int64, Int64, Int64, String, String?, String, String).self)
        var following: [FollowedCall] = []
        let stamp = Timestamp.string(now)
        for (jobID, attemptID, attempts, phone, call, startedAt, state) in rows {
            let left = LeftInProgress(
                jobID: jobID, attemptID: attemptID, attempts: attempts, phone: phone, interactionID: call,
                startedAt: startedAt, state: state)
            if let call = try await follow(sql, left, owner: owner.runner, stamp: stamp, now: now) {
                following.append(call)
            }
        }
        return following
    }
}
