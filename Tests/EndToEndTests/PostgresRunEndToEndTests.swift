@testable import CampaignKit
import Foundation
import PokuSimulator
import TestSupport
import Testing

/// `campaign run` and `campaign resolve` on a PostgreSQL database: the built binary, the simulator on loopback
/// (in this process, so it outlives a run the test kills), the test cluster. The simulator's ledger is the proof
/// of what was dialled. The campaign is written into the database with SQL (`PostgresSeed`): `campaign import`
/// on PostgreSQL is built separately, and these tests are about the run.
@Suite(
    "campaign run on PostgreSQL, end to end", .serialized,
    .enabled(
        if: TestPostgres.isAvailable,
        "CAMPAIGN_TEST_POSTGRES is unset: PostgreSQL test skipped (scripts/test-postgres.sh)"))
struct PostgresRunEndToEndTests {
    struct Fixture {
        let folder = TemporaryFolder()
        let simulator: PokuSimulator
        let database: PostgresTestDatabase

        var environment: [String: String] {
            ["POKU_API_KEY": RunEndToEndTests.Fixture.apiKey, "POKU_API_URL": simulator.baseURL.absoluteString]
        }

        func binary(_ arguments: [String]) async throws -> CampaignBinary.Output {
            try await start(arguments).exit()
        }

        func start(_ arguments: [String]) throws -> CampaignBinary.Running {
            try CampaignBinary.start(arguments + ["--db", database.url], in: folder.url, environment: environment)
        }

        static let runFlags = ["run", "--poll-interval", "50ms", "--retry-delay", "100ms", "--grace-period", "10s"]

        /// Job id and status by number, and the attempts that may have rung someone, from the database.
        func jobs() async throws -> [(id: Int64, phone: String, status: String, calls: Int)] {
            let rows = try await database.strings(
                """
                SELECT j.id || ' ' || j.phone_e164 || ' ' || j.status || ' '
                    || (SELECT COUNT(*) FROM attempts a WHERE a.job_id = j.id AND a.state <> 'not_placed')
                FROM jobs j ORDER BY j.id
                """)
            return rows.map { row in
                let parts = (row ?? "").split(separator: " ").map(String.init)
                return (Int64(parts[0])!, parts[1], parts[2], Int(parts[3])!)
            }
        }
    }

    static func withFixture(
        numbers: [String], callDuration: PokuSimulator.CallDuration, script: FaultScript,
        _ body: (Fixture) async throws -> Void
    ) async throws {
        let simulator = try await PokuSimulator.start(
            PokuSimulator.Configuration(
                seed: 7, apiKey: RunEndToEndTests.Fixture.apiKey, callDuration: callDuration, script: script))
        do {
            try await PostgresTestDatabase.withFresh { database in
                try await PostgresSeed.campaign(in: database, numbers: numbers)
                try await body(Fixture(simulator: simulator, database: database))
            }
        } catch {
            await simulator.shutdown()
            throw error
        }
        await simulator.shutdown()
    }

    /// 20 jobs: one whose POST answer is lost (unknown, for a person), one busy every time (three attempts,
    /// then failed), the rest answered. Every job ends, every placed call is one attempt row of its job, a
    /// person settles the unknown one with `resolve`, and a second run dials nobody.
    @Test("a run on PostgreSQL ends every job, dials no number twice by accident, and resolve settles the unknown")
    func runAndResolve() async throws {
        let numbers = RunEndToEndTests.numbers(20)
        var outcomes = RunEndToEndTests.all(numbers, .answered)
        outcomes[numbers[1]] = .busy
        let script = try FaultScript(faultTexts: [numbers[0]: ["drop-after-place"]], outcomes: outcomes)
        try await Self.withFixture(numbers: numbers, callDuration: .fixed(.milliseconds(50)), script: script) {
            fixture in
            let run = try await fixture.binary(Fixture.runFlags + ["--max-parallel", "5"])
            #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.contains("finished"), "\(run.stdout)")
            let ledger = await fixture.simulator.ledger()
            // The lost answer frees its slot at once (the dispatcher's rule on either backend) while the
            // simulator lets that call ring its 50 ms: at most one call more than the limit.
            #expect(ledger.maxConcurrentCalls <= 5 + 1)
            let jobs = try await fixture.jobs()
            #expect(jobs.count == 20)
            for job in jobs {
                // Each call the simulator placed is one attempt of the job that may have rung: none unaccounted.
                #expect(ledger.placedCalls(to: job.phone).count == job.calls, "\(job)")
            }
            #expect(jobs[0].status == "unknown")
            #expect(jobs[1].status == "failed")
            #expect(jobs[1].calls == 3)
            #expect(jobs.dropFirst(2).allSatisfy { $0.status == "completed" && $0.calls == 1 }, "\(jobs)")

            let wrong = try await fixture.binary(["resolve", "--done", "\(jobs[2].id)"])
            #expect(wrong.status == 1, "\(wrong.stderr)")
            #expect(wrong.stderr.contains("not unknown jobs of this campaign: \(jobs[2].id)"), "\(wrong.stderr)")
            let resolved = try await fixture.binary(["resolve", "--done", "\(jobs[0].id)"])
            #expect(resolved.status == 0, "\(resolved.stderr)")
            #expect(resolved.stdout.contains("marked 1 job(s) done"), "\(resolved.stdout)")
            #expect(try await fixture.jobs()[0].status == "completed")

            let again = try await fixture.binary(Fixture.runFlags)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(await fixture.simulator.ledger().callsPlaced == ledger.callsPlaced, "nobody was dialled again")
        }
    }

    /// The run holding the database is killed with SIGKILL mid-call: while it lives a second run and a
    /// resolve are refused naming it; once it is dead the server has released its lock, the next run takes
    /// the database, follows the call in flight by its interaction id and dials nobody twice.
    @Test("a second run is refused naming the first; after the first is killed with SIGKILL the next run takes over")
    func lockReleasedWhenTheHolderDies() async throws {
        let numbers = RunEndToEndTests.numbers(3)
        try await Self.withFixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(1500)),
            script: FaultScript(outcomes: RunEndToEndTests.all(numbers, .answered))
        ) { fixture in
            let first = try fixture.start(Fixture.runFlags + ["--max-parallel", "1"])
            try await RunEndToEndTests.poll("the first run's call is in progress") {
                try await fixture.jobs().contains { $0.status == "in_progress" }
            }
            // Stopped, the first run still holds its session (and the lock) however slowly the next processes
            // start: 3 calls of 1.5 s had ended before a second process got going on a loaded machine.
            kill(first.process.processIdentifier, SIGSTOP)
            let holder = "another campaign run is working this database (pid \(first.process.processIdentifier) on"
            let second = try await fixture.binary(Fixture.runFlags)
            #expect(second.status == 1, "\(second.stdout)\n\(second.stderr)")
            #expect(second.stderr.contains(holder), "\(second.stderr)")
            let resolve = try await fixture.binary(["resolve", "--done", "--all"])
            #expect(resolve.status == 1, "\(resolve.stderr)")
            #expect(resolve.stderr.contains(holder), "\(resolve.stderr)")

            kill(first.process.processIdentifier, SIGKILL)
            _ = await first.exit()
            let next = try await fixture.binary(Fixture.runFlags + ["--max-parallel", "1"])
            #expect(next.status == 0, "\(next.stdout)\n\(next.stderr)")
            let ledger = await fixture.simulator.ledger()
            for number in numbers { #expect(ledger.placedCalls(to: number).count == 1, "\(number)") }
            #expect(try await fixture.jobs().map(\.status) == ["completed", "completed", "completed"])
        }
    }

    /// The claim that records the first call's end waits on a row lock this test holds; the test then ends that
    /// claim's session (`pg_terminate_backend`), as a restarted pooler or a network cut would. The run lock's own
    /// session lives on, so the run may go on: it starts no call until a claim commits again.
    @Test("a pool connection lost while claiming: the run waits, claims again, and dials nobody twice")
    func connectionLostWhileClaiming() async throws {
        let numbers = RunEndToEndTests.numbers(3)
        try await Self.withFixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(800)),
            script: FaultScript(outcomes: RunEndToEndTests.all(numbers, .answered))
        ) { fixture in
            let run = try fixture.start(Fixture.runFlags + ["--max-parallel", "1"])
            try await RunEndToEndTests.poll("the first call is in progress") {
                try await fixture.jobs().first?.status == "in_progress"
            }
            let first = try await fixture.jobs()[0].id
            try await fixture.endSession(waitingOnJob: first, "a claim waits on the first job's row")
            let output = await run.exit()
            let printed = output.stdout + output.stderr
            #expect(output.status == 0, "\(printed)")
            #expect(printed.contains("the database did not answer ("), "\(printed)")
            #expect(printed.contains("the database answers again"), "\(printed)")
            let jobs = try await fixture.jobs()
            #expect(jobs.allSatisfy { $0.status == "completed" && $0.calls == 1 }, "\(jobs)")
            let ledger = await fixture.simulator.ledger()
            for number in numbers { #expect(ledger.placedCalls(to: number).count == 1, "\(number)") }
        }
    }

    @Test("run --simulate on PostgreSQL is refused with the alternative, and changes nothing")
    func simulateRefused() async throws {
        try await Self.withFixture(
            numbers: RunEndToEndTests.numbers(1), callDuration: .fixed(.milliseconds(50)), script: FaultScript()
        ) { fixture in
            let rehearsal = try await fixture.binary(["run", "--simulate"])
            #expect(rehearsal.status == 2, "\(rehearsal.stderr)")
            #expect(rehearsal.stderr.contains("campaign simulator"), "\(rehearsal.stderr)")
            #expect(try await fixture.jobs().map(\.status) == ["queued"])
        }
    }
}
