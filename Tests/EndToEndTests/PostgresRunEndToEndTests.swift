@testable import CampaignKit
import Foundation
import PokuSimulator
import TestSupport
import Testing

/// `campaign run` on PostgreSQL where it differs from SQLite: the run lock is a session advisory lock, the pool
/// can lose a connection, and `--simulate` is not offered. The built binary, the simulator on loopback (in this
/// process, so it outlives a run the test kills), a campaign imported into a fresh database on the test cluster
/// (`RunEndToEndTests.Fixture`). What both backends do alike is proven by `RunEndToEndTests`, on both.
@Suite(
    "campaign run on PostgreSQL, end to end", .serialized,
    .enabled(
        if: TestPostgres.isAvailable,
        "CAMPAIGN_TEST_POSTGRES is unset: PostgreSQL test skipped (scripts/test-postgres.sh)"))
struct PostgresRunEndToEndTests {
    typealias Fixture = RunEndToEndTests.Fixture

    static func fixture(_ numbers: [String], callDuration: PokuSimulator.CallDuration) async throws -> Fixture {
        try await Fixture(
            backend: .postgres, numbers: numbers, callDuration: callDuration,
            script: FaultScript(outcomes: RunEndToEndTests.all(numbers, .answered)))
    }

    /// Two runners on one campaign: a second asking for other limits is refused while the first works; the first
    /// is frozen (SIGSTOP) mid-call, then killed; the second, with the stored limit, reaps it once its lease
    /// expires, adopts its call and follows it by its interaction id, finishes the campaign and dials nobody twice.
    @Test(
        "a second runner with other limits is refused; a frozen then killed runner's call is adopted, never redialled")
    func frozenRunnerReapedAndAdopted() async throws {
        let numbers = RunEndToEndTests.numbers(3)
        try await Self.fixture(numbers, callDuration: .fixed(.milliseconds(1500))).use { fixture in
            let first = try fixture.start(["--max-parallel", "1", "--lease", "1s"])
            try await RunEndToEndTests.poll("the first run's call is in progress") {
                try await fixture.statuses().contains("in_progress")
            }
            let refused = try await fixture.run(["--max-parallel", "3", "--lease", "1s"])
            #expect(refused.status == 1, "\(refused.stdout)\n\(refused.stderr)")
            #expect(refused.stderr.contains("--max-parallel 1"), "\(refused.stderr)")
            #expect(refused.stderr.contains("--set-limits"), "\(refused.stderr)")
            #expect(refused.stderr.contains("pid \(first.process.processIdentifier)"), "\(refused.stderr)")
            // A job resolve would requeue may still be ringing: refused while a runner works, naming it.
            let resolve = try await fixture.binary(["resolve", "--done", "--all"])
            #expect(resolve.status == 1, "\(resolve.stdout)\n\(resolve.stderr)")
            #expect(resolve.stderr.contains("pid \(first.process.processIdentifier)"), "\(resolve.stderr)")

            kill(first.process.processIdentifier, SIGSTOP)
            let second = try await fixture.run(["--lease", "1s"])
            kill(first.process.processIdentifier, SIGKILL)
            _ = await first.exit()
            #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
            #expect(second.stdout.contains("placed by a runner that stopped"), "\(second.stdout)")
            let ledger = await fixture.simulator.ledger()
            for number in numbers { #expect(ledger.placedCalls(to: number).count == 1, "\(number)") }
            #expect(try await fixture.statuses() == ["completed", "completed", "completed"])
        }
    }

    /// Found by review: a `--no-wait` runner left at once ("nothing due now") while another runner filled the
    /// shared limit, though jobs were due. It waits for those; once none is queued it leaves, without waiting for
    /// the other runner's calls.
    @Test(
        "--no-wait: a runner waits while another fills the shared limit with jobs due, and leaves once none is queued")
    func noWaitWaitsForSharedSlots() async throws {
        let numbers = RunEndToEndTests.numbers(4)
        try await Self.fixture(numbers, callDuration: .fixed(.milliseconds(1500))).use { fixture in
            let first = try fixture.start(["--max-parallel", "2"])
            try await RunEndToEndTests.poll("the first run's two calls are in progress") {
                try await fixture.statuses().filter { $0 == "in_progress" }.count == 2
            }
            let second = try await fixture.run(["--no-wait"])
            let queuedAtExit = try await fixture.statuses().filter { $0 == "queued" }.count
            #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
            #expect(queuedAtExit == 0, "\(second.stdout)")
            #expect(!second.stdout.contains("nothing due now"), "\(second.stdout)")
            let firstExit = await first.exit()
            #expect(firstExit.status == 0, "\(firstExit.stdout)\n\(firstExit.stderr)")
            let ledger = await fixture.simulator.ledger()
            for number in numbers { #expect(ledger.placedCalls(to: number).count == 1, "\(number)") }
            #expect(try await fixture.statuses() == Array(repeating: "completed", count: 4))
        }
    }

    /// The claim that records the first call's end waits on a row lock this test holds; the test then ends that
    /// claim's session (`pg_terminate_backend`), as a restarted pooler or a network cut would. The run lock's own
    /// session lives on, so the run may go on: it starts no call until a claim commits again.
    @Test("a pool connection lost while claiming: the run waits, claims again, and dials nobody twice")
    func connectionLostWhileClaiming() async throws {
        let numbers = RunEndToEndTests.numbers(3)
        try await Self.fixture(numbers, callDuration: .fixed(.milliseconds(800))).use { fixture in
            let run = try await fixture.startAndEndSession(
                ["--max-parallel", "1"], lockingTheJobIn: "in_progress", "a claim waits on the first job's row")
            let output = await run.exit()
            let printed = output.stdout + output.stderr
            #expect(output.status == 0, "\(printed)")
            #expect(printed.contains("the database did not answer ("), "\(printed)")
            #expect(printed.contains("the database answers again"), "\(printed)")
            let jobs = try await fixture.jobs()
            #expect(jobs.allSatisfy { $0.status == "completed" && $0.attemptStates.count == 1 }, "\(jobs)")
            let ledger = await fixture.simulator.ledger()
            for number in numbers { #expect(ledger.placedCalls(to: number).count == 1, "\(number)") }
        }
    }

    @Test("run --simulate on PostgreSQL is refused with the alternative, and changes nothing")
    func simulateRefused() async throws {
        try await Self.fixture(RunEndToEndTests.numbers(1), callDuration: .fixed(.milliseconds(50))).use { fixture in
            let before = try await fixture.tableDump()
            let rehearsal = try await fixture.binary(["run", "--simulate"])
            #expect(rehearsal.status == 2, "\(rehearsal.stderr)")
            #expect(rehearsal.stderr.contains("campaign simulator"), "\(rehearsal.stderr)")
            #expect(try await fixture.tableDump() == before)
            #expect(await fixture.simulator.ledger().entries.isEmpty)
        }
    }
}
