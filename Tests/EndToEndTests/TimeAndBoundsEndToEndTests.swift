@testable import CampaignKit
import Foundation
import GRDB
import PokuSimulator
import TestSupport
import Testing

/// Issue 8's promises about time and limits, with the built binary, a real database and the simulator on
/// loopback: stop signals keep the grace period, zones are never guessed, extreme values are refused before
/// anything is committed, and a mistyped `--db` creates nothing.
@Suite("time zones, windows, signals, bounds and --db, end to end", .serialized)
struct TimeAndBoundsEndToEndTests {
    typealias Fixture = RunEndToEndTests.Fixture

    // MARK: - Stop signals (item 12)

    @Test(
        "SIGTERM and SIGHUP stop like the first Ctrl-C: calls in flight followed, exit 143/129, a second run continues",
        arguments: [(SIGTERM, Int32(143)), (SIGHUP, Int32(129))])
    func stopSignal(signal: Int32, status: Int32) async throws {
        let numbers = RunEndToEndTests.numbers(6)
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(800)),
            script: FaultScript(outcomes: RunEndToEndTests.all(numbers, .answered)))
        defer { Task { await fixture.simulator.shutdown() } }
        let running = try fixture.start(["--max-parallel", "2"])
        try await RunEndToEndTests.poll("a call is placed") { await fixture.simulator.ledger().callsPlaced >= 1 }
        kill(running.process.processIdentifier, signal)
        let first = await running.exit()
        #expect(first.status == status, "\(first.stdout)\n\(first.stderr)")
        #expect(running.process.terminationReason == .exit, "killed by the signal instead of stopping")
        #expect(first.stdout.contains("following the calls in flight"), "\(first.stdout)")
        #expect(first.stdout.contains("run campaign run again to continue"), "\(first.stdout)")
        // Followed during the grace period: every call placed ended and is recorded; nothing left mid-call.
        let afterStop = try await fixture.jobs()
        #expect(afterStop.allSatisfy { $0.status == "queued" || $0.status == "completed" }, "\(afterStop)")
        let placedAtStop = await fixture.simulator.ledger().callsPlaced
        #expect(afterStop.filter { $0.status == "completed" }.count == placedAtStop, "\(afterStop)")
        #expect(placedAtStop < numbers.count)

        let second = try await fixture.run(["--max-parallel", "2"])
        #expect(second.status == 0, "\(second.stderr)")
        let ledger = await fixture.simulator.ledger()
        for number in numbers { #expect(ledger.placedCalls(to: number).count == 1, "\(number)") }
        #expect(try await fixture.statuses() == Array(repeating: "completed", count: numbers.count))
    }

    // MARK: - Zone names at import (item 13)

    @Test("zone names the system's zone database resolves are imported and stored as given; others are refused")
    func zoneNames() async throws {
        let folder = TemporaryFolder()
        folder.write("prompt.txt", "Hi [name].")
        folder.write(
            "contacts.csv",
            """
            name,phone,timezone
            Ana,+442079460001,UTC
            Ben,+442079460002,Etc/GMT-12
            Chi,+442079460003,US/Eastern
            Dee,+442079460004,America/New_York

            """)
        let imported = try await CampaignBinary.run(
            ["import", "contacts.csv", "--prompt", "prompt.txt", "--timezone", "Etc/UTC"], in: folder.url)
        #expect(imported.status == 0, "\(imported.stdout)\n\(imported.stderr)")
        let stored = try await DatabaseQueue(path: folder.path("campaign.db")).read { db in
            (
                try String?.fetchAll(db, sql: "SELECT timezone FROM jobs ORDER BY id"),
                try String?.fetchOne(db, sql: "SELECT timezone FROM campaigns")
            )
        }
        #expect(stored.0 == ["UTC", "Etc/GMT-12", "US/Eastern", "America/New_York"])
        #expect(stored.1 == "Etc/UTC")

        // Not zone-database names: an abbreviation (PST has no summer time here), a custom offset whose sign
        // reads the other way round from Etc/GMT+5, a misspelling, an invented zone.
        for bad in ["PST", "GMT+5", "america/new_york", "Mars/Olympus"] {
            let other = TemporaryFolder()
            other.write("prompt.txt", "Hi [name].")
            other.write("contacts.csv", "name,phone,timezone\nAna,+442079460001,\(bad)\n")
            let refused = try await CampaignBinary.run(
                ["import", "contacts.csv", "--prompt", "prompt.txt"], in: other.url)
            #expect(refused.status == 65, "\(bad): \(refused.stdout)\n\(refused.stderr)")
            #expect(refused.stdout.contains("not an IANA time zone"), "\(bad): \(refused.stdout)")
        }
    }

    // MARK: - The window never falls back to the machine's zone (item 14)

    @Test("with --window, jobs with no zone from their row, the import or the run refuse the run at start (exit 2)")
    func noZoneRefused() async throws {
        // US numbers (the fictional 555-01xx range): the US has several zones, so import gives them none. (UK
        // numbers would get Europe/London from the number itself.)
        let numbers = (0..<3).map { "+120155501\(String(format: "%02d", $0))" }
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(50)),
            script: FaultScript(outcomes: RunEndToEndTests.all(numbers, .answered)))
        defer { Task { await fixture.simulator.shutdown() } }
        let before = try await fixture.tableDump()
        let refused = try await fixture.run(["--window", "00:00-24:00"])
        #expect(refused.status == 2, "\(refused.stdout)\n\(refused.stderr)")
        #expect(refused.stderr.contains("3 queued job(s) have no time zone"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--timezone"), "\(refused.stderr)")
        #expect(try await fixture.tableDump() == before)
        #expect(await fixture.simulator.ledger().callsPlaced == 0)

        // The run's --timezone names the zone for them: now it runs.
        let run = try await fixture.run(["--window", "00:00-24:00", "--timezone", "UTC"])
        #expect(run.status == 0, "\(run.stderr)")
        let placed = await fixture.simulator.ledger().callsPlaced
        #expect(placed == 3)
    }

    @Test("with --window, a job whose stored zone this host does not know is not called: it waits and is reported")
    func unknownZoneWaits() async throws {
        let numbers = RunEndToEndTests.numbers(3)
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(50)),
            script: FaultScript(outcomes: RunEndToEndTests.all(numbers, .answered)))
        defer { Task { await fixture.simulator.shutdown() } }
        // As if imported on a host whose zone database is newer than this one's.
        try await DatabaseQueue(path: fixture.folder.path("campaign.db")).write { db in
            try db.execute(
                sql: "UPDATE jobs SET timezone = 'Mars/Olympus' WHERE phone_e164 = ?", arguments: [numbers[0]])
        }
        let run = try await fixture.run(["--window", "00:00-24:00", "--timezone", "UTC", "--no-wait"])
        #expect(run.status == 0, "\(run.stderr)")
        let ledger = await fixture.simulator.ledger()
        #expect(ledger.placedCalls(to: numbers[0]).isEmpty)
        #expect(ledger.callsPlaced == 2)
        let waiting = try #require(try await fixture.jobsByPhone()[numbers[0]])
        #expect(waiting.status == "queued" && waiting.attempts == 0, "\(waiting)")
        #expect(run.stdout.contains("'Mars/Olympus'"), "\(run.stdout)")
        #expect(run.stdout.contains("unknown on this host"), "\(run.stdout)")
    }

    // MARK: - Weekday windows and skip dates (issue 13)

    @Test(
        "a bad --window day or --skip-dates date exits 2 with what is wrong, before anything is called",
        arguments: [
            (["--window", "Mon-Xyz 09:00-10:00"], "'Xyz' is not a day"),
            (["--skip-dates", "2026-12-25,2026-02-30"], "'2026-02-30' is not a date"),
            (["--skip-dates", "@holidays.txt"], "line 3: '2026-12-32' is not a date"),
            (["--window", "Mon-Fri 09:00-20:00", "--skip-dates", "@missing.txt"], "cannot read"),
        ])
    func badWindowOrSkipDates(flags: [String], message: String) async throws {
        let numbers = RunEndToEndTests.numbers(2)
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(50)),
            script: FaultScript(outcomes: RunEndToEndTests.all(numbers, .answered)))
        defer { Task { await fixture.simulator.shutdown() } }
        fixture.folder.write("holidays.txt", "# holidays\n2026-12-25\n2026-12-32\n")
        let before = try await fixture.tableDump()
        let run = try await fixture.run(flags + ["--timezone", "UTC"])
        #expect(run.status == 2, "\(flags): \(run.stdout)\n\(run.stderr)")
        #expect(run.stderr.contains(message), "\(flags): \(run.stderr)")
        #expect(try await fixture.tableDump() == before)
        #expect(await fixture.simulator.ledger().callsPlaced == 0)
    }

    @Test("--skip-dates of today and tomorrow in the recipients' zone: nothing is called, the jobs wait")
    func skipToday() async throws {
        let numbers = RunEndToEndTests.numbers(2)
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(50)),
            script: FaultScript(outcomes: RunEndToEndTests.all(numbers, .answered)))
        defer { Task { await fixture.simulator.shutdown() } }
        let today = Int((Date().timeIntervalSince1970 / 86_400).rounded(.down))
        let dates = [today, today + 1].map { "\(LocalDate(dayNumber: $0))" }.joined(separator: ",")
        let run = try await fixture.run(["--skip-dates", dates, "--timezone", "UTC", "--no-wait"])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(await fixture.simulator.ledger().callsPlaced == 0)
        #expect(try await fixture.statuses() == ["queued", "queued"])
    }

    // MARK: - Extreme values (item 24)

    @Test(
        "extreme durations and rates are refused at start with the accepted range (exit 2), nothing committed",
        arguments: [
            ["--rate", "1e-20/min"], ["--rate", "1e300/s"], ["--retry-delay", "100000000d"],
            ["--poll-interval", "1000000d"], ["--grace-period", "1e15s"], ["--max-attempts", "1000000"],
            ["--simulate-call-duration", "1e12s"],
        ])
    func extremeValues(flags: [String]) async throws {
        let numbers = RunEndToEndTests.numbers(2)
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(50)),
            script: FaultScript(outcomes: RunEndToEndTests.all(numbers, .busy)))
        defer { Task { await fixture.simulator.shutdown() } }
        let before = try await fixture.tableDump()
        let run = try await fixture.run(flags + ["--no-wait"])
        #expect(run.status == 2, "\(flags): \(run.stdout)\n\(run.stderr)")
        #expect(run.stderr.contains("accepted"), "\(flags): \(run.stderr)")
        #expect(try await fixture.tableDump() == before)
        #expect(await fixture.simulator.ledger().callsPlaced == 0)
    }

    @Test("simulator: --call-duration inf is refused (exit 2) and --host ::1 serves on the IPv6 loopback")
    func simulatorValues() async throws {
        let folder = TemporaryFolder()
        let refused = try await CampaignBinary.run(["simulator", "--call-duration", "inf"], in: folder.url)
        #expect(refused.status == 2, "\(refused.stdout)\n\(refused.stderr)")
        #expect(refused.stderr.contains("accepted"), "\(refused.stderr)")

        let running = try CampaignBinary.start(["simulator", "--host", "::1", "--port", "0"], in: folder.url)
        defer { if running.process.isRunning { running.process.terminate() } }
        try await RunEndToEndTests.poll("the simulator says where it listens or exits") {
            running.stdoutSoFar().contains("ledger:") || !running.process.isRunning
        }
        #expect(running.process.isRunning, "\(running.output().stdout)\n\(running.output().stderr)")
        #expect(running.stdoutSoFar().contains("http://[::1]:"), "\(running.stdoutSoFar())")
    }

    // MARK: - A mistyped --db (item 25)

    @Test(
        "run, report, resolve and list on a missing --db exit 1 and create nothing; an empty file is not a database",
        arguments: [
            ["run", "--simulate"], ["report"], ["resolve", "--done", "--all"], ["list"],
        ])
    func mistypedDatabase(command: [String]) async throws {
        let folder = TemporaryFolder()
        let missing = try await CampaignBinary.run(command + ["--db", "typo.db"], in: folder.url)
        #expect(missing.status == 1, "\(command): \(missing.stdout)\n\(missing.stderr)")
        #expect(missing.stderr.contains("no campaign database at typo.db"), "\(command): \(missing.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { !$0.hasPrefix(".") }
        #expect(left.isEmpty, "\(command) created \(left)")

        folder.write("empty.db", "")
        let empty = try await CampaignBinary.run(command + ["--db", "empty.db"], in: folder.url)
        #expect(empty.status == 1, "\(command): \(empty.stdout)\n\(empty.stderr)")
        #expect(empty.stderr.contains("empty.db is not a campaign database"), "\(command): \(empty.stderr)")
        let size = try FileManager.default.attributesOfItem(atPath: folder.path("empty.db"))[.size] as? Int
        #expect(size == 0)
    }
}
