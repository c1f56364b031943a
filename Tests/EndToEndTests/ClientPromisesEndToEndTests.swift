@testable import CampaignKit
import Foundation
import GRDB
import PokuSimulator
import TestSupport
import Testing

/// The calling client's promises (issue 8), end to end: the built binary, a real simulator on loopback,
/// the real SQLite file. "Not sent" only when nothing was sent; the key never leaks; a wrong URL or a
/// server asking for hours stops the run with the jobs as they were.
@Suite("campaign run: what the client promises, end to end", .serialized)
struct ClientPromisesEndToEndTests {
    typealias Fixture = RunEndToEndTests.Fixture

    static func numbers(_ count: Int) -> [String] { RunEndToEndTests.numbers(count) }

    /// `campaign run` with the fixture's flags, this environment instead of the fixture's.
    static func run(
        _ fixture: Fixture, _ extra: [String], environment: [String: String]
    ) async throws -> CampaignBinary.Output {
        let running = try CampaignBinary.start(
            fixture.runArguments(extra), in: fixture.folder.url, environment: environment)
        return await running.exit()
    }

    /// Waits for a started run to exit within `seconds`; kills it and records an issue if it does not.
    static func exit(
        of running: CampaignBinary.Running, within seconds: Double, _ what: String
    ) async throws -> CampaignBinary.Output {
        do {
            try await RunEndToEndTests.poll(what, seconds: seconds) { !running.process.isRunning }
        } catch {
            kill(running.process.processIdentifier, SIGKILL)
            _ = await running.exit()
            throw error
        }
        return await running.exit()
    }

    // MARK: - Item 5: the key

    @Test("a POKU_API_KEY with a trailing newline or CRLF is trimmed: every call is placed, none unknown")
    func keyWithLineEnd() async throws {
        for ending in ["\n", "\r\n"] {
            let numbers = Self.numbers(4)
            let fixture = try await Fixture(
                numbers: numbers, callDuration: .fixed(.milliseconds(100)),
                script: FaultScript(outcomes: RunEndToEndTests.all(numbers, .answered)))
            defer { Task { await fixture.simulator.shutdown() } }
            var environment = fixture.environment
            environment["POKU_API_KEY"] = Fixture.apiKey + ending
            let run = try await Self.run(fixture, ["--max-parallel", "2"], environment: environment)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(!(run.stdout + run.stderr).contains(Fixture.apiKey), "\(run.stdout)\(run.stderr)")
            #expect(try await fixture.statuses() == Array(repeating: "completed", count: numbers.count))
            #expect(await fixture.simulator.ledger().callsPlaced == numbers.count)
        }
    }

    @Test("a key with a control character inside is refused at start (exit 2) without echoing it")
    func keyWithControlCharacter() async throws {
        let fixture = try await Fixture(numbers: Self.numbers(2), callDuration: .fixed(.milliseconds(100)))
        defer { Task { await fixture.simulator.shutdown() } }
        let before = try await fixture.tableDump()
        var environment = fixture.environment
        environment["POKU_API_KEY"] = "sk-first-half\u{1B}sk-second-half"
        let run = try await Self.run(fixture, [], environment: environment)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("POKU_API_KEY"), "\(run.stderr)")
        for part in ["sk-first-half", "sk-second-half"] { #expect(!(run.stdout + run.stderr).contains(part)) }
        #expect(try await fixture.tableDump() == before)
        #expect(await fixture.simulator.ledger().entries.isEmpty)
        // Nothing about the key is stored anywhere either.
        let dump = try await fixture.tableDump().joined()
        #expect(!dump.contains("sk-first-half"))
    }

    // MARK: - Item 6: the URL

    @Test("--api-url with user:password is refused (exit 2) without echoing the password; nothing is sent")
    func userInfoInURL() async throws {
        let fixture = try await Fixture(numbers: Self.numbers(2), callDuration: .fixed(.milliseconds(100)))
        defer { Task { await fixture.simulator.shutdown() } }
        let before = try await fixture.tableDump()
        let port = try #require(fixture.simulator.baseURL.port)
        let run = try await fixture.run(["--api-url", "http://admin:hunter2-pass@127.0.0.1:\(port)"])
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        #expect(!(run.stdout + run.stderr).contains("hunter2-pass"), "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("user name or password"), "\(run.stderr)")
        #expect(try await fixture.tableDump() == before)
        #expect(await fixture.simulator.ledger().entries.isEmpty)
    }

    /// Proven on a campaign with nothing left to call, so that even the unfixed binary sends nothing
    /// off this machine: it simply reported "finished" with the key ready to go out in clear.
    @Test("plain http:// to a host that is not loopback is refused unless --allow-insecure-http")
    func insecureHTTP() async throws {
        let numbers = Self.numbers(2)
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(50)),
            script: FaultScript(outcomes: RunEndToEndTests.all(numbers, .answered)))
        defer { Task { await fixture.simulator.shutdown() } }
        let first = try await fixture.run([])
        #expect(first.status == 0, "\(first.stderr)")
        let refused = try await fixture.run(["--api-url", "http://192.0.2.1:9"])
        #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("--allow-insecure-http"), "\(refused.stderr)")
        let allowed = try await fixture.run(["--api-url", "http://192.0.2.1:9", "--allow-insecure-http"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        // Loopback over http (the simulator) needs no flag: the first run used it.
    }

    // MARK: - Item 8: a wrong URL

    @Test(
        "404, 405 or 501 to POST /calls stops the run (exit 1) with every job untouched",
        arguments: ["404", "405", "501"])
    func wrongEndpoint(status: String) async throws {
        let fixture = try await Fixture(
            numbers: Self.numbers(6), callDuration: .fixed(.milliseconds(100)),
            script: try FaultScript(faultTexts: [:], defaultFault: status))
        defer { Task { await fixture.simulator.shutdown() } }
        let before = try await fixture.tableDump()
        let run = try await fixture.run(["--max-parallel", "1"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("--api-url"), "\(run.stderr)")
        let statuses = try await fixture.statuses()
        #expect(try await fixture.tableDump() == before, "\(statuses)")
        #expect(await fixture.simulator.ledger().entries.count == 1)
    }

    @Test("three identical rejections in a row stop the run; resolve --requeue takes the failed jobs back")
    func repeatedRejection() async throws {
        let numbers = Self.numbers(6)
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(100)),
            script: try FaultScript(
                faultTexts: [:], outcomes: RunEndToEndTests.all(numbers, .answered), defaultFault: "400"))
        defer { Task { await fixture.simulator.shutdown() } }
        let run = try await fixture.run(["--max-parallel", "1"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("in a row"), "\(run.stderr)")
        let jobs = try await fixture.jobs()
        let failed = jobs.filter { $0.status == "failed" }
        #expect(failed.count == 2, "\(jobs)")
        #expect(jobs.filter { $0.status == "queued" && $0.attempts == 0 }.count == 4, "\(jobs)")
        #expect(await fixture.simulator.ledger().entries.filter { $0.method == "POST" }.count == 3)

        // --done is for unknown jobs only; --requeue takes failed ones named by id.
        let done = try await fixture.binary(["resolve", "--done", String(failed[0].id)])
        #expect(done.status != 0)
        let requeue = try await fixture.binary(["resolve", "--requeue"] + failed.map { String($0.id) })
        #expect(requeue.status == 0, "\(requeue.stderr)")
        let requeued = try await fixture.jobs()
        #expect(requeued.allSatisfy { $0.status == "queued" && $0.error == nil }, "\(requeued)")
    }

    // MARK: - Item 9: Retry-After

    @Test("a Retry-After beyond one hour stops the run (exit 1) naming the time; the job is due, no attempt used")
    func retryAfterTooLong() async throws {
        for fault in ["429:retry-after=7200", "503:retry-after=315360000", "429:retry-after-date=400000000000"] {
            let fixture = try await Fixture(
                numbers: Self.numbers(3), callDuration: .fixed(.milliseconds(100)),
                script: try FaultScript(faultTexts: [:], defaultFault: fault))
            defer { Task { await fixture.simulator.shutdown() } }
            let running = try fixture.start(["--max-parallel", "1"])
            let run = try await Self.exit(of: running, within: 30, "the run stops on \(fault)")
            #expect(run.status == 1, "\(fault): \(run.stdout)\(run.stderr)")
            #expect(run.stderr.contains("asked to wait"), "\(fault): \(run.stderr)")
            let jobs = try await fixture.jobs()
            #expect(jobs.allSatisfy { $0.status == "queued" && $0.attempts == 0 && $0.nextAttemptAt == nil }, "\(jobs)")
        }
    }

    @Test("--no-wait exits during a long pause and says when to run again")
    func noWaitDuringPause() async throws {
        let numbers = Self.numbers(2)
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(100)),
            script: try FaultScript(faultTexts: [:], defaultFault: "429:retry-after=1800"))
        defer { Task { await fixture.simulator.shutdown() } }
        let running = try fixture.start(["--max-parallel", "1", "--no-wait"])
        let run = try await Self.exit(of: running, within: 30, "--no-wait exits during the pause")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("run campaign run again then"), "\(run.stdout)")
        #expect(try await fixture.jobs().allSatisfy { $0.status == "queued" && $0.attempts == 0 })
    }

    // MARK: - Item 3: file descriptors

    /// Runs the binary under `/bin/sh -c 'ulimit …; exec campaign …'`, so only the child's limit is lowered.
    static func runLimited(
        _ fixture: Fixture, ulimit: String, _ extra: [String]
    ) async throws -> CampaignBinary.Output {
        try await CampaignBinary.start(
            fixture.runArguments(extra), in: fixture.folder.url, environment: fixture.environment,
            launcher: ["/bin/sh", "-c", "ulimit \(ulimit) && exec \"$0\" \"$@\""]
        ).exit()
    }

    @Test("a low soft limit on open files is raised at start: 30 calls in parallel, none unknown")
    func lowSoftLimit() async throws {
        let numbers = Self.numbers(40)
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(600)),
            script: FaultScript(outcomes: RunEndToEndTests.all(numbers, .answered)))
        defer { Task { await fixture.simulator.shutdown() } }
        let run = try await Self.runLimited(fixture, ulimit: "-Sn 40", ["--max-parallel", "30"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let jobs = try await fixture.jobs()
        #expect(jobs.filter { $0.status == "unknown" }.isEmpty, "\(jobs)")
        #expect(jobs.allSatisfy { $0.status == "completed" }, "\(jobs)")
        #expect(await fixture.simulator.ledger().callsPlaced == numbers.count)
    }

    @Test("a hard limit too low for --max-parallel is refused at start (exit 2) with the number that fits")
    func lowHardLimit() async throws {
        let fixture = try await Fixture(numbers: Self.numbers(40), callDuration: .fixed(.milliseconds(600)))
        defer { Task { await fixture.simulator.shutdown() } }
        let before = try await fixture.tableDump()
        let run = try await Self.runLimited(fixture, ulimit: "-n 40", ["--max-parallel", "40"])
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("--max-parallel"), "\(run.stderr)")
        #expect(run.stderr.contains("ulimit -n"), "\(run.stderr)")
        #expect(try await fixture.tableDump() == before)
        #expect(await fixture.simulator.ledger().entries.isEmpty)
    }
}
