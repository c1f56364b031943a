import Foundation
import PostgresNIO
import Synchronization

/// One `campaign run` among several working one campaign on PostgreSQL: its row in `runners` (its lease), the
/// heartbeat that renews it and reaps runners whose lease expired, and the fence every claim and POST checks.
///
/// The lease is in database time (`now_ms`), so machines never compare their own clocks. A runner whose renewal
/// has not been acknowledged for half a lease stops claiming and placing by itself (self-fencing), before any
/// other runner may reap it; and every write it makes about a job is a compare-and-set that includes
/// `runner_id`, so once reaped it can change nothing. See docs/ARCHITECTURE.md, "Several runners".
public final class PostgresRunner: Sendable {
    public struct Settings: Sendable {
        /// How long a lease lasts without renewal; renewed every third of it.
        public var lease: TimeInterval = 15
        /// How long a job that became `unknown` still holds a slot of the global limit: its call may be ringing.
        public var unknownHold: TimeInterval = 300
        /// `--max-parallel` as given (nil: the campaign's stored limit, else 5).
        public var maxParallel: Int?
        /// `--rate` as given: at least this long between two call starts across runners (nil: the stored one).
        public var rateInterval: TimeInterval?
        /// `--set-limits`: replace the stored limits even while other runners work with them.
        public var setLimits = false
        /// The most the clock of this machine may differ from the database's.
        public var clockTolerance: TimeInterval = 5
        /// Tests only: the claim without the dispatch row lock, to show the claim race test has teeth.
        var lockDispatchRow = true

        public init() {}
    }

    struct State {
        var id: Int64?
        var campaignID: Int64?
        /// When the last renewal that was acknowledged was sent (this machine's clock, which counts suspend).
        var lastRenewal: ContinuousClock.Instant?
        /// Set once another runner reaped this one: it can never claim again.
        var reaped = false
        var limits: SharedLimits?
        /// The own connection was opened again: its session locks are to be taken again (`takeLocks`), and until
        /// that succeeds a beat tries again.
        var relock = false
        /// The own connection does not listen for nudges (yet): a beat listens again until it does.
        var relisten = false
    }

    let settings: Settings
    let location: PostgresLocation
    let host: String
    let pid: Int
    /// This machine's clock for the lease's age: one that counts while the machine sleeps (injected by tests).
    let monotonic: @Sendable () -> ContinuousClock.Instant
    private let state = Mutex(State())
    /// The runner's own connection, never a pooled one: it registers the runner, renews its lease and holds its
    /// liveness lock (`livenessKey`) for as long as the process lives.
    private let own = Mutex<PostgresConnection?>(nil)
    /// The run's wake-ups (`nudges()`) and the task listening for them on the runner's own connection.
    private let listening = Mutex<(nudges: AsyncStream<Void>.Continuation?, task: Task<Void, Never>?)>((nil, nil))

    /// The first key of every runner's liveness lock, `pg_advisory_lock(livenessKey, id)`: ASCII "runr" (pg_locks
    /// shows classid 0x72756E72, objid the runner's id, objsubid 2). The server drops it the moment the runner's
    /// session ends: a process killed with SIGKILL, or its connection gone, is reaped at once instead of after its
    /// lease. A frozen process keeps its session, and its lease decides.
    static let livenessKey: Int32 = 0x7275_6E72

    public init(
        settings: Settings, location: PostgresLocation,
        monotonic: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.settings = settings
        self.location = location
        self.monotonic = monotonic
        host = ProcessInfo.processInfo.hostName
        pid = Int(getpid())
    }

    var id: Int64? { state.withLock { $0.id } }
    public var limits: SharedLimits? { state.withLock { $0.limits } }
    var leaseMilliseconds: Int64 { Int64((settings.lease * 1000).rounded()) }
    var holdMilliseconds: Int64 { Int64((settings.unknownHold * 1000).rounded()) }

    /// The database's clock in epoch milliseconds, as every lease and dispatch time is written.
    static let nowMS = "(extract(epoch from clock_timestamp()) * 1000)::bigint"

    /// Whether this runner may start a call now: registered, not reaped, and its lease renewed less than half a
    /// lease ago by this machine's clock (which keeps counting while the machine sleeps or the process is frozen).
    var holdsLease: Bool {
        state.withLock { state in
            guard !state.reaped, let last = state.lastRenewal else { return false }
            return monotonic() - last < .seconds(settings.lease / 2)
        }
    }

    /// A renewal sent at `sent` was acknowledged.
    func renewed(sentAt sent: ContinuousClock.Instant) {
        state.withLock { state in
            if state.lastRenewal.map({ $0 < sent }) ?? true { state.lastRenewal = sent }
        }
    }

    func markReaped() { state.withLock { $0.reaped = true } }

    // MARK: - Start

    /// Opens the runner's own connection (or answers the open one).
    func connection() async throws(PostgresStoreError) -> PostgresSQL {
        if let open = own.withLock({ $0 }), !open.isClosed { return PostgresSQL(connection: open, location: location) }
        let opened: PostgresConnection
        do {
            opened = try await PostgresConnection.connect(
                configuration: try location.connectionConfiguration(), id: 2, logger: PostgresCampaignDatabase.logger)
        } catch let error as PostgresStoreError {
            throw error
        } catch {
            throw PostgresStoreError(error, location: location)
        }
        own.withLock { $0 = opened }
        return PostgresSQL(connection: opened, location: location)
    }

    /// Closes the runner's own connection, which releases its liveness lock.
    func close() async {
        listening.withLock { $0.task?.cancel() }
        guard
            let open = own.withLock({ connection -> PostgresConnection? in
                defer { connection = nil }
                return connection
            })
        else { return }
        try? await open.close()
    }

    /// The runner's session locks on `sql`: its liveness lock, and the run lock (`PostgresRunLock.key`) shared, so
    /// `campaign resolve`, which takes it alone, is refused while any runner works the database (a job it would
    /// requeue may still be ringing). `try` forms: a session of this runner's that the server still keeps holds
    /// them already, and waiting for it would stop the heartbeat.
    func takeLocks(_ sql: PostgresSQL, id: Int64) async throws(PostgresStoreError) {
        let taken = try await sql.rows(
            """
            SELECT pg_try_advisory_lock(\(Self.livenessKey), \(Int32(truncatingIfNeeded: id))),
                pg_try_advisory_lock_shared(\(PostgresRunLock.key))
            """, as: (Bool, Bool).self)
        guard taken.first?.1 != false else {
            throw .server(
                location: location.redacted,
                reason: "a campaign resolve is working this database; run again once it is done (nothing was changed)")
        }
    }

    /// Registers this runner for `campaign` in one transaction on its own connection: the clock checked against
    /// the database's, the campaign's shared limits read (or set), the runner's row inserted with its first lease
    /// and its liveness lock taken (both seen by others at the commit, together).
    func register(campaign: CampaignRecord, now: Date) async throws(PostgresStoreError) -> SharedLimits {
        let sql = try await connection()
        let sent = monotonic()
        let limits = try await sql.runnerTransaction { () async throws(PostgresStoreError) -> SharedLimits in
            let clock = try await sql.values("SELECT \(unescaped: Self.nowMS)", as: Int64.self).first ?? 0
            let offset = Double(clock) / 1000 - now.timeIntervalSince1970
            guard abs(offset) <= settings.clockTolerance else {
                throw .server(
                    location: location.redacted,
                    reason: String(
                        format: "this machine's clock is %.1f s %@ the database server's (more than %.0f s): a "
                            + "calling window or a retry would start at the wrong time on one machine; set the clock "
                            + "(NTP), then run again; nothing was changed",
                        abs(offset), offset > 0 ? "behind" : "ahead of", settings.clockTolerance))
            }
            let defaultLimit = Int64(settings.maxParallel ?? 5)
            let givenRate = settings.rateInterval.map { Int64(($0 * 1000).rounded()) }
            try await sql.execute(
                """
                INSERT INTO campaign_dispatch (campaign_id, max_parallel, rate_interval_ms)
                VALUES (\(campaign.id), \(defaultLimit), \(givenRate)) ON CONFLICT (campaign_id) DO NOTHING
                """)
            let stored = try await sql.rows(
                """
                SELECT max_parallel, rate_interval_ms FROM campaign_dispatch WHERE campaign_id = \(campaign.id)
                FOR UPDATE
                """, as: (Int64, Int64?).self)
            guard let (storedLimit, storedRate) = stored.first else {
                throw .server(location: location.redacted, reason: "the campaign's dispatch row is missing")
            }
            let others = try await Self.live(sql, campaign: campaign.id).map(\.name)
            let limit = settings.maxParallel.map(Int64.init) ?? storedLimit
            let rate = settings.rateInterval == nil ? storedRate : givenRate
            if limit != storedLimit || rate != storedRate {
                guard others.isEmpty || settings.setLimits else {
                    throw .server(
                        location: location.redacted,
                        reason: "the campaign's limits are \(Self.describe(storedLimit, storedRate)), shared by the "
                            + "runners working it now (\(others.joined(separator: ", "))); this run asks for "
                            + "\(Self.describe(limit, rate)). Run without --max-parallel/--rate to use the shared "
                            + "limits, cap this machine with --local-max-parallel, or pass --set-limits to change "
                            + "them for every runner; nothing was changed")
                }
                try await sql.execute(
                    """
                    UPDATE campaign_dispatch SET max_parallel = \(limit), rate_interval_ms = \(rate)
                    WHERE campaign_id = \(campaign.id)
                    """)
            }
            // A runner starting clears a halt another left (a 401 or 402): if the key or the credits are still
            // refused, its own first call says so and halts them again.
            try await sql.execute(
                "UPDATE campaign_dispatch SET halted_reason = NULL WHERE campaign_id = \(campaign.id)")
            let rows = try await sql.values(
                """
                INSERT INTO runners (campaign_id, host, pid, state, started_at, lease_until_ms, heartbeat_ms)
                VALUES (\(campaign.id), \(host), \(Int64(pid)), 'running', \(Timestamp.string(now)),
                    \(unescaped: Self.nowMS) + \(leaseMilliseconds), \(unescaped: Self.nowMS))
                RETURNING id
                """, as: Int64.self)
            guard let id = rows.first else {
                throw .server(location: location.redacted, reason: "the runner's row was not written")
            }
            // Session-level, though taken in the transaction: they outlive the commit, and end with the session.
            try await takeLocks(sql, id: id)
            let limits = SharedLimits(runner: id, maxParallel: Int(limit), rateInterval: rate.map { Double($0) / 1000 })
            state.withLock { state in
                state.id = id
                state.campaignID = campaign.id
                state.limits = limits
            }
            renewed(sentAt: sent)
            return limits
        }
        if let id, await !listen(on: sql.connection, campaign: campaign.id, runner: id) {
            state.withLock { $0.relisten = true }
        }
        return limits
    }

    // MARK: - Wake-ups

    /// The channel on which the runners of `campaign` are told that something they wait for happened.
    static func channel(campaign: Int64) -> String { "campaign_work_\(campaign)" }

    /// Tells the runners of `campaign` (all but `from`, the runner saying it) to claim now rather than at their next
    /// re-check: the campaign is done, calls wait to be adopted, or new jobs were queued. Sent at the commit of the
    /// caller's transaction, and only then.
    static func nudge(_ sql: PostgresSQL, campaign: Int64, from runner: Int64?) async throws(PostgresStoreError) {
        try await sql.execute("SELECT pg_notify(\(channel(campaign: campaign)), \(runner.map(String.init) ?? ""))")
    }

    /// A wake-up each time another runner or verb nudges this runner's campaign (`nudge`), several that come
    /// while one waits counted once. Without them the runner still re-checks every 2 s; a new call replaces the
    /// stream of the previous one.
    func nudges() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        listening.withLock {
            $0.nudges?.finish(); $0.nudges = continuation
        }
        return stream
    }

    /// Listens for the campaign's nudges on `connection` until it closes (a lost connection is opened again at the
    /// next beat, which listens again). Answers once the server has taken the LISTEN (true) or it failed (false).
    private func listen(on connection: PostgresConnection, campaign: Int64, runner: Int64) async -> Bool {
        let me = String(runner)
        let (started, answer) = AsyncStream.makeStream(of: Bool.self, bufferingPolicy: .bufferingOldest(1))
        let task = Task<Void, Never> {
            _ = try? await connection.listen(on: Self.channel(campaign: campaign)) { notifications in
                answer.yield(true)
                for try await notification in notifications where notification.payload != me {
                    _ = self.listening.withLock { $0.nudges?.yield() }
                }
            }
            answer.yield(false)
            answer.finish()
        }
        listening.withLock { listening in
            listening.task?.cancel()
            listening.task = task
        }
        var first = started.makeAsyncIterator()
        return await first.next() ?? false
    }

    static func describe(_ limit: Int64, _ rate: Int64?) -> String {
        "--max-parallel \(limit)"
            + (rate.map { String(format: " and at most one call start every %.3g s", Double($0) / 1000) } ?? "")
    }

    // MARK: - Lease

    /// Renews the lease inside a claim's transaction: the fence. Throws `runnerReaped` when another runner
    /// reaped this one (its row is no longer `running`): nothing of this claim is kept. Answers when the renewal
    /// was sent, for the caller to pass to `renewed(sentAt:)` once the claim has committed.
    func fence(_ sql: PostgresSQL) async throws(PostgresStoreError) -> ContinuousClock.Instant? {
        guard let id else { return nil }
        let sent = monotonic()
        guard try await renew(sql, id: id) else { throw .runnerReaped(location: location.redacted) }
        return sent
    }

    /// The lease renewed on `sql`; false (and this runner marked reaped) when its row is no longer `running`.
    private func renew(_ sql: PostgresSQL, id: Int64) async throws(PostgresStoreError) -> Bool {
        let renewed = try await sql.changes(
            """
            UPDATE runners SET lease_until_ms = \(unescaped: Self.nowMS) + \(leaseMilliseconds),
                heartbeat_ms = \(unescaped: Self.nowMS)
            WHERE id = \(id) AND state = 'running'
            """)
        if renewed != 1 { markReaped() }
        return renewed == 1
    }

    /// One heartbeat on the runner's own connection: the lease renewed, then expired runners of the campaign
    /// reaped. Answers false when this runner was itself reaped. A connection that was lost is opened again; the
    /// liveness lock went with the old one, so the runner may have been reaped meanwhile, which the renewal says.
    func beat(now: Date) async throws(PostgresStoreError) -> Bool {
        guard let id, let campaign = state.withLock({ $0.campaignID }) else { return true }
        if own.withLock({ $0?.isClosed ?? true }) {
            state.withLock { state in
                state.relock = true
                state.relisten = true
            }
        }
        let sql = try await connection()
        let (relock, relisten) = state.withLock { ($0.relock, $0.relisten) }
        if relock {
            // Until this succeeds (a resolve may hold the run lock right now), every beat tries again: a runner
            // without them would not keep a resolve out, nor be known alive by its lock.
            try await takeLocks(sql, id: id)
            state.withLock { $0.relock = false }
        }
        if relisten, await listen(on: sql.connection, campaign: campaign, runner: id) {
            state.withLock { $0.relisten = false }
        }
        let sent = monotonic()
        guard try await renew(sql, id: id) else { return false }
        renewed(sentAt: sent)
        try await Self.reap(sql, campaign: campaign, hold: holdMilliseconds, now: now)
        return true
    }

    /// Reaps, in one transaction, every runner of `campaign` whose lease expired: its row `dead`, its `dialing`
    /// jobs `unknown` (their POST may have been sent; never redialled; a slot held for `hold` ms), its
    /// `in_progress` jobs without an owner, for a live runner to adopt and follow by interaction id. A runner
    /// renewing its lease meanwhile holds its row: it is skipped, and reaped, if at all, by a later beat.
    @discardableResult
    static func reap(
        _ sql: PostgresSQL, campaign: Int64, hold: Int64, now: Date
    ) async throws(PostgresStoreError) -> [Int64] {
        let stamp = Timestamp.string(now)
        return try await sql.runnerTransaction { () async throws(PostgresStoreError) -> [Int64] in
            let dead = try await sql.rows(
                """
                UPDATE runners SET state = 'dead',
                    ended_reason = CASE WHEN lease_until_ms < \(unescaped: nowMS)
                        THEN 'its lease expired: it stopped renewing it'
                        ELSE 'its database session ended: the process died or lost the database' END
                WHERE id IN (SELECT id FROM runners WHERE campaign_id = \(campaign) AND state = 'running'
                               ORDER BY id FOR UPDATE SKIP LOCKED)
                  AND (lease_until_ms < \(unescaped: nowMS)
                       OR (NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
                              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                              AND l.classid::bigint = \(Int64(livenessKey)) AND l.objid::bigint = runners.id
                              AND l.objsubid = 2)
                           -- Without its lock (its session ended: killed, or only its connection lost), a runner
                           -- is reaped once it has fenced itself: half a lease after its last renewal, and 1 s.
                           AND \(unescaped: nowMS) > heartbeat_ms + (lease_until_ms - heartbeat_ms) / 2 + 1000))
                RETURNING id, host, pid
                """, as: (Int64, String, Int64).self)
            var unknown: [Int64] = []
            for (runner, host, pid) in dead {
                unknown += try await orphan(
                    sql, campaign: campaign, runner: runner, hold: hold, stamp: stamp,
                    reason: placingReason(host: host, pid: pid))
            }
            return unknown
        }
    }

    /// Why a job whose runner stopped while placing its call is `unknown`.
    static func placingReason(host: String, pid: Int64) -> String {
        "the runner on \(host) pid \(pid) stopped while placing this call; a call may have been made"
    }

    /// `runner`'s `dialing` jobs of `campaign` become `unknown` with `reason`, holding a slot for `hold` ms; its
    /// `in_progress` jobs lose their owner, to be adopted. `runner` nil: the `dialing` jobs without an owner (left
    /// by a run before runners existed). Answers the jobs made `unknown`.
    @discardableResult
    static func orphan(
        _ sql: PostgresSQL, campaign: Int64, runner: Int64?, hold: Int64, stamp: String, reason: String
    ) async throws(PostgresStoreError) -> [Int64] {
        let review = "check whether the call reached the person, then campaign resolve"
        let dialing = try await sql.values(
            """
            UPDATE jobs SET status = 'unknown', error = \(reason), review_reason = \(review), updated_at = \(stamp),
                slot_until_ms = \(unescaped: nowMS) + \(hold)
            WHERE campaign_id = \(campaign) AND status = 'dialing' AND runner_id IS NOT DISTINCT FROM \(runner)
            RETURNING id
            """, as: Int64.self)
        if !dialing.isEmpty {
            try await sql.execute(
                """
                UPDATE attempts SET state = 'unknown', ended_at = \(stamp), error = \(reason)
                WHERE job_id = ANY(\(dialing)) AND state = 'dialing'
                """)
        }
        var handedOver = 0
        if let runner {
            handedOver = try await sql.changes(
                "UPDATE jobs SET runner_id = NULL WHERE runner_id = \(runner) AND status = 'in_progress'")
        }
        // Calls to adopt now, not at the others' next re-check.
        if handedOver > 0 { try await nudge(sql, campaign: campaign, from: nil) }
        return dialing
    }

    /// A clean stop: the runner's `in_progress` calls are handed over at once (a live runner adopts them), any
    /// `dialing` job left becomes `unknown`, and its row says `stopped`. Nothing is done for a reaped runner.
    func stop(now: Date, reason: String) async throws(PostgresStoreError) {
        guard let id, let campaign = state.withLock({ $0.campaignID }) else { return }
        let sql = try await connection()
        let stamp = Timestamp.string(now)
        try await sql.runnerTransaction { () async throws(PostgresStoreError) in
            let stopped = try await sql.changes(
                "UPDATE runners SET state = 'stopped', ended_reason = \(reason) WHERE id = \(id) AND state = 'running'")
            guard stopped == 1 else { return }
            try await Self.orphan(
                sql, campaign: campaign, runner: id, hold: holdMilliseconds, stamp: stamp,
                reason: Self.placingReason(host: host, pid: Int64(pid)))
        }
        markReaped()
    }

    // MARK: - Heartbeat

    /// Renews the lease every third of it on a connection of its own (a pool busy with 50 calls' writes must not
    /// delay it), reaping expired runners after each renewal, until cancelled or this runner is reaped. A lost
    /// connection is opened again at the next beat; meanwhile the lease ages and the runner fences itself.
    func heartbeat(clock: @escaping @Sendable () -> Date = { Date() }) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: .seconds(settings.lease / 3))
            } catch {
                return
            }
            if (try? await beat(now: clock())) == false { return }
        }
    }

    // MARK: - Who works the campaign

    /// The runners of `campaign` whose lease has not expired, with their calls in flight.
    static func live(_ sql: PostgresSQL, campaign: Int64) async throws(PostgresStoreError) -> [LiveRunner] {
        try await sql.rows(
            """
            SELECT r.id, r.host, r.pid,
                (SELECT COUNT(*) FROM jobs j WHERE j.campaign_id = r.campaign_id AND j.runner_id = r.id
                   AND j.status IN ('dialing', 'in_progress')),
                (\(unescaped: nowMS) - r.heartbeat_ms)::bigint
            FROM runners r
            WHERE r.campaign_id = \(campaign) AND r.state = 'running' AND r.lease_until_ms >= \(unescaped: nowMS)
            ORDER BY r.id
            """, as: (Int64, String, Int64, Int64, Int64).self
        ).map {
            LiveRunner(
                host: $0.1, pid: Int($0.2), callsInFlight: Int($0.3), secondsSinceHeartbeat: Double($0.4) / 1000)
        }
    }
}
