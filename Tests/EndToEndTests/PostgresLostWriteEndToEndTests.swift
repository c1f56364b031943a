@testable import CampaignKit
import Foundation
import PokuSimulator
import TestSupport
import Testing

extension PostgresRunEndToEndTests {
    /// The POST is answered slowly; meanwhile the test locks the job's row (in the statement that sees it
    /// `dialing`), so the write of the placed call waits on it, and the test ends that write's session. The call
    /// is ringing and only the run knows its id.
    @Test("a write lost right after a POST prints the interaction id and stops; the next run makes the job unknown")
    func writeLostAfterPost() async throws {
        let numbers = RunEndToEndTests.numbers(1)
        let fixture = try await Fixture(
            backend: .postgres, numbers: numbers, callDuration: .fixed(.milliseconds(300)),
            script: FaultScript(outcomes: RunEndToEndTests.all(numbers, .answered), responseDelay: 1))
        try await fixture.use { fixture in
            let database = try #require(fixture.postgres)
            let run = try await database.withSession { session in
                try await session.strings("BEGIN")
                let run = try fixture.start(["--max-parallel", "1"])
                try await RunEndToEndTests.poll("the job's intent is committed, and its row is locked") {
                    try await !session.strings("SELECT id::text FROM jobs WHERE status = 'dialing' FOR UPDATE")
                        .isEmpty
                }
                try await RunEndToEndTests.poll("the placed call's write waits on the row, and its session is ended") {
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
            let stopped = await run.exit()
            let placed = await fixture.simulator.ledger().placedCalls(to: numbers[0])
            let id = try #require(placed.first?.interactionId)
            #expect(stopped.status == 1, "\(stopped.stdout)\n\(stopped.stderr)")
            #expect(
                (stopped.stdout + stopped.stderr).contains("a call WAS placed, interaction id \(id)"),
                "\(stopped.stdout)\n\(stopped.stderr)")
            #expect(try await fixture.statuses() == ["dialing"])

            let next = try await fixture.run([])
            #expect(try await fixture.statuses() == ["unknown"], "\(next.stdout)\n\(next.stderr)")
            #expect(await fixture.simulator.ledger().placedCalls(to: numbers[0]).count == 1, "never redialled")
        }
    }
}
