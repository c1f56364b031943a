import CampaignKit
import Foundation
import PokuSimulator
import TestSupport
import Testing

/// Several `campaign run` processes on one PostgreSQL campaign, with the machine's worst habits played against
/// them: runners killed with SIGKILL and started again, stopped with SIGINT, one frozen (SIGSTOP) for three
/// leases, a 429 with Retry-After, numbers suppressed by an import while they run. The simulator's ledger is the
/// proof: every POST it received, when, to whom, and how many calls were live at once.
@Suite(
    "Several runners on one PostgreSQL campaign, end to end (chaos)",
    .enabled(
        if: TestPostgres.isAvailable,
        "CAMPAIGN_TEST_POSTGRES is unset: PostgreSQL test skipped (scripts/test-postgres.sh)"
    ))
struct MultiRunnerEndToEndTests {
    typealias Fixture = RunEndToEndTests.Fixture

    static let limit = 8
    /// One start every 50 ms at most, across runners.
    static let rate = "1200/min"

    static func runnerArguments() -> [String] {
        [
            "--max-parallel", String(limit), "--rate", rate, "--lease", "2s", "--unknown-hold", "3s",
            "--max-attempts", "3", "--retry-delay", "200ms", "--poll-interval", "50ms", "--grace-period", "2s",
        ]
    }

    @Test("4 runners, 20+ kill -9s, SIGINTs, a frozen runner, a 429 and a suppression: no double dial, none lost")
    func chaos() async throws {
        let numbers = RunEndToEndTests.numbers(200)
        let limited = numbers[17]
        let suppressed = Array(numbers[180..<190])
        let script = try FaultScript(faultTexts: [limited: ["429:retry-after=2"]])
        try await Fixture(
            backend: .postgres, numbers: numbers, callDuration: .uniform(mean: .milliseconds(225)), script: script,
            seed: 11, weights: .init(answered: 5, voicemail: 1, busy: 2, noAnswer: 2)
        ).use { fixture in
            var random = SeededGenerator(seed: 2026)
            var runners: [CampaignBinary.Running] = []
            var ended: [CampaignBinary.Output] = []
            func startRunner() throws { runners.append(try fixture.start(Self.runnerArguments())) }
            for _ in 0..<4 { try startRunner() }

            var kills = 0
            var interrupts = 0
            var suppressedAt: Date? = nil
            var frozen: CampaignBinary.Running? = nil
            // About 22 s, and at least 20 kills however slow the machine (never past 90 s).
            let chaosEnds = Date().addingTimeInterval(22)
            let chaosLimit = Date().addingTimeInterval(90)
            var stopping: [CampaignBinary.Running] = []
            var round = 0
            while (Date() < chaosEnds || kills < 20) && Date() < chaosLimit {
                round += 1
                try await Task.sleep(for: .milliseconds(Int.random(in: 500...1000, using: &random)))
                // Runners that ended on their own (nothing left for them, or fenced out) are replaced.
                for runner in runners where !runner.process.isRunning { ended.append(await runner.exit()) }
                runners.removeAll { !$0.process.isRunning }
                if round == 3, let victim = runners.first {
                    // Frozen for three leases, then let go: it must have been fenced out meanwhile.
                    kill(victim.process.processIdentifier, SIGSTOP)
                    frozen = victim
                    runners.removeFirst()
                }
                if round == 9, let victim = frozen {
                    kill(victim.process.processIdentifier, SIGCONT)
                    runners.append(victim)
                    frozen = nil
                }
                if round == 5 {
                    fixture.folder.write("late.csv", "name,phone\nLate,+442079469998\n")
                    fixture.folder.write("dnc.csv", "phone\n" + suppressed.joined(separator: "\n") + "\n")
                    let imported = try await fixture.binary([
                        "import", "late.csv", "--prompt", "prompt.txt", "--name", "contacts", "--suppress",
                        "dnc.csv",
                    ])
                    #expect(imported.status == 0, "\(imported.stdout)\n\(imported.stderr)")
                    suppressedAt = Date()
                }
                guard let victim = runners.randomElement(using: &random) else {
                    try startRunner()
                    continue
                }
                if round % 6 == 0 {
                    // It follows its calls for the grace period and hands the rest over: waited for at the end.
                    kill(victim.process.processIdentifier, SIGINT)
                    interrupts += 1
                    stopping.append(victim)
                } else {
                    kill(victim.process.processIdentifier, SIGKILL)
                    kills += 1
                    ended.append(await victim.exit())
                }
                runners.removeAll { $0.process.processIdentifier == victim.process.processIdentifier }
                while runners.count < 4 { try startRunner() }
            }
            if let frozen {
                kill(frozen.process.processIdentifier, SIGCONT)
                runners.append(frozen)
            }
            // The chaos is over: the runners left, and one more, finish the campaign.
            try startRunner()
            for runner in runners + stopping { ended.append(await runner.exit()) }
            #expect(kills >= 20, "only \(kills) kills")
            #expect(interrupts >= 2)
            let finished = ended.filter { $0.status == 0 }
            #expect(!finished.isEmpty, "no runner finished the campaign")

            // The chaos did what it says: runners were reaped, their calls adopted, the 429 was met.
            let reaped = try await fixture.rows("SELECT CAST(COUNT(*) AS TEXT) FROM runners WHERE state = 'dead'")
            #expect(Int(reaped.first?[0] ?? "") ?? 0 >= 10, "runners reaped: \(reaped)")
            let printed = ended.map { $0.stdout + $0.stderr }
            #expect(printed.contains { $0.contains("placed by a runner that stopped") }, "no call was adopted")

            let ledger = await fixture.simulator.ledger()
            let jobs = try await fixture.jobsByPhone()
            // None lost: every row imported is one job, every job in an end state.
            #expect(jobs.count == numbers.count + 1)
            let open = jobs.values.filter { !["completed", "failed", "unknown", "suppressed"].contains($0.status) }
            #expect(open.isEmpty, "jobs not finished: \(open.map { "\($0.phone) \($0.status)" })")

            // No double dial: every call the simulator placed is an attempt the database knows, at most one call
            // per attempt, and an interaction id belongs to one attempt.
            let attempts = try await fixture.rows(
                "SELECT j.phone_e164, a.state, a.interaction_id FROM attempts a JOIN jobs j ON j.id = a.job_id")
            var mayHaveRung: [String: Int] = [:]
            var byInteraction: [String: Int] = [:]
            for row in attempts {
                if let phone = row[0], ["placed", "ended", "unknown"].contains(row[1] ?? "") {
                    mayHaveRung[phone, default: 0] += 1
                }
                if let id = row[2] { byInteraction[id, default: 0] += 1 }
            }
            for number in numbers + ["+442079469998"] {
                let placed = ledger.placedCalls(to: number)
                #expect(placed.count <= mayHaveRung[number, default: 0], "\(number): \(placed.count) calls placed")
                for call in placed {
                    #expect(
                        call.interactionId.map { byInteraction[$0, default: 0] <= 1 } ?? true,
                        "\(number): interaction recorded twice")
                }
            }
            let duplicates = byInteraction.filter { $0.value > 1 }
            #expect(duplicates.isEmpty, "interaction ids on two attempts: \(duplicates)")

            // One global limit, and one global rate: never more than 8 calls live, never more than 20 starts in
            // any second (a start every 50 ms; one more for the window's edges).
            #expect(ledger.maxConcurrentCalls <= Self.limit, "\(ledger.maxConcurrentCalls) calls at once")
            let starts = ledger.entries.filter { $0.method == "POST" && $0.placed }.compactMap {
                RunEndToEndTests.date($0.time)
            }.sorted()
            var busiest = 0
            var first = 0
            for (index, start) in starts.enumerated() {
                while start.timeIntervalSince(starts[first]) >= 1 { first += 1 }
                busiest = max(busiest, index - first + 1)
            }
            #expect(busiest <= 21, "\(busiest) calls started within one second")

            // Suppressed numbers: no POST after the import that suppressed them committed.
            let committed = try #require(suppressedAt)
            for number in suppressed {
                let late = ledger.entries.filter {
                    $0.method == "POST" && $0.to == number
                        && (RunEndToEndTests.date($0.time).map { $0 > committed } ?? false)
                }
                #expect(late.isEmpty, "\(number) called after it was suppressed")
            }

            // The 429: once recorded (a runner killed between the refusal and its next claim never records it, and
            // its job is unknown), no runner placed a call until its Retry-After had passed.
            let refusals = ledger.entries.filter { $0.method == "POST" && $0.to == limited && $0.status == 429 }
            #expect(refusals.count == 1)
            let recorded = try await fixture.rows(
                """
                SELECT CAST(COUNT(*) AS TEXT) FROM attempts a JOIN jobs j ON j.id = a.job_id
                WHERE j.phone_e164 = '\(limited)' AND a.http_status = 429
                """)
            if let refusal = refusals.first.flatMap({ RunEndToEndTests.date($0.time) }), recorded.first?[0] != "0" {
                // Claims committed before the pause may still POST in the next moment; none after that.
                let during = starts.filter {
                    $0 > refusal.addingTimeInterval(0.5) && $0 < refusal.addingTimeInterval(1.9)
                }
                let offsets = during.map { $0.timeIntervalSince(refusal) }
                #expect(during.isEmpty, "calls placed during the shared pause, seconds after the 429: \(offsets)")
            }
        }
    }
}
