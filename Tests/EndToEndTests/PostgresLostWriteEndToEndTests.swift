@testable import CampaignKit
import Foundation
import PokuSimulator
import TestSupport
import Testing

extension RunEndToEndTests.Fixture {
    /// Starts `campaign run` with a PostgreSQL session of the test open; locks the first job found in `status`,
    /// in the statement that finds it (a query after a poll could come after a short call had ended), until a
    /// session of the run waits on that row; then ends the run's session (`pg_terminate_backend`, as a restarted
    /// pooler or a network cut would) and lets the row go. Returns the run, still going.
    func startAndEndSession(
        _ extra: [String], lockingTheJobIn status: String, _ what: String
    ) async throws -> CampaignBinary.Running {
        let database = try #require(postgres)
        return try await database.withSession { session in
            try await session.strings("BEGIN")
            let run = try start(extra)
            try await RunEndToEndTests.poll("a job is \(status), and its row is locked") {
                try await !session.strings("SELECT id::text FROM jobs WHERE status = '\(status)' FOR UPDATE").isEmpty
            }
            try await RunEndToEndTests.poll("\(what), and its session is ended") {
                try await database.strings(
                    """
                    SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity
                    WHERE datname = current_database() AND wait_event_type = 'Lock'
                    """
                ).contains("true")
            }
            try await session.strings("ROLLBACK")
            return run
        }
    }
}

extension PostgresRunEndToEndTests {
    /// The POST is answered slowly; meanwhile the test locks the job's row (in the statement that sees it
    /// `dialing`), so the write of the placed call waits on it, and the test ends that write's session. The call
    /// is ringing and only the run knows its id.
    @Test("a write lost right after a POST prints the interaction id and stops; the job is unknown, never redialled")
    func writeLostAfterPost() async throws {
        let numbers = RunEndToEndTests.numbers(1)
        let fixture = try await Fixture(
            backend: .postgres, numbers: numbers, callDuration: .fixed(.milliseconds(300)),
            script: FaultScript(outcomes: RunEndToEndTests.all(numbers, .answered), responseDelay: 1))
        try await fixture.use { fixture in
            let run = try await fixture.startAndEndSession(
                ["--max-parallel", "1"], lockingTheJobIn: "dialing", "the placed call's write waits on the row")
            let stopped = await run.exit()
            let placed = await fixture.simulator.ledger().placedCalls(to: numbers[0])
            let id = try #require(placed.first?.interactionId)
            #expect(stopped.status == 1, "\(stopped.stdout)\n\(stopped.stderr)")
            #expect(
                (stopped.stdout + stopped.stderr).contains("a call WAS placed, interaction id \(id)"),
                "\(stopped.stdout)\n\(stopped.stderr)")
            // The runner's clean stop turned its `dialing` job unknown, naming itself; a run changes nothing of it.
            let jobs = try await fixture.jobs()
            #expect(jobs.map(\.status) == ["unknown"], "\(jobs)")
            let next = try await fixture.run(["--unknown-hold", "0s"])
            #expect(try await fixture.statuses() == ["unknown"], "\(next.stdout)\n\(next.stderr)")
            #expect(await fixture.simulator.ledger().placedCalls(to: numbers[0]).count == 1, "never redialled")
        }
    }
}
