@testable import CampaignKit
import Foundation
import PokuSimulator
import TestSupport
import Testing

extension PostgresRunEndToEndTests.Fixture {
    /// Holds `job`'s row locked until a session of the run waits on it, then ends that session
    /// (`pg_terminate_backend`, as a restarted pooler or a network cut would) and lets the row go.
    func endSession(waitingOnJob job: Int64, _ what: String) async throws {
        try await database.withSession { session in
            try await session.strings("BEGIN")
            try await session.strings("SELECT id::text FROM jobs WHERE id = \(job) FOR UPDATE")
            try await RunEndToEndTests.poll("\(what), and its session is ended") {
                try await database.strings(
                    """
                    SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity
                    WHERE datname = current_database() AND wait_event_type = 'Lock'
                    """
                ).contains("true")
            }
            try await session.strings("ROLLBACK")
        }
    }
}

extension PostgresRunEndToEndTests {
    /// The POST is answered slowly; meanwhile the test locks the job's row, so the write of the placed call waits
    /// on it, and the test ends that write's session. The call is ringing and only the run knows its id.
    @Test("a write lost right after a POST prints the interaction id and stops; the next run makes the job unknown")
    func writeLostAfterPost() async throws {
        let numbers = RunEndToEndTests.numbers(1)
        try await Self.withFixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(300)),
            script: FaultScript(outcomes: RunEndToEndTests.all(numbers, .answered), responseDelay: 1)
        ) { fixture in
            let run = try fixture.start(Fixture.runFlags + ["--max-parallel", "1"])
            try await RunEndToEndTests.poll("the job's intent is committed") {
                try await fixture.jobs().first?.status == "dialing"
            }
            let job = try await fixture.jobs()[0].id
            try await fixture.endSession(waitingOnJob: job, "the placed call's write waits on the row")
            let stopped = await run.exit()
            let placed = await fixture.simulator.ledger().placedCalls(to: numbers[0])
            let id = try #require(placed.first?.interactionId)
            #expect(stopped.status == 1, "\(stopped.stdout)\n\(stopped.stderr)")
            #expect(
                (stopped.stdout + stopped.stderr).contains("a call WAS placed, interaction id \(id)"),
                "\(stopped.stdout)\n\(stopped.stderr)")
            #expect(try await fixture.jobs().map(\.status) == ["dialing"])

            let next = try await fixture.binary(Fixture.runFlags)
            #expect(try await fixture.jobs().map(\.status) == ["unknown"], "\(next.stdout)\n\(next.stderr)")
            #expect(await fixture.simulator.ledger().placedCalls(to: numbers[0]).count == 1, "never redialled")
        }
    }
}
