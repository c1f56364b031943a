import Foundation
import GRDB
import PokuSimulator
import Testing

@testable import CampaignKit
import TestSupport

/// Caps per number across campaigns and the deadline, with the real binary, database and simulator.
extension RunEndToEndTests {
    @Test("two campaigns sharing numbers under --max-calls-per-number 1/24h place each number's call once")
    func capAcrossCampaigns() async throws {
        let numbers = Self.numbers(3)
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(50)),
            script: FaultScript(outcomes: Self.all(numbers, .answered)))
        defer { Task { await fixture.simulator.shutdown() } }
        let imported = try await fixture.binary(["import", "contacts.csv", "--prompt", "prompt.txt", "--name", "b"])
        #expect(imported.status == 0, "\(imported.stderr)")

        let first = try await fixture.run(["--campaign", "contacts", "--max-calls-per-number", "1/24h"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(await fixture.simulator.ledger().callsPlaced == numbers.count)

        let second = try await fixture.run(["--campaign", "b", "--max-calls-per-number", "1/24h", "--no-wait"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(await fixture.simulator.ledger().callsPlaced == numbers.count, "no number was called twice")
        let output = second.stdout + second.stderr
        #expect(output.components(separatedBy: "called too often or too recently").count - 1 == numbers.count)
        #expect(output.contains("nothing due now"), "\(output)")
        let waiting = try await fixture.database().read { db in
            try Int.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) FROM jobs j JOIN campaigns c ON c.id = j.campaign_id
                    WHERE c.name = 'b' AND j.status = 'queued' AND j.attempts = 0 AND j.next_attempt_at IS NOT NULL
                    """)
        }
        #expect(waiting == numbers.count, "the jobs wait for the cap; none failed")
        let report = try await fixture.binary(["report", "--campaign", "b"])
        #expect(report.stdout.contains("\(numbers.count) held back by a per-number limit"), "\(report.stdout)")
    }

    @Test(
        "--until refuses a time without an offset, a time that has passed, and a duration out of range (exit 2)",
        arguments: ["2027-01-01T09:00:00", "2001-01-01T00:00:00Z", "100d", "tomorrow"])
    func untilRefused(value: String) async throws {
        let numbers = Self.numbers(1)
        let fixture = try await Fixture(numbers: numbers, callDuration: .fixed(.milliseconds(50)))
        defer { Task { await fixture.simulator.shutdown() } }
        let run = try await fixture.run(["--until", value])
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        #expect(await fixture.simulator.ledger().callsPlaced == 0)
    }

    @Test("an opt-out said on a call in one campaign keeps the number from being called in another")
    func optOutAcrossCampaigns() async throws {
        let numbers = Self.numbers(2)
        var outcomes = Self.all(numbers, .answered)
        outcomes[numbers[0]] = .optOut
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(50)), script: FaultScript(outcomes: outcomes))
        defer { Task { await fixture.simulator.shutdown() } }
        let imported = try await fixture.binary(["import", "contacts.csv", "--prompt", "prompt.txt", "--name", "b"])
        #expect(imported.status == 0, "\(imported.stderr)")
        let first = try await fixture.run(["--campaign", "contacts"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("opt_out"), "\(first.stdout)")
        let second = try await fixture.run(["--campaign", "b"])
        #expect(second.status == 0, "\(second.stderr)")
        let ledger = await fixture.simulator.ledger()
        let called = ledger.entries.filter { $0.placed }.compactMap(\.to)
        #expect(called.filter { $0 == numbers[0] }.count == 1, "the opted-out number is not called again: \(called)")
        #expect(called.filter { $0 == numbers[1] }.count == 2)
        let report = try await fixture.binary(["report", "--campaign", "contacts", "--csv", "results.csv"])
        #expect(report.stdout.contains("opt_out"), "the report counts opt-outs: \(report.stdout)")
        let csv = try String(contentsOfFile: fixture.folder.path("results.csv"), encoding: .utf8)
        #expect(
            csv.split(separator: "\n").filter { $0.contains(numbers[0]) && $0.contains("opt_out") }.count == 1, "\(csv)"
        )
        let listed = try await fixture.binary(["suppress", "--list"])
        #expect(
            listed.stdout.contains(numbers[0]) && listed.stdout.contains("opt-out heard on call"), "\(listed.stdout)")
    }

    @Test("campaign cancel: a cancelled job is never called; ids that are not queued cancel nothing (exit 1)")
    func cancelQueuedJobs() async throws {
        let numbers = Self.numbers(3)
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(50)),
            script: FaultScript(outcomes: Self.all(numbers, .answered)))
        defer { Task { await fixture.simulator.shutdown() } }
        let refused = try await fixture.binary(["cancel", "2", "99"])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("99 (not in this campaign)"), "\(refused.stderr)")
        #expect(try await fixture.statuses() == ["queued", "queued", "queued"], "nothing was cancelled")
        let cancelled = try await fixture.binary(["cancel", "2"])
        #expect(cancelled.status == 0, "\(cancelled.stderr)")
        #expect(cancelled.stdout.contains("cancelled 1 queued job"))
        let run = try await fixture.run([])
        #expect(run.status == 0, "\(run.stderr)")
        let called = await fixture.simulator.ledger().entries.filter { $0.placed }.compactMap(\.to)
        #expect(Set(called) == [numbers[0], numbers[2]], "the cancelled number was not called: \(called)")
        #expect(try await fixture.statuses() == ["completed", "cancelled", "completed"])
        let again = try await fixture.binary(["cancel", "1"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("1 (completed)"), "\(again.stderr)")
    }

    @Test("import: a row with no zone gets its number's only when the country has one local time")
    func zoneFromNumber() async throws {
        let folder = TemporaryFolder()
        folder.write("prompt.txt", "Hi [name].")
        folder.write("c.csv", "name,phone\nAmélie,+33 1 23 45 67 89\nBob,+1 201 555 0123\nKen,+81 3 1234 5678\n")
        let imported = try await CampaignBinary.start(["import", "c.csv", "--prompt", "prompt.txt"], in: folder.url)
            .exit()
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("2 row(s) named no time zone and got their number's"), "\(imported.stdout)")
        var configuration = Configuration()
        configuration.readonly = true
        let zones = try await DatabaseQueue(path: folder.path("campaign.db"), configuration: configuration).read { db in
            try String?.fetchAll(db, sql: "SELECT timezone FROM jobs ORDER BY id")
        }
        #expect(zones == ["Europe/Paris", nil, "Asia/Tokyo"])
        let dryRun = try await CampaignBinary.start(
            ["import", "c.csv", "--prompt", "prompt.txt", "--db", "other.db", "--dry-run"], in: folder.url
        ).exit()
        #expect(
            dryRun.stdout.contains(
                "by time zone: 1 with no zone (a run with --window needs --timezone for them), 1 Asia/Tokyo, "
                    + "1 Europe/Paris"), "\(dryRun.stdout)")
    }

    @Test("campaign plan says who is callable now and who never is, and the run then does what it said")
    func planAgreesWithRun() async throws {
        let numbers = ["+12015550101", "+33123456789", "+81312345678"]
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(50)),
            script: FaultScript(outcomes: Self.all(numbers, .answered)))
        defer { Task { await fixture.simulator.shutdown() } }
        let day = 86_400.0
        let dates = [-day, 0, day].map { Timestamp.string(Date().addingTimeInterval($0)).prefix(10) }
            .joined(separator: ",")

        func plan(_ extra: [String]) async throws -> CampaignPlan {
            let output = try await fixture.binary(["plan", "--json"] + extra)
            #expect(output.status == 0, "\(output.stderr)")
            return try JSONDecoder().decode(CampaignPlan.self, from: Data(output.stdout.utf8))
        }
        let noZone = try await plan(["--window", "00:00-24:00"])
        #expect(noZone.queued == 3)
        #expect(noZone.callableNow == 2, "the US number has no zone: \(noZone)")
        #expect(noZone.never.map(\.jobs) == [1])
        let closed = try await plan(["--window", "00:00-24:00", "--timezone", "America/Chicago", "--skip-dates", dates])
        #expect(closed.callableNow == 0)
        #expect(closed.zones.map(\.zone) == ["America/Chicago", "Asia/Tokyo", "Europe/Paris"])
        #expect(closed.zones.allSatisfy { $0.opensAt != nil }, "\(closed.zones)")
        let open = try await plan(["--window", "00:00-24:00", "--timezone", "America/Chicago"])
        #expect(open.callableNow == 3)

        let refused = try await fixture.run(["--window", "00:00-24:00"])
        #expect(refused.status == 2, "the job plan named as never callable stops the run: \(refused.stderr)")
        let run = try await fixture.run(["--window", "00:00-24:00", "--timezone", "America/Chicago"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(await fixture.simulator.ledger().callsPlaced == open.callableNow)
        let text = try await fixture.binary(["plan"])
        #expect(text.stdout.contains("0 queued; 0 callable now"), "\(text.stdout)")
    }
}
