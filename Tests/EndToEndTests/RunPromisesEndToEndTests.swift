@testable import CampaignKit
import Foundation
import GRDB
import PokuSimulator
import TestSupport
import Testing

/// The run's promises on ordinary paths that broke them: another name for the database, a rehearsal, a write
/// that fails after a POST, a call that never ends. The built binary, a real SQLite file, the simulator.
extension RunEndToEndTests {
    /// Two runs on one database through other names of the file (a symlink, a hard link, a relative path that
    /// goes through another folder): only the first works it, the others are refused within seconds naming it,
    /// and the ledger shows every number called once, never more calls at once than the first run's limit.
    @Test("a second run through a symlink, a hard link or another relative path is refused; nobody is called twice")
    func secondRunThroughOtherNames() async throws {
        let numbers = Self.numbers(12)
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(300)),
            script: FaultScript(outcomes: Self.all(numbers, .answered)))
        defer { Task { await fixture.simulator.shutdown() } }
        let db = fixture.folder.path("campaign.db")
        try FileManager.default.createSymbolicLink(atPath: fixture.folder.path("link.db"), withDestinationPath: db)
        try FileManager.default.linkItem(atPath: db, toPath: fixture.folder.path("hard.db"))
        try FileManager.default.createDirectory(
            atPath: fixture.folder.path("sub"), withIntermediateDirectories: false)
        let first = try fixture.start(["--max-parallel", "2"])
        try await Self.poll("the first run places a call") { await fixture.simulator.ledger().callsPlaced >= 1 }
        // Stopped, the first run holds its lock however slowly the four refused runs start (on a loaded machine
        // its 12 short calls could otherwise all end first, and a later run would rightly find nothing to refuse).
        kill(first.process.processIdentifier, SIGSTOP)
        for name in ["link.db", "hard.db", "sub/../campaign.db", db] {
            let second = try await fixture.run(["--db", name, "--max-parallel", "2"])
            #expect(second.status == 1, "\(name): \(second.stdout)\n\(second.stderr)")
            #expect(
                second.stderr.contains(
                    "another campaign run is working this database (pid \(first.process.processIdentifier)"),
                "\(name): \(second.stderr)")
        }
        kill(first.process.processIdentifier, SIGCONT)
        let done = await first.exit()
        #expect(done.status == 0, "\(done.stderr)")
        let ledger = await fixture.simulator.ledger()
        for number in numbers { #expect(ledger.placedCalls(to: number).count == 1, "\(number)") }
        #expect(ledger.maxConcurrentCalls <= 2)
        #expect(!FileManager.default.fileExists(atPath: db + ".lock"), "no lock file beside the database")
    }

    @Test("run --simulate rehearses on a copy: the database and the real API are untouched, a real run follows")
    func rehearsalChangesNothing() async throws {
        let numbers = Self.numbers(4)
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(50)),
            script: FaultScript(outcomes: Self.all(numbers, .answered)))
        defer { Task { await fixture.simulator.shutdown() } }
        let before = try await fixture.tableDump()
        let rehearsal = try await fixture.binary([
            // The in-process simulator's outcome mix has busy and no-answer calls: retried at once, so the
            // rehearsal ends instead of sleeping until a retry is due.
            "run", "--simulate", "--simulate-call-duration", "50ms", "--poll-interval", "20ms", "--retry-delay", "0s",
            "--no-wait",
        ])
        #expect(rehearsal.status == 0, "\(rehearsal.stderr)")
        #expect(rehearsal.stdout.contains("temporary copy"), "\(rehearsal.stdout)")
        let output = rehearsal.stdout + rehearsal.stderr
        #expect(
            output.components(separatedBy: "calling (attempt 1)").count - 1 == numbers.count,
            "the rehearsal called every job: \(output)")
        #expect(try await fixture.tableDump() == before)
        #expect(await fixture.simulator.ledger().callsPlaced == 0)

        let real = try await fixture.run(["--max-parallel", "4"])
        #expect(real.status == 0, "\(real.stderr)")
        #expect(await fixture.simulator.ledger().callsPlaced == numbers.count)
        let apis = try await fixture.database().read {
            try String?.fetchAll($0, sql: "SELECT DISTINCT api FROM attempts")
        }
        var base = fixture.simulator.baseURL.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        #expect(apis == [base])
    }

    @Test("a call placed through one API is never followed on another; it stays in progress for its own")
    func followedOnlyWhereItWasPlaced() async throws {
        let numbers = Self.numbers(1)
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.seconds(600)),
            script: FaultScript(outcomes: Self.all(numbers, .answered)))
        defer { Task { await fixture.simulator.shutdown() } }
        let running = try fixture.start(["--max-parallel", "1"])
        try await Self.poll("the call is in progress") { try await fixture.statuses() == ["in_progress"] }
        kill(running.process.processIdentifier, SIGKILL)
        _ = await running.exit()

        let other = try await PokuSimulator.start(PokuSimulator.Configuration(apiKey: Fixture.apiKey))
        defer { Task { await other.shutdown() } }
        let elsewhere = try CampaignBinary.start(
            fixture.runArguments([]), in: fixture.folder.url,
            environment: ["POKU_API_KEY": Fixture.apiKey, "POKU_API_URL": other.baseURL.absoluteString])
        let output = await elsewhere.exit()
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("not followed here"), "\(output.stdout)")
        #expect(await other.ledger().entries.isEmpty, "nothing was asked of the other API")
        #expect(try await fixture.statuses() == ["in_progress"])
    }

    /// The write after a successful POST fails (here a trigger refuses it, as a full disk or a long lock would):
    /// the interaction id is printed on stderr with the job, the run stops, and the next run never redials.
    @Test("an interaction id that cannot be stored is printed with its job; the job becomes unknown, not redialled")
    func placedButNotStored() async throws {
        let numbers = Self.numbers(1)
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(50)),
            script: FaultScript(outcomes: Self.all(numbers, .answered)))
        defer { Task { await fixture.simulator.shutdown() } }
        let writable = try DatabaseQueue(path: fixture.folder.path("campaign.db"))
        try await writable.write { db in
            try db.execute(
                sql: """
                    CREATE TRIGGER refuse_placed BEFORE UPDATE ON jobs WHEN NEW.status = 'in_progress'
                    BEGIN SELECT RAISE(ABORT, 'database or disk is full (the test)'); END
                    """)
        }
        let run = try await fixture.run([])
        #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
        let placed = try #require(await fixture.simulator.ledger().placedCalls(to: numbers[0]).first?.interactionId)
        #expect(run.stderr.contains("interaction id \(placed)"), "\(run.stderr)")
        #expect(run.stderr.contains(numbers[0]), "\(run.stderr)")

        try await writable.write { db in try db.execute(sql: "DROP TRIGGER refuse_placed") }
        try writable.close()
        let again = try await fixture.run([])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try await fixture.statuses() == ["unknown"])
        #expect(await fixture.simulator.ledger().callsPlaced == 1)
    }

    @Test("a call that never ends is followed for --max-call-duration, then its job is unknown with its id")
    func callFollowedForAtMostMaxDuration() async throws {
        let numbers = Self.numbers(2)
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.seconds(3600)),
            script: FaultScript(outcomes: Self.all(numbers, .answered)))
        defer { Task { await fixture.simulator.shutdown() } }
        let run = try await fixture.run(["--max-call-duration", "1s", "--max-parallel", "1"])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let jobs = try await fixture.jobs()
        #expect(jobs.map(\.status) == ["unknown", "unknown"])
        let ledger = await fixture.simulator.ledger()
        #expect(ledger.callsPlaced == 2, "both slots were freed in turn")
        for job in jobs {
            let id = try #require(ledger.placedCalls(to: job.phone).first?.interactionId)
            #expect(job.interactionID == id)
            let reason = try await fixture.database().read {
                try String.fetchOne($0, sql: "SELECT review_reason FROM jobs WHERE id = ?", arguments: [job.id])
            }
            #expect(reason?.contains(id) == true, "\(reason ?? "nil")")
        }
    }
}
