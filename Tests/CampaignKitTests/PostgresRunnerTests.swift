import Foundation
import PostgresNIO
import Synchronization
import TestSupport
import Testing

@testable import CampaignKit

/// Several runners on one PostgreSQL campaign, below the binary: each runner a store of its own (its own pool,
/// its own `PostgresRunner` row) on one test database. The claim race, the fencing of a reaped runner, adoption,
/// the shared limits and pause, and the clock check. Leases are expired by writing `lease_until_ms` into the past
/// and the lease's age is an injected clock, so nothing here waits for time to pass.
@Suite(
    "Several runners on one PostgreSQL campaign",
    .enabled(
        if: TestPostgres.isAvailable,
        "CAMPAIGN_TEST_POSTGRES is unset: PostgreSQL test skipped (scripts/test-postgres.sh)"
    ))
struct PostgresRunnerTests {
    /// A lease-age clock a test moves by hand.
    final class ManualClock: Sendable {
        private let offset = Mutex(Duration.zero)
        private let start = ContinuousClock.now
        func advance(_ by: Duration) { offset.withLock { $0 += by } }
        var now: ContinuousClock.Instant { start + offset.withLock { $0 } }
    }

    static func settings(maxParallel: Int? = 5, lease: TimeInterval = 30) -> PostgresRunner.Settings {
        var settings = PostgresRunner.Settings()
        settings.maxParallel = maxParallel
        settings.lease = lease
        return settings
    }

    /// `count` stores on `database`, each one runner with its own pool, not yet joined; the campaign `guests`.
    static func withRunners(
        _ count: Int, on database: PostgresTestDatabase, settings: PostgresRunner.Settings = settings(),
        clock: ManualClock? = nil, _ body: ([PostgresStore], CampaignRecord) async throws -> Void
    ) async throws {
        let location = try database.location
        let campaign = try await PostgresCampaignDatabase.with(location, mustExist: true) { opened in
            try await PostgresStore(database: opened).resolveCampaign("guests")
        }
        func nest(_ made: [PostgresStore]) async throws {
            if made.count == count { return try await body(made, campaign) }
            try await PostgresCampaignDatabase.with(location, mustExist: true) { opened in
                let runner = PostgresRunner(
                    settings: settings, location: location, monotonic: { clock?.now ?? ContinuousClock.now })
                do {
                    try await nest(made + [PostgresStore(database: opened, runner: runner)])
                } catch {
                    await runner.close()
                    throw error
                }
                // postgres-nio requires a connection to be closed before it is freed.
                await runner.close()
            }
        }
        try await nest([])
    }

    static func withCampaign(
        _ contacts: Int, _ body: (PostgresTestDatabase, [String]) async throws -> Void
    ) async throws {
        let phones = (0..<contacts).map(TestCampaign.phone)
        try await PostgresTestDatabase.withFresh { database in
            try await PostgresSeed.campaign(in: database, numbers: phones)
            try await body(database, phones)
        }
    }

    /// Expires `store`'s lease now, as if its machine had stopped renewing it for longer than a lease.
    static func expireLease(of store: PostgresStore, in database: PostgresTestDatabase) async throws {
        let id = try #require(store.runner?.id)
        try await database.execute("UPDATE runners SET lease_until_ms = 0 WHERE id = \(id)")
    }

    static func claim(_ store: PostgresStore, _ campaign: CampaignRecord, limit: Int, results: [AttemptResult] = [])
        async throws -> Claim
    {
        try await store.claimDueJobs(
            campaign: campaign, api: nil, now: Date(), limit: limit, admission: nil, pressure: nil,
            recordingFirst: results)
    }

    // MARK: - The claim race

    struct RaceOutcome: Sendable {
        var claims = 0
        var overLimit = 0
        var otherErrors: [String] = []
    }

    /// 8 runners against 120 jobs at a global limit of 5, each claiming up to 3 at a time, ending its calls at
    /// random with a third queued again for a retry, while a deferred constraint trigger (test-only) fails any
    /// commit that leaves more than 5 calls in flight. Answers how often it fired.
    static func race(lockingDispatchRow: Bool, claimsPerRunner: Int) async throws -> RaceOutcome {
        var total = RaceOutcome()
        try await withCampaign(120) { database, _ in
            try await database.execute(
                """
                CREATE FUNCTION test_calls_in_flight_limit() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF (SELECT COUNT(*) FROM jobs WHERE campaign_id = NEW.campaign_id
                          AND status IN ('dialing', 'in_progress'))
                       > (SELECT max_parallel FROM campaign_dispatch WHERE campaign_id = NEW.campaign_id) THEN
                        RAISE EXCEPTION 'over the limit: more calls in flight than max_parallel';
                    END IF;
                    RETURN NULL;
                END $$
                """)
            try await database.execute(
                """
                CREATE CONSTRAINT TRIGGER test_calls_in_flight_limit AFTER INSERT OR UPDATE ON jobs
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_calls_in_flight_limit()
                """)
            var settings = settings(maxParallel: 5)
            settings.lockDispatchRow = lockingDispatchRow
            try await withRunners(8, on: database, settings: settings) { stores, campaign in
                for store in stores { _ = try await store.joinAsRunner(campaign: campaign, now: Date()) }
                let outcomes = await withTaskGroup(of: RaceOutcome.self) { group in
                    for (index, store) in stores.enumerated() {
                        group.addTask {
                            await runRacer(store, campaign, seed: UInt64(index + 1), claims: claimsPerRunner)
                        }
                    }
                    var outcomes: [RaceOutcome] = []
                    for await outcome in group { outcomes.append(outcome) }
                    return outcomes
                }
                for outcome in outcomes {
                    total.claims += outcome.claims
                    total.overLimit += outcome.overLimit
                    total.otherErrors += outcome.otherErrors
                }
            }
            // Every attempt a job counts is a row, numbered 1, 2, … without a gap or a repeat.
            let mismatched = try await database.strings(
                """
                SELECT j.id::text FROM jobs j
                WHERE j.attempts <> (SELECT COUNT(*) FROM attempts a WHERE a.job_id = j.id)
                   OR j.attempts <> COALESCE((SELECT MAX(attempt_number) FROM attempts a WHERE a.job_id = j.id), 0)
                """)
            #expect(mismatched.isEmpty, "jobs whose attempts do not add up: \(mismatched)")
        }
        return total
    }

    /// One runner of the race: claims, places what it claimed, ends some of its calls before each next claim.
    static func runRacer(_ store: PostgresStore, _ campaign: CampaignRecord, seed: UInt64, claims: Int) async
        -> RaceOutcome
    {
        var outcome = RaceOutcome()
        var random = SeededGenerator(seed: seed)
        var pending: [AttemptResult] = []
        var inFlight: [AttemptIntent] = []
        var tries = 0
        while outcome.claims < claims && tries < claims * 2 {
            tries += 1
            do {
                let claim = try await Self.claim(store, campaign, limit: 3 - inFlight.count, results: pending)
                pending = []
                outcome.claims += 1
                for started in claim.started {
                    let intent = started.intent
                    let write = try await store.recordPlaced(
                        intent, interactionID: "call-\(intent.jobID)-\(intent.attemptNumber)", rawJSON: nil,
                        now: Date())
                    if write == .applied { inFlight.append(intent) } else { outcome.otherErrors.append("stale placed") }
                }
                var still: [AttemptIntent] = []
                for intent in inFlight {
                    guard Bool.random(using: &random) else {
                        still.append(intent)
                        continue
                    }
                    let again = intent.attemptNumber < 6 && Int.random(in: 0..<3, using: &random) == 0
                    pending.append(
                        .ended(
                            CallEnd(
                                jobID: intent.jobID, attemptID: intent.attemptID, attemptNumber: intent.attemptNumber,
                                result: EndedCall(
                                    outcome: again ? "no_answer" : "answered", summary: nil, recordingURL: nil,
                                    rawJSON: nil),
                                disposition: again ? .retry(at: Date(timeIntervalSince1970: 0)) : .completed,
                                at: Date())))
                }
                inFlight = still
                if claim.started.isEmpty && inFlight.isEmpty && pending.isEmpty && claim.nextDue == nil { break }
            } catch {
                // The claim was rolled back, the results it carried with it: they go with the next one.
                if "\(error)".contains("over the limit") {
                    outcome.overLimit += 1
                } else {
                    outcome.otherErrors.append("\(error)")
                }
            }
        }
        return outcome
    }

    @Test("8 runners racing for 120 jobs at a global limit of 5: never more in flight at any commit, attempts add up")
    func claimRace() async throws {
        let outcome = try await Self.race(lockingDispatchRow: true, claimsPerRunner: 150)
        #expect(outcome.overLimit == 0)
        #expect(outcome.otherErrors.isEmpty, "\(outcome.otherErrors.prefix(5))")
        #expect(outcome.claims > 200, "too few claims to prove anything: \(outcome.claims)")
    }

    @Test("the same race without the dispatch row lock goes over the limit: the race test has teeth")
    func claimRaceWithoutTheLock() async throws {
        let outcome = try await Self.race(lockingDispatchRow: false, claimsPerRunner: 150)
        #expect(outcome.overLimit > 0, "\(outcome.claims) claims and the limit held without the lock")
    }

    // MARK: - Fencing and adoption

    static func states(_ database: PostgresTestDatabase) async throws -> [String] {
        try await database.strings("SELECT state FROM runners ORDER BY id").map { $0 ?? "" }
    }

    static func join(_ stores: [PostgresStore], _ campaign: CampaignRecord) async throws {
        for store in stores { _ = try await store.joinAsRunner(campaign: campaign, now: Date()) }
    }

    @Test("the reaper spares a runner renewing its lease; once it expires the runner is reaped and fenced out")
    func reaperAgainstALiveRunner() async throws {
        try await Self.withCampaign(3) { database, _ in
            try await Self.withRunners(2, on: database) { stores, campaign in
                let (a, b) = (stores[0], stores[1])
                try await Self.join(stores, campaign)
                let intent = try #require(try await Self.claim(a, campaign, limit: 1).started.first?.intent)
                let aID = try #require(a.runner?.id)
                #expect(try await b.runner?.beat(now: Date()) == true)
                #expect(try await Self.states(database) == ["running", "running"])

                // A renewal in progress holds the runner's row: the reaper skips it, and after the renewal's
                // commit the lease is fresh, so it is not reaped either.
                try await Self.expireLease(of: a, in: database)
                try await database.withSession { session in
                    _ = try await session.strings("BEGIN")
                    _ = try await session.strings(
                        "UPDATE runners SET lease_until_ms = \(PostgresRunner.nowMS) + 30000 WHERE id = \(aID)")
                    #expect(try await b.runner?.beat(now: Date()) == true)
                    _ = try await session.strings("COMMIT")
                }
                #expect(try await b.runner?.beat(now: Date()) == true)
                #expect(try await Self.states(database) == ["running", "running"])

                try await Self.expireLease(of: a, in: database)
                #expect(try await b.runner?.beat(now: Date()) == true)
                #expect(try await Self.states(database) == ["dead", "running"])
                let job = try await database.rows(
                    "SELECT status, error, (slot_until_ms > 0)::text FROM jobs WHERE id = \(intent.jobID)")
                #expect(job.first?[0] == "unknown")
                #expect(job.first?[1]?.contains("pid \(getpid())") == true, "\(job)")
                #expect(job.first?[2] == "true", "an unknown job holds a slot: \(job)")

                // The POST's answer comes after the reaping: refused, the job stays unknown, the id is kept.
                let late = try await a.recordPlaced(intent, interactionID: "late-call-1", rawJSON: nil, now: Date())
                #expect(late == .stale)
                let after = try await database.rows(
                    """
                    SELECT j.status, j.interaction_id, a.interaction_id, a.state, j.review_reason
                    FROM jobs j JOIN attempts a ON a.job_id = j.id WHERE j.id = \(intent.jobID)
                    """)
                #expect(after.first?[0] == "unknown")
                #expect(after.first?[1] == "late-call-1")
                #expect(after.first?[2] == "late-call-1")
                #expect(after.first?[3] == "unknown")
                #expect(after.first?[4]?.contains("late-call-1") == true, "\(after)")

                // A reaped runner claims nothing again, and places nothing.
                await #expect(throws: StoreError.self) { _ = try await Self.claim(a, campaign, limit: 1) }
                #expect(!a.mayPlaceCalls)
                #expect(try await a.runner?.beat(now: Date()) == false)
            }
        }
    }

    @Test("--wait-for-call-end: a call that ended after its runner was reaped keeps its interaction id on the job")
    func lateEndOfAReapedRunner() async throws {
        try await Self.withCampaign(1) { database, _ in
            try await Self.withRunners(2, on: database) { stores, campaign in
                let (a, b) = (stores[0], stores[1])
                try await Self.join(stores, campaign)
                let intent = try #require(try await Self.claim(a, campaign, limit: 1).started.first?.intent)
                try await Self.expireLease(of: a, in: database)
                #expect(try await b.runner?.beat(now: Date()) == true)
                let end = CallEnd.answered(
                    intent.attempt, at: Date(), placed: PlacedAnswer(interactionID: "late-2", rawJSON: nil))
                await #expect(throws: StoreError.self) {
                    _ = try await Self.claim(a, campaign, limit: 1, results: [.ended(end)])
                }
                let job = try await database.rows("SELECT status, interaction_id FROM jobs")
                #expect(job.first == ["unknown", "late-2"], "\(job)")
            }
        }
    }

    @Test("a runner whose session ended is reaped once it has fenced itself (half a lease), before its lease expires")
    func sessionEndReapsEarly() async throws {
        try await Self.withCampaign(2) { database, _ in
            try await Self.withRunners(2, on: database) { stores, campaign in
                let (a, b) = (stores[0], stores[1])
                try await Self.join(stores, campaign)
                _ = try await Self.claim(a, campaign, limit: 1)
                let aID = try #require(a.runner?.id)
                await a.runner?.close()
                // Its connection only lost for a moment: it renewed recently and reconnects at its next beat.
                #expect(try await b.runner?.beat(now: Date()) == true)
                #expect(try await Self.states(database) == ["running", "running"])
                // 17 s after its last renewal (of a 30 s lease): it has fenced itself, its lease has 13 s left.
                try await database.execute(
                    """
                    UPDATE runners SET heartbeat_ms = heartbeat_ms - 17000, lease_until_ms = lease_until_ms - 17000
                    WHERE id = \(aID)
                    """)
                #expect(try await b.runner?.beat(now: Date()) == true)
                #expect(try await Self.states(database) == ["dead", "running"])
                let reason = try await database.strings("SELECT ended_reason FROM runners ORDER BY id")
                #expect(reason.first??.contains("session ended") == true, "\(reason)")
            }
        }
    }

    @Test("a placed call whose runner stopped is adopted by exactly one of 8 runners racing for it")
    func adoptionRace() async throws {
        try await Self.withCampaign(1) { database, _ in
            try await Self.withRunners(9, on: database) { stores, campaign in
                try await Self.join(stores, campaign)
                let first = stores[0]
                let intent = try #require(try await Self.claim(first, campaign, limit: 1).started.first?.intent)
                #expect(
                    try await first.recordPlaced(intent, interactionID: "call-1", rawJSON: nil, now: Date()) == .applied
                )
                // A clean stop hands the call over at once.
                await first.stopRunner(reason: "test")
                let adopted = try await withThrowingTaskGroup(of: Int.self) { group in
                    for store in stores.dropFirst() {
                        group.addTask { try await Self.claim(store, campaign, limit: 2).adopted.count }
                    }
                    var counts: [Int] = []
                    for try await count in group { counts.append(count) }
                    return counts
                }
                #expect(adopted.sorted() == [0, 0, 0, 0, 0, 0, 0, 1], "\(adopted)")
                let owner = try await database.strings("SELECT runner_id::text FROM jobs")
                #expect(owner.first??.isEmpty == false)
                #expect(owner.first != .some(String(first.runner?.id ?? 0)))
                // The runner that placed it learns the call's end late: refused, the adopter is the one writer.
                let end = CallEnd.answered(intent.attempt, at: Date())
                #expect(try await first.record([.ended(end)]) == [.stale])
                let adopter = try #require(stores.first { String($0.runner?.id ?? 0) == owner.first ?? "" })
                #expect(try await adopter.record([.ended(end)]) == [.applied])
            }
        }
    }

    /// Whether `nudges` yields within `bound`: 20 s for a nudge that must come (so a missing one fails the test
    /// rather than hanging it; one that comes takes milliseconds), half a second for one that must not, once a round
    /// trip on the runner's own connection has made the server deliver what it had for it.
    static func nudged(_ nudges: AsyncStream<Void>, within bound: Duration = .seconds(20)) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                var next = nudges.makeAsyncIterator()
                return await next.next() != nil
            }
            group.addTask {
                try? await Task.sleep(for: bound)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    @Test("a waiting runner is nudged by calls handed over, the campaign's last call's end, an import; not by its own")
    func nudges() async throws {
        let folder = TemporaryFolder()
        folder.write("first.csv", "name,phone\nAna,+14155552671\nBen,+12125550147\n")
        folder.write("more.csv", "name,phone\nCy,+13105550100\n")
        folder.write("prompt.txt", "Hi [name].")
        func importFile(_ name: String, into database: PostgresTestDatabase) async throws {
            try await CampaignDatabases.with(database.url, mustExist: false) { store in
                _ = try await ReportSnapshotTests.importContacts(
                    ImportRequest(
                        contactsPath: folder.path(name), promptPath: folder.path("prompt.txt"),
                        campaignName: "guests"), into: store)
            }
        }
        try await PostgresTestDatabase.withFresh { database in
            try await importFile("first.csv", into: database)
            try await Self.withRunners(3, on: database) { stores, campaign in
                try await Self.join(stores, campaign)
                let (first, second, waiting) = (stores[0], stores[1], stores[2])
                let heard = try #require(waiting.nudges())
                let own = try #require(second.nudges())
                let intents = try await Self.claim(first, campaign, limit: 2).started.map(\.intent)
                #expect(intents.count == 2)
                for (index, intent) in intents.enumerated() {
                    #expect(
                        try await first.recordPlaced(intent, interactionID: "call-\(index)", rawJSON: nil, now: Date())
                            == .applied)
                }
                // A clean stop hands the calls over: the others adopt them now, not at their next re-check.
                await first.stopRunner(reason: "test")
                #expect(await Self.nudged(heard))
                #expect(await Self.nudged(own))
                let adopted = try await Self.claim(second, campaign, limit: 5).adopted
                #expect(adopted.count == 2)
                // The second records one end: a call is still in flight, nobody is told.
                let ends = adopted.map { AttemptResult.ended(.answered($0.attempt, at: Date())) }
                _ = try await Self.claim(second, campaign, limit: 5, results: [ends[0]])
                // The last: the campaign is done, and the runner waiting on it is told (the one saying it is not).
                _ = try await Self.claim(second, campaign, limit: 5, results: [ends[1]])
                #expect(await Self.nudged(heard))
                #expect(try await second.runner?.beat(now: Date()) == true)
                #expect(await Self.nudged(own, within: .milliseconds(500)) == false)
                // New jobs imported into the campaign (a stream whose wait was cancelled has ended: a new one).
                let again = try #require(second.nudges())
                try await importFile("more.csv", into: database)
                #expect(await Self.nudged(heard))
                #expect(await Self.nudged(again))
            }
        }
    }

    /// Found by review: a beat that opened the own connection again but could not take the session locks (a
    /// resolve held the run lock at that moment) left the runner without them, and deaf to nudges, for good.
    @Test("a beat that cannot take the locks on a reopened connection tries again at the next: locks and nudges back")
    func relockAfterReconnect() async throws {
        try await Self.withCampaign(1) { database, _ in
            try await Self.withRunners(2, on: database) { stores, campaign in
                try await Self.join(stores, campaign)
                let (first, waiting) = (stores[0], stores[1])
                let id = try #require(waiting.runner?.id)
                // Both runners' own connections gone (their shared hold of the run lock with them), and a resolve
                // holding the run lock when the waiting runner's beat opens its connection again.
                await first.runner?.close()
                await waiting.runner?.close()
                try await database.withSession { resolve in
                    #expect(
                        try await resolve.strings("SELECT pg_try_advisory_lock(\(PostgresRunLock.key))::text")
                            == ["true"])
                    await #expect(throws: PostgresStoreError.self) { _ = try await waiting.runner?.beat(now: Date()) }
                    _ = try await resolve.strings("SELECT pg_advisory_unlock(\(PostgresRunLock.key))::text")
                }
                let heard = try #require(waiting.nudges())
                #expect(try await waiting.runner?.beat(now: Date()) == true)
                let held = try await database.strings(
                    """
                    SELECT string_agg(l.mode, ',' ORDER BY l.mode) FROM pg_locks l
                    WHERE l.locktype = 'advisory' AND l.granted AND l.pid = (
                        SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
                          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                          AND classid::bigint = \(Int64(PostgresRunner.livenessKey)) AND objid::bigint = \(id)
                          AND objsubid = 2)
                    """)
                #expect(held == ["ExclusiveLock,ShareLock"], "its liveness lock and the run lock shared")
                try await database.execute("SELECT pg_notify('\(PostgresRunner.channel(campaign: campaign.id))', '')")
                #expect(await Self.nudged(heard))
            }
        }
    }

    @Test("a claim says the shared limit held jobs back only when due jobs wait (what --no-wait waits for)")
    func limitReachedOnlyWithDueJobs() async throws {
        try await Self.withCampaign(3) { database, _ in
            try await Self.withRunners(2, on: database, settings: Self.settings(maxParallel: 2)) { stores, campaign in
                try await Self.join(stores, campaign)
                #expect(try await Self.claim(stores[0], campaign, limit: 2).started.count == 2)
                let held = try await Self.claim(stores[1], campaign, limit: 2)
                #expect(held.started.isEmpty && held.limitReached, "one job is due, both slots are the first's")
                #expect(try await Self.claim(stores[0], campaign, limit: 0).started.isEmpty)
                try await database.execute(
                    "UPDATE jobs SET next_attempt_at = '2099-01-01T00:00:00.000Z' WHERE status = 'queued'")
                let notDue = try await Self.claim(stores[1], campaign, limit: 2)
                #expect(notDue.started.isEmpty && !notDue.limitReached, "nothing due: nothing held back")
            }
        }
    }

    @Test("a runner whose lease renewal is half a lease old takes nothing and places nothing until it renews")
    func selfFencing() async throws {
        let clock = ManualClock()
        try await Self.withCampaign(3) { database, _ in
            try await Self.withRunners(1, on: database, clock: clock) { stores, campaign in
                let store = stores[0]
                try await Self.join(stores, campaign)
                #expect(store.mayPlaceCalls)
                clock.advance(.seconds(16))
                #expect(!store.mayPlaceCalls, "30 s lease, last renewal 16 s ago")
                let claim = try await Self.claim(store, campaign, limit: 3)
                #expect(claim.started.isEmpty && claim.adopted.isEmpty)
                // That claim renewed the lease (its fence): the next one takes jobs again.
                #expect(store.mayPlaceCalls)
                #expect(try await Self.claim(store, campaign, limit: 3).started.count == 3)
            }
        }
    }

    // MARK: - What runners share

    @Test("--max-parallel is the campaign's: another value is refused while a runner works, unless --set-limits")
    func sharedLimits() async throws {
        try await Self.withCampaign(1) { database, _ in
            try await Self.withRunners(1, on: database, settings: Self.settings(maxParallel: 5)) { first, campaign in
                try await Self.join(first, campaign)
                try await Self.withRunners(1, on: database, settings: Self.settings(maxParallel: 7)) { other, _ in
                    await #expect(throws: StoreError.self) {
                        _ = try await other[0].joinAsRunner(campaign: campaign, now: Date())
                    }
                }
                var forced = Self.settings(maxParallel: 7)
                forced.setLimits = true
                try await Self.withRunners(1, on: database, settings: forced) { other, _ in
                    let limits = try await other[0].joinAsRunner(campaign: campaign, now: Date())
                    #expect(limits?.maxParallel == 7)
                }
                try await Self.withRunners(1, on: database, settings: Self.settings(maxParallel: nil)) { other, _ in
                    let limits = try await other[0].joinAsRunner(campaign: campaign, now: Date())
                    #expect(limits?.maxParallel == 7, "a runner without --max-parallel takes the stored limit")
                }
            }
        }
    }

    @Test("a 429 pauses every runner; an unknown job holds its slot for the hold")
    func sharedPauseAndHold() async throws {
        try await Self.withCampaign(4) { database, _ in
            try await Self.withRunners(2, on: database, settings: Self.settings(maxParallel: 1)) { stores, campaign in
                let (a, b) = (stores[0], stores[1])
                try await Self.join(stores, campaign)
                let now = Date()
                let intent = try #require(try await Self.claim(a, campaign, limit: 1).started.first?.intent)
                let until = now.addingTimeInterval(60)
                _ = try await a.record([
                    AttemptResult(.notPlaced(intent, httpStatus: 429, reason: "HTTP 429", retryAt: until), at: now)
                ])
                // What the run does as the 429 arrives (`PoolLoop`, on the pool's `.paused`).
                await a.share(.pause(until: until, reason: "HTTP 429"), campaign: campaign)
                let paused = try await Self.claim(b, campaign, limit: 1)
                #expect(paused.started.isEmpty, "no runner starts a call during the pause")
                let due = try #require(paused.nextDue)
                #expect(abs(due.timeIntervalSince(until)) < 5, "\(due) vs \(until)")

                try await database.execute("UPDATE campaign_dispatch SET paused_until_ms = NULL")
                let second = try #require(try await Self.claim(b, campaign, limit: 1).started.first?.intent)
                _ = try await b.record([
                    AttemptResult(.unknown(second, httpStatus: nil, reason: "the answer was lost"), at: now)
                ])
                let held = try await Self.claim(a, campaign, limit: 1)
                #expect(held.started.isEmpty, "the unknown call holds the slot")
                #expect(
                    held.heldBack?.contains("1 unknown job(s) still hold slots") == true,
                    "\(String(describing: held.heldBack))")
                try await database.execute("UPDATE jobs SET slot_until_ms = 0 WHERE status = 'unknown'")
                #expect(try await Self.claim(a, campaign, limit: 1).started.count == 1, "hold over: the slot is free")
            }
        }
    }

    @Test("a breaker opened or a 401/402 met by one runner holds every runner; a runner starting clears the halt")
    func sharedBreakerAndHalt() async throws {
        try await Self.withCampaign(3) { database, _ in
            try await Self.withRunners(2, on: database) { stores, campaign in
                let (a, b) = (stores[0], stores[1])
                try await Self.join(stores, campaign)
                let until = Date().addingTimeInterval(30)
                await a.share(.pause(until: until, reason: "the circuit breaker opened"), campaign: campaign)
                let held = try await Self.claim(b, campaign, limit: 2)
                #expect(held.started.isEmpty)
                #expect(
                    held.nextDue.map { abs($0.timeIntervalSince(until)) < 5 } == true,
                    "\(String(describing: held.nextDue))")

                try await database.execute("UPDATE campaign_dispatch SET paused_until_ms = NULL")
                await a.share(.halted(reason: "the API refused the key (HTTP 401)"), campaign: campaign)
                let halted = try await Self.claim(b, campaign, limit: 2)
                #expect(halted.started.isEmpty)
                #expect(halted.halted == "the API refused the key (HTTP 401)")
            }
            try await Self.withRunners(1, on: database) { stores, campaign in
                try await Self.join(stores, campaign)
                let claim = try await Self.claim(stores[0], campaign, limit: 2)
                #expect(claim.halted == nil && claim.started.count == 2, "a new runner clears the halt")
            }
        }
    }

    @Test("runners of two campaigns sharing numbers, with --min-gap, claiming at once: each number dialled once")
    func numberLimitsAcrossCampaigns() async throws {
        let phones = (0..<40).map(TestCampaign.phone)
        try await PostgresTestDatabase.withFresh { database in
            try await PostgresSeed.campaign(in: database, name: "guests", numbers: phones)
            try await PostgresSeed.campaign(in: database, name: "friends", numbers: phones)
            let location = try database.location
            let pressure = ContactPressure(minGap: .seconds(3600))
            try await PostgresCampaignDatabase.with(location, mustExist: true) { first in
                try await PostgresCampaignDatabase.with(location, mustExist: true) { second in
                    let stores = [first, second].map {
                        PostgresStore(
                            database: $0,
                            runner: PostgresRunner(settings: Self.settings(maxParallel: 100), location: location))
                    }
                    let campaigns = [
                        try await stores[0].resolveCampaign("guests"), try await stores[1].resolveCampaign("friends"),
                    ]
                    for (store, campaign) in zip(stores, campaigns) {
                        _ = try await store.joinAsRunner(campaign: campaign, now: Date())
                    }
                    let started = try await withThrowingTaskGroup(of: Int.self) { group in
                        for (store, campaign) in zip(stores, campaigns) {
                            group.addTask {
                                try await store.claimDueJobs(
                                    campaign: campaign, api: nil, now: Date(), limit: 40, admission: nil,
                                    pressure: pressure, recordingFirst: []
                                ).started.count
                            }
                        }
                        return try await group.reduce(0, +)
                    }
                    for store in stores { await store.runner?.close() }
                    #expect(started == 40, "40 numbers, each dialled once across both campaigns: \(started) calls")
                }
            }
        }
    }

    @Test("a call placed through another API, left without an owner, does not keep a runner from finishing")
    func otherAPIsOrphansDoNotHoldARunner() async throws {
        try await Self.withCampaign(1) { database, _ in
            try await Self.withRunners(2, on: database) { stores, campaign in
                let (a, b) = (stores[0], stores[1])
                try await Self.join(stores, campaign)
                let claim = try await a.claimDueJobs(
                    campaign: campaign, api: "https://x.example", now: Date(), limit: 1, admission: nil,
                    pressure: nil, recordingFirst: [])
                let intent = try #require(claim.started.first?.intent)
                _ = try await a.recordPlaced(intent, interactionID: "call-x", rawJSON: nil, now: Date())
                await a.stopRunner(reason: "test")
                let other = try await b.claimDueJobs(
                    campaign: campaign, api: "https://y.example", now: Date(), limit: 2, admission: nil,
                    pressure: nil, recordingFirst: [])
                #expect(other.adopted.isEmpty, "followed only through the API that placed it")
                #expect(other.recheckAt == nil && other.nextDue == nil, "nothing left for this runner")
            }
        }
    }

    @Test("a runner whose clock is more than 5 s off the database's is refused, and nothing is written")
    func clockOffset() async throws {
        try await Self.withCampaign(1) { database, _ in
            try await Self.withRunners(1, on: database) { stores, campaign in
                await #expect(throws: StoreError.self) {
                    _ = try await stores[0].joinAsRunner(campaign: campaign, now: Date().addingTimeInterval(8))
                }
                let states = try await Self.states(database)
                #expect(states.isEmpty)
            }
        }
    }
}
