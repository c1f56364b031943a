@testable import CampaignKit
import Foundation
import GRDB
import PokuSimulator
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `campaign run` as a user runs it: the built binary, a real simulator on loopback (in this process, so it
/// outlives every run the tests kill), a real SQLite database. The simulator's ledger is the proof of what was
/// dialled; the database is the proof of what the tool believes. Nothing here sleeps to wait for an event:
/// every wait polls the ledger, the database or the process with a deadline.
@Suite("campaign run, end to end", .serialized)
struct RunEndToEndTests {
    // MARK: - The retry policy these tests run with

    /// Outcomes `campaign run` retries by default (`--retry-on`).
    static let retryable: Set<String> = ["no_answer", "busy", "no_result"]

    // MARK: - Tests

    @Test("calls in flight reach --max-parallel and never exceed it")
    func maxParallel() async throws {
        let numbers = Self.numbers(20)
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(400)),
            script: FaultScript(outcomes: Self.all(numbers, .answered)))
        defer { Task { await fixture.simulator.shutdown() } }
        let run = try await fixture.run(["--max-parallel", "4"])
        #expect(run.status == 0, "\(run.stderr)")
        let ledger = await fixture.simulator.ledger()
        #expect(ledger.callsPlaced == 20)
        #expect(ledger.maxConcurrentCalls == 4)
        #expect(try fixture.statuses() == Array(repeating: "completed", count: 20))
    }

    @Test("each job's attempts, interaction id, summary and recording match the ledger, in the DB and the CSV")
    func resultsMatchLedger() async throws {
        let numbers = Self.numbers(16)
        // Seeded mixed outcomes: answered, voicemail, busy and no answer, so some jobs are retried.
        let fixture = try await Fixture(numbers: numbers, callDuration: .fixed(.milliseconds(150)), seed: 11)
        defer { Task { await fixture.simulator.shutdown() } }
        let run = try await fixture.run(["--max-parallel", "6", "--retry-delay", "100ms", "--max-attempts", "3"])
        #expect(run.status == 0, "\(run.stderr)")
        let ledger = await fixture.simulator.ledger()
        let jobs = try fixture.jobs()
        #expect(jobs.count == numbers.count)
        #expect(Set(jobs.map(\.phone)) == Set(numbers))
        #expect(jobs.contains { $0.attempts > 1 }, "the seed should give at least one retried job")

        let report = try await fixture.binary(["report", "--csv", "results.csv"])
        #expect(report.status == 0, "\(report.stderr)")
        let csv = try Self.readCSV(fixture.folder.path("results.csv"))
        let header = try #require(csv.first)
        func column(_ name: String) throws -> Int { try #require(header.firstIndex(of: name), "\(name) in \(header)") }
        let byPhone = Dictionary(uniqueKeysWithValues: csv.dropFirst().map { (try! $0[column("phone_e164")], $0) })

        for job in jobs {
            let posts = ledger.placedCalls(to: job.phone)
            #expect(posts.count == job.attempts, "\(job.phone): \(posts.count) POSTs, \(job.attempts) attempts")
            #expect(ledger.entries.filter { $0.method == "POST" && $0.to == job.phone }.count == posts.count)
            let last = try #require(posts.last)
            #expect(job.interactionID == last.interactionId)
            #expect(job.attemptInteractionIDs == posts.map(\.interactionId))
            let truth = try await fixture.statusOf(try #require(last.interactionId))
            #expect(job.summary == truth.summary, "\(job.phone)")
            #expect(job.recordingURL == truth.recordingURL, "\(job.phone)")
            if let retried = job.attemptOutcomes.dropLast().first(where: { !Self.retryable.contains($0 ?? "") }) {
                Issue.record("\(job.phone) was redialled after outcome \(retried ?? "nil")")
            }
            let row = try #require(byPhone[job.phone])
            #expect(row[try column("status")] == job.status)
            #expect(row[try column("attempts")] == String(job.attempts))
            #expect(row[try column("interaction_id")] == (job.interactionID ?? ""))
            #expect(row[try column("summary")] == (truth.summary ?? ""))
            #expect(row[try column("recording_url")] == (truth.recordingURL ?? ""))
        }
    }

    @Test("429 waits Retry-After without using an attempt; 500 and a dropped answer are unknown and never redialled")
    func faultsOnPlacement() async throws {
        let numbers = Self.numbers(6)
        let (limited, serverError, dropped, badRequest, unprocessable, fine) =
            (numbers[0], numbers[1], numbers[2], numbers[3], numbers[4], numbers[5])
        let script = try FaultScript(
            faultTexts: [
                limited: ["429:retry-after=1"], serverError: ["500"], dropped: ["drop-after-place"],
                badRequest: ["400"], unprocessable: ["422"],
            ], outcomes: Self.all(numbers, .answered))
        let fixture = try await Fixture(numbers: numbers, callDuration: .fixed(.milliseconds(100)), script: script)
        defer { Task { await fixture.simulator.shutdown() } }

        let first = try await fixture.run(["--max-parallel", "2"])
        #expect(first.status == 0, "\(first.stderr)")
        var ledger = await fixture.simulator.ledger()
        func posts(_ number: String) -> [LedgerEntry] {
            ledger.entries.filter { $0.method == "POST" && $0.to == number }
        }
        var jobs = try fixture.jobsByPhone()

        // 429: refused, then placed after at least Retry-After; the refusal used no attempt.
        #expect(posts(limited).map(\.status) == [429, 200])
        #expect(posts(limited).map(\.placed) == [false, true])
        let refusedAt = try #require(Self.date(posts(limited)[0].time))
        let placedAt = try #require(Self.date(posts(limited)[1].time))
        #expect(placedAt.timeIntervalSince(refusedAt) >= 0.95, "Retry-After: 1 was not honoured")
        #expect(jobs[limited]?.status == "completed")
        #expect(jobs[limited]?.attempts == 1)

        // 500 (no call placed, but the client cannot know) and a lost answer (a call placed): unknown.
        #expect(posts(serverError).map(\.status) == [500])
        #expect(posts(dropped).map(\.placed) == [true])
        #expect(posts(dropped).first?.dropped == true)
        for number in [serverError, dropped] {
            #expect(jobs[number]?.status == "unknown", "\(number)")
            #expect(jobs[number]?.attemptStates == ["unknown"], "\(number)")
        }
        // 400 and 422: rejected, failed with the API's message, not retried.
        for number in [badRequest, unprocessable] {
            #expect(posts(number).count == 1, "\(number)")
            #expect(jobs[number]?.status == "failed", "\(number)")
            #expect(jobs[number]?.error?.contains("rejected by the API") == true, "\(number)")
        }
        #expect(jobs[fine]?.status == "completed")

        // A second run calls nobody: unknown and failed jobs are never redialled automatically.
        let second = try await fixture.run(["--max-parallel", "2"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("2 unknown"), "\(second.stdout)")
        let postsBefore = ledger.entries.filter { $0.method == "POST" }.count
        ledger = await fixture.simulator.ledger()
        #expect(ledger.entries.filter { $0.method == "POST" }.count == postsBefore)

        // A person requeues the 500 job: the next run calls it exactly once more, and nobody else.
        let serverErrorJob = try #require(jobs[serverError]?.id)
        let resolve = try await fixture.binary(["resolve", "--requeue", String(serverErrorJob)])
        #expect(resolve.status == 0, "\(resolve.stderr)")
        // The failed (400) job is not unknown: resolve refuses to close it as done (--requeue would take it).
        let refused = try await fixture.binary(["resolve", "--done", String(try #require(jobs[badRequest]?.id))])
        #expect(refused.status != 0)
        let third = try await fixture.run(["--max-parallel", "2"])
        #expect(third.status == 0, "\(third.stderr)")
        ledger = await fixture.simulator.ledger()
        let newPosts = ledger.entries.filter { $0.method == "POST" }.dropFirst(postsBefore)
        #expect(newPosts.map(\.to) == [serverError])
        #expect(newPosts.map(\.placed) == [true])
        jobs = try fixture.jobsByPhone()
        #expect(jobs[serverError]?.status == "completed")
        #expect(jobs[serverError]?.interactionID == newPosts.first?.interactionId)
        #expect(jobs[dropped]?.status == "unknown")
    }

    @Test(
        "401 and 402 stop the run with exit 1 and a clear message; no job changes",
        arguments: [("401", "key"), ("402", "credits")])
    func accountRefusals(fault: String, words: String) async throws {
        let numbers = Self.numbers(5)
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(100)),
            script: try FaultScript(faultTexts: [:], defaultFault: fault))
        defer { Task { await fixture.simulator.shutdown() } }
        let before = try fixture.tableDump()
        let run = try await fixture.run(["--max-parallel", "2"])
        #expect(run.status == 1)
        #expect(run.stderr.lowercased().contains(words), "\(run.stderr)")
        #expect(!(run.stdout + run.stderr).contains(Fixture.apiKey))
        let after = try fixture.tableDump()
        #expect(after == before, "changed: \(after.filter { !before.contains($0) })")
        let ledger = await fixture.simulator.ledger()
        #expect(ledger.callsPlaced == 0)
        #expect(ledger.entries.allSatisfy { $0.status.map(String.init) == fault })
    }

    @Test("--no-wait exits when only retries are left and says when to run again")
    func noWait() async throws {
        let numbers = Self.numbers(3)
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(100)),
            script: FaultScript(outcomes: Self.all(numbers, .busy)))
        defer { Task { await fixture.simulator.shutdown() } }
        let started = Date()
        let run = try await fixture.run(["--no-wait", "--retry-delay", "1h"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(run.stdout.contains("the next call is due at"), "\(run.stdout)")
        #expect(run.stdout.contains("run campaign run again then"), "\(run.stdout)")
        let jobs = try fixture.jobs()
        #expect(jobs.allSatisfy { $0.status == "queued" && $0.attempts == 1 && $0.nextAttemptAt != nil })
        #expect(await fixture.simulator.ledger().callsPlaced == 3)
    }

    @Test("Ctrl-C exits 130 with everything resumable; a second run finishes without redialling anyone")
    func interrupt() async throws {
        let numbers = Self.numbers(8)
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .fixed(.milliseconds(600)),
            script: FaultScript(outcomes: Self.all(numbers, .answered)))
        defer { Task { await fixture.simulator.shutdown() } }
        let running = try fixture.start(["--max-parallel", "2"])
        try await Self.poll("a call is placed") { await fixture.simulator.ledger().callsPlaced >= 1 }
        running.process.interrupt()
        let first = await running.exit()
        #expect(first.status == 130, "\(first.stdout)\n\(first.stderr)")
        #expect(first.stdout.contains("run campaign run again to continue"), "\(first.stdout)")
        let afterStop = try fixture.jobs()
        #expect(afterStop.allSatisfy { $0.status == "queued" || $0.status == "completed" }, "\(afterStop)")
        #expect(afterStop.contains { $0.status == "queued" })
        let placedAtStop = await fixture.simulator.ledger().callsPlaced
        #expect(placedAtStop < numbers.count)

        let second = try await fixture.run(["--max-parallel", "2"])
        #expect(second.status == 0, "\(second.stderr)")
        let ledger = await fixture.simulator.ledger()
        #expect(ledger.callsPlaced == numbers.count)
        for number in numbers { #expect(ledger.placedCalls(to: number).count == 1, "\(number)") }
        #expect(try fixture.statuses() == Array(repeating: "completed", count: numbers.count))
    }

    /// The safety proof: SIGKILL `campaign run` at random moments, again and again, then let it finish.
    /// Whatever the moment, no job is lost and nobody is dialled twice except by a retry the policy chose.
    @Test("killed with SIGKILL 15 times at random moments: no job lost, no number called twice by accident")
    func crashes() async throws {
        let numbers = Self.numbers(60)
        // Two calls in five end busy or unanswered, so the policy's own redials are many and must be told apart.
        let fixture = try await Fixture(
            numbers: numbers, callDuration: .uniform(mean: .milliseconds(200)), seed: 3,
            weights: .init(answered: 2, voicemail: 1, busy: 1, noAnswer: 1))
        defer { Task { await fixture.simulator.shutdown() } }
        let flags = ["--max-parallel", "3", "--poll-interval", "50ms", "--retry-delay", "100ms", "--max-attempts", "3"]
        var random = SeededGenerator(seed: 20_261_124)
        var kills = 0
        for _ in 0..<15 {
            let placedBefore = await fixture.simulator.ledger().callsPlaced
            let running = try fixture.start(flags)
            // Wait for the run to be at work (a new call placed), or for it to have finished everything.
            try await Self.poll("run \(kills + 1) places a call") {
                await fixture.simulator.ledger().callsPlaced > placedBefore || !running.process.isRunning
            }
            if !running.process.isRunning { break }
            // The random moment: somewhere in the next 0-250 ms of dialling, polling and writing.
            try await Task.sleep(for: .milliseconds(Int(random.next() % 250)))
            kill(running.process.processIdentifier, SIGKILL)
            let killed = await running.exit()
            if killed.status == 0 { break }  // It finished just before the signal.
            kills += 1
        }
        #expect(kills >= 10, "the campaign ended before the run could be killed often enough")

        let last = try await fixture.run(flags)
        #expect(last.status == 0, "\(last.stdout)\n\(last.stderr)")
        #expect(last.stdout.contains("finished"), "\(last.stdout)")

        let ledger = await fixture.simulator.ledger()
        let jobs = try fixture.jobs()
        let unknown = jobs.filter { $0.status == "unknown" }.count
        print("crash test: \(kills) kills, \(ledger.callsPlaced) calls placed, \(unknown) jobs left unknown")
        // No job lost: every imported number has its job, in an end state.
        #expect(jobs.count == numbers.count)
        #expect(Set(jobs.map(\.phone)) == Set(numbers))
        for job in jobs {
            #expect(["completed", "failed", "unknown"].contains(job.status), "\(job.phone) is \(job.status)")
        }
        #expect(ledger.entries.allSatisfy { $0.method != "POST" || $0.placed }, "no faults were scripted")

        for job in jobs {
            let posts = ledger.placedCalls(to: job.phone)
            let states = job.attemptStates
            let known = job.attemptInteractionIDs.compactMap { $0 }
            // Every POST the API saw is an attempt in the database: those whose answer was recorded carry its
            // interaction id, in the same order; at most one more was sent whose answer the kill lost, and that
            // attempt is the job's last, `unknown`.
            let postIDs = posts.map(\.interactionId)
            #expect(Array(postIDs.prefix(known.count)) == known.map { Optional($0) }, "\(job.phone)")
            #expect(posts.count <= states.count, "\(job.phone): \(posts.count) POSTs, attempts \(states)")
            #expect(posts.count >= known.count, "\(job.phone)")
            if posts.count > known.count {
                #expect(posts.count == known.count + 1, "\(job.phone)")
                #expect(states.last == "unknown" && job.attemptInteractionIDs.last == .some(nil), "\(job.phone)")
            }
            // Every redial was a retry the policy scheduled: each attempt before the last ended with a
            // retryable outcome; an unknown attempt is always the last (never redialled).
            for (index, state) in states.dropLast().enumerated() {
                #expect(state == "ended", "\(job.phone): attempt \(index + 1) was \(state) and was followed by another")
                let outcome = job.attemptOutcomes[index] ?? ""
                #expect(Self.retryable.contains(outcome), "\(job.phone): redialled after \(outcome)")
            }
            #expect(states.count <= 3, "\(job.phone): \(states.count) attempts")
            #expect(job.attempts == states.count, "\(job.phone)")
            if job.status == "unknown" { #expect(states.last == "unknown", "\(job.phone)") }
        }
    }

    // MARK: - Helpers

    /// `count` distinct numbers from the UK's drama range (+44 20 7946 0xxx): valid, and reserved so that
    /// they would ring nobody even if something escaped the loopback simulator.
    static func numbers(_ count: Int) -> [String] {
        precondition(count <= 1000)
        return (0..<count).map { "+44207946\(String(format: "%04d", $0))" }
    }

    static func all(_ numbers: [String], _ outcome: SimulatedOutcome) -> [String: SimulatedOutcome] {
        Dictionary(uniqueKeysWithValues: numbers.map { ($0, outcome) })
    }

    static func date(_ text: String) -> Date? {
        try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }

    /// Waits for `condition`, checking every 10 ms, and fails after `seconds`: a bounded wait for an event.
    static func poll(
        _ what: String, seconds: Double = 20, _ condition: @Sendable () async throws -> Bool
    ) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while try await !condition() {
            guard Date() < deadline else { throw WaitTimedOut(what: what) }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    struct WaitTimedOut: Error, CustomStringConvertible {
        var what: String
        var description: String { "timed out waiting until \(what)" }
    }

    /// Every record of a CSV file the report wrote.
    static func readCSV(_ path: String) throws -> [[String]] {
        let reader = try CSVReader(path: path)
        var rows: [[String]] = []
        while let record = try reader.next() { rows.append(record.fields) }
        return rows
    }

    /// One job and its attempts as the database holds them.
    struct Job: Sendable, CustomStringConvertible {
        var id: Int64
        var phone: String
        var status: String
        var attempts: Int
        var interactionID: String?
        var summary: String?
        var recordingURL: String?
        var error: String?
        var nextAttemptAt: String?
        /// Attempt rows, oldest first.
        var attemptStates: [String]
        var attemptInteractionIDs: [String?]
        var attemptOutcomes: [String?]

        var description: String { "\(phone) \(status) \(attemptStates)" }
    }

    /// A simulator, a temporary folder and an imported campaign.
    struct Fixture: Sendable {
        static let apiKey = "e2e-run-key-not-to-be-printed"
        let folder = TemporaryFolder()
        let simulator: PokuSimulator

        init(
            numbers: [String], callDuration: PokuSimulator.CallDuration, script: FaultScript = FaultScript(),
            seed: UInt64 = 7, weights: PokuSimulator.OutcomeWeights = .init()
        ) async throws {
            simulator = try await PokuSimulator.start(
                PokuSimulator.Configuration(
                    seed: seed, apiKey: Self.apiKey, callDuration: callDuration, outcomeWeights: weights,
                    script: script))
            folder.write("prompt.txt", "Hi [name], this is Luigi's confirming your table.")
            folder.write(
                "contacts.csv",
                "name,phone\n" + numbers.enumerated().map { "Guest \($0.offset),\($0.element)\n" }.joined())
            let imported = try await binary(["import", "contacts.csv", "--prompt", "prompt.txt"])
            guard imported.status == 0 else { throw ImportFailed(output: imported.stdout + imported.stderr) }
        }

        struct ImportFailed: Error { var output: String }

        var environment: [String: String] {
            ["POKU_API_KEY": Self.apiKey, "POKU_API_URL": simulator.baseURL.absoluteString]
        }

        /// `campaign run` with short polls and retries unless `extra` says otherwise (later flags win).
        func runArguments(_ extra: [String]) -> [String] {
            ["run", "--poll-interval", "50ms", "--retry-delay", "100ms", "--grace-period", "10s"] + extra
        }

        func run(_ extra: [String]) async throws -> CampaignBinary.Output {
            try await binary(runArguments(extra))
        }

        func start(_ extra: [String]) throws -> CampaignBinary.Running {
            try CampaignBinary.start(runArguments(extra), in: folder.url, environment: environment)
        }

        func binary(_ arguments: [String]) async throws -> CampaignBinary.Output {
            let running = try CampaignBinary.start(arguments, in: folder.url, environment: environment)
            return await running.exit()
        }

        func database() throws -> DatabaseQueue {
            var configuration = Configuration()
            configuration.readonly = true
            return try DatabaseQueue(path: folder.path("campaign.db"), configuration: configuration)
        }

        func statuses() throws -> [String] {
            try database().read { try String.fetchAll($0, sql: "SELECT status FROM jobs ORDER BY id") }
        }

        func tableDump() throws -> [String] {
            try database().read { db in
                try ["jobs", "attempts"].flatMap { table in
                    try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY rowid").map { "\(table) \($0)" }
                }
            }
        }

        func jobs() throws -> [Job] {
            try database().read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT id, phone_e164, status, attempts, interaction_id, summary, recording_url, error,
                            next_attempt_at FROM jobs ORDER BY id
                        """
                ).map { row in
                    let attempts = try Row.fetchAll(
                        db,
                        sql: """
                            SELECT state, interaction_id, outcome FROM attempts
                            WHERE job_id = ? AND state != 'not_placed' ORDER BY attempt_number
                            """, arguments: [row[0]])
                    return Job(
                        id: row[0], phone: row[1], status: row[2], attempts: row[3], interactionID: row[4],
                        summary: row[5], recordingURL: row[6], error: row[7], nextAttemptAt: row[8],
                        attemptStates: attempts.map { $0[0] }, attemptInteractionIDs: attempts.map { $0[1] },
                        attemptOutcomes: attempts.map { $0[2] })
                }
            }
        }

        func jobsByPhone() throws -> [String: Job] {
            Dictionary(uniqueKeysWithValues: try jobs().map { ($0.phone, $0) })
        }

        /// The call's result as the simulator reports it, read from the raw JSON (not through the tool's client).
        func statusOf(_ interactionID: String) async throws -> (summary: String?, recordingURL: String?) {
            var request = URLRequest(
                url: simulator.baseURL.appendingPathComponent("interactions/\(interactionID)/status"))
            request.setValue("Bearer \(Self.apiKey)", forHTTPHeaderField: "Authorization")
            let (data, _) = try await URLSession.shared.data(for: request)
            let body = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            guard let event = body["completionEvent"] as? [String: Any] else { return (nil, nil) }
            let fields = (event["payload"] as? [String: Any]) ?? event
            let recording =
                (fields["recordingUrl"] as? String) ?? ((fields["call"] as? [String: Any])?["recordingUrl"] as? String)
            return (fields["summary"] as? String, recording)
        }
    }
}
