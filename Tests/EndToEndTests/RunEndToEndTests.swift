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
/// outlives every run the tests kill), a real database. Every test here runs on SQLite and on PostgreSQL
/// (`TestBackend.all`, the campaign imported by the binary into either) and asserts the same on both; none is
/// about SQLite itself. The simulator's ledger is the proof of what was dialled; the database is the proof of
/// what the tool believes. Nothing here sleeps to wait for an event: every wait polls the ledger, the database
/// or the process with a deadline. The suites extending this one, or sharing its `Fixture`, run on SQLite.
@Suite("campaign run, end to end", .serialized)
struct RunEndToEndTests {
    // MARK: - The retry policy these tests run with

    /// Outcomes `campaign run` retries by default (`--retry-on`).
    static let retryable: Set<String> = ["no_answer", "busy", "no_result"]

    // MARK: - Tests

    @Test("calls in flight reach --max-parallel and never exceed it", arguments: TestBackend.all)
    func maxParallel(backend: TestBackend) async throws {
        let numbers = Self.numbers(20)
        try await Fixture(
            backend: backend,
            numbers: numbers, callDuration: .fixed(.milliseconds(400)),
            script: FaultScript(outcomes: Self.all(numbers, .answered))
        ).use { fixture in
            let run = try await fixture.run(["--max-parallel", "4"])
            #expect(run.status == 0, "\(run.stderr)")
            let ledger = await fixture.simulator.ledger()
            #expect(ledger.callsPlaced == 20)
            #expect(ledger.maxConcurrentCalls == 4)
            #expect(try await fixture.statuses() == Array(repeating: "completed", count: 20))
        }
    }

    @Test(
        "each job's attempts, interaction id, summary and recording match the ledger, in the DB and the CSV",
        arguments: TestBackend.all)
    func resultsMatchLedger(backend: TestBackend) async throws {
        let numbers = Self.numbers(16)
        // Seeded mixed outcomes: answered, voicemail, busy and no answer, so some jobs are retried.
        try await Fixture(
            backend: backend, numbers: numbers, callDuration: .fixed(.milliseconds(150)), seed: 11
        ).use { fixture in
            let run = try await fixture.run(["--max-parallel", "6", "--retry-delay", "100ms", "--max-attempts", "3"])
            #expect(run.status == 0, "\(run.stderr)")
            let ledger = await fixture.simulator.ledger()
            let jobs = try await fixture.jobs()
            #expect(jobs.count == numbers.count)
            #expect(Set(jobs.map(\.phone)) == Set(numbers))
            #expect(jobs.contains { $0.attempts > 1 }, "the seed should give at least one retried job")

            let report = try await fixture.binary(["report", "--csv", "results.csv"])
            #expect(report.status == 0, "\(report.stderr)")
            let csv = try Self.readCSV(fixture.folder.path("results.csv"))
            let header = try #require(csv.first)
            func column(_ name: String) throws -> Int {
                try #require(header.firstIndex(of: name), "\(name) in \(header)")
            }
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
    }

    @Test(
        "429 waits Retry-After without using an attempt; 500 and a dropped answer are unknown and never redialled",
        arguments: TestBackend.all)
    func faultsOnPlacement(backend: TestBackend) async throws {
        let numbers = Self.numbers(6)
        let (limited, serverError, dropped, badRequest, unprocessable, fine) =
            (numbers[0], numbers[1], numbers[2], numbers[3], numbers[4], numbers[5])
        let script = try FaultScript(
            faultTexts: [
                limited: ["429:retry-after=1"], serverError: ["500"], dropped: ["drop-after-place"],
                badRequest: ["400"], unprocessable: ["422"],
            ], outcomes: Self.all(numbers, .answered))
        try await Fixture(
            backend: backend, numbers: numbers, callDuration: .fixed(.milliseconds(100)), script: script
        ).use { fixture in

            // Without a hold: on PostgreSQL the two jobs made unknown would keep both slots for 5 minutes.
            let first = try await fixture.run(["--max-parallel", "2", "--unknown-hold", "0s"])
            #expect(first.status == 0, "\(first.stderr)")
            var ledger = await fixture.simulator.ledger()
            func posts(_ number: String) -> [LedgerEntry] {
                ledger.entries.filter { $0.method == "POST" && $0.to == number }
            }
            var jobs = try await fixture.jobsByPhone()

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
            let badRequestJob = try #require(jobs[badRequest]?.id)
            let refused = try await fixture.binary(["resolve", "--done", String(badRequestJob)])
            #expect(refused.status == 1, "\(refused.stderr)")
            #expect(refused.stderr.contains("not unknown jobs of this campaign: \(badRequestJob)"), "\(refused.stderr)")
            let third = try await fixture.run(["--max-parallel", "2"])
            #expect(third.status == 0, "\(third.stderr)")
            ledger = await fixture.simulator.ledger()
            let newPosts = ledger.entries.filter { $0.method == "POST" }.dropFirst(postsBefore)
            #expect(newPosts.map(\.to) == [serverError])
            #expect(newPosts.map(\.placed) == [true])
            jobs = try await fixture.jobsByPhone()
            #expect(jobs[serverError]?.status == "completed")
            #expect(jobs[serverError]?.interactionID == newPosts.first?.interactionId)
            #expect(jobs[dropped]?.status == "unknown")

            // A person who learnt how the lost call ended closes it as done; a run after that dials nobody.
            let done = try await fixture.binary(["resolve", "--done", String(try #require(jobs[dropped]?.id))])
            #expect(done.status == 0, "\(done.stderr)")
            #expect(done.stdout.contains("marked 1 job(s) done"), "\(done.stdout)")
            #expect(try await fixture.jobsByPhone()[dropped]?.status == "completed")
            let fourth = try await fixture.run(["--max-parallel", "2"])
            #expect(fourth.status == 0, "\(fourth.stderr)")
            #expect(await fixture.simulator.ledger().callsPlaced == ledger.callsPlaced, "nobody was dialled again")
        }
    }

    @Test(
        "401 and 402 stop the run with exit 1 and a clear message; no job changes",
        arguments: TestBackend.all, ["401", "402"])
    func accountRefusals(backend: TestBackend, fault: String) async throws {
        let words = fault == "401" ? "key" : "credits"
        let numbers = Self.numbers(5)
        try await Fixture(
            backend: backend,
            numbers: numbers, callDuration: .fixed(.milliseconds(100)),
            script: try FaultScript(faultTexts: [:], defaultFault: fault)
        ).use { fixture in
            let before = try await fixture.tableDump()
            #expect(before.count == numbers.count, "one line a job, no attempt yet: \(before)")
            let run = try await fixture.run(["--max-parallel", "2"])
            #expect(run.status == 1)
            #expect(run.stderr.lowercased().contains(words), "\(run.stderr)")
            #expect(!(run.stdout + run.stderr).contains(Fixture.apiKey))
            let after = try await fixture.tableDump()
            #expect(after == before, "changed: \(after.filter { !before.contains($0) })")
            let ledger = await fixture.simulator.ledger()
            #expect(ledger.callsPlaced == 0)
            #expect(ledger.entries.allSatisfy { $0.status.map(String.init) == fault })
        }
    }

    @Test("--no-wait exits when only retries are left and says when to run again", arguments: TestBackend.all)
    func noWait(backend: TestBackend) async throws {
        let numbers = Self.numbers(3)
        try await Fixture(
            backend: backend,
            numbers: numbers, callDuration: .fixed(.milliseconds(100)),
            script: FaultScript(outcomes: Self.all(numbers, .busy))
        ).use { fixture in
            let started = Date()
            let run = try await fixture.run(["--no-wait", "--retry-delay", "1h"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(Date().timeIntervalSince(started) < 30)
            #expect(run.stdout.contains("the next call is due at"), "\(run.stdout)")
            #expect(run.stdout.contains("run campaign run again then"), "\(run.stdout)")
            let jobs = try await fixture.jobs()
            #expect(jobs.allSatisfy { $0.status == "queued" && $0.attempts == 1 && $0.nextAttemptAt != nil })
            #expect(await fixture.simulator.ledger().callsPlaced == 3)
        }
    }

    @Test(
        "Ctrl-C exits 130 with everything resumable; a second run finishes without redialling anyone",
        arguments: TestBackend.all)
    func interrupt(backend: TestBackend) async throws {
        let numbers = Self.numbers(8)
        try await Fixture(
            backend: backend,
            numbers: numbers, callDuration: .fixed(.milliseconds(600)),
            script: FaultScript(outcomes: Self.all(numbers, .answered))
        ).use { fixture in
            let running = try fixture.start(["--max-parallel", "2"])
            try await Self.poll("a call is placed") { await fixture.simulator.ledger().callsPlaced >= 1 }
            running.process.interrupt()
            let first = await running.exit()
            #expect(first.status == 130, "\(first.stdout)\n\(first.stderr)")
            #expect(first.stdout.contains("run campaign run again to continue"), "\(first.stdout)")
            let afterStop = try await fixture.jobs()
            #expect(afterStop.allSatisfy { $0.status == "queued" || $0.status == "completed" }, "\(afterStop)")
            #expect(afterStop.contains { $0.status == "queued" })
            let placedAtStop = await fixture.simulator.ledger().callsPlaced
            #expect(placedAtStop < numbers.count)

            let second = try await fixture.run(["--max-parallel", "2"])
            #expect(second.status == 0, "\(second.stderr)")
            let ledger = await fixture.simulator.ledger()
            #expect(ledger.callsPlaced == numbers.count)
            for number in numbers { #expect(ledger.placedCalls(to: number).count == 1, "\(number)") }
            #expect(try await fixture.statuses() == Array(repeating: "completed", count: numbers.count))
        }
    }

    /// The safety proof: SIGKILL `campaign run` at random moments, again and again, then let it finish.
    /// Whatever the moment, no job is lost and nobody is dialled twice except by a retry the policy chose.
    @Test(
        "killed with SIGKILL 15 times at random moments: no job lost, no number called twice by accident",
        arguments: TestBackend.all)
    func crashes(backend: TestBackend) async throws {
        let numbers = Self.numbers(60)
        // Two calls in five end busy or unanswered, so the policy's own redials are many and must be told apart.
        try await Fixture(
            backend: backend,
            numbers: numbers, callDuration: .uniform(mean: .milliseconds(200)), seed: 3,
            weights: .init(answered: 2, voicemail: 1, busy: 1, noAnswer: 1)
        ).use { fixture in
            let flags = [
                "--max-parallel", "3", "--poll-interval", "50ms", "--retry-delay", "100ms", "--max-attempts", "3",
            ]
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
            let jobs = try await fixture.jobs()
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
                    #expect(
                        state == "ended", "\(job.phone): attempt \(index + 1) was \(state) and was followed by another")
                    let outcome = job.attemptOutcomes[index] ?? ""
                    #expect(Self.retryable.contains(outcome), "\(job.phone): redialled after \(outcome)")
                }
                #expect(states.count <= 3, "\(job.phone): \(states.count) attempts")
                #expect(job.attempts == states.count, "\(job.phone)")
                if job.status == "unknown" { #expect(states.last == "unknown", "\(job.phone)") }
            }
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

    /// A simulator, a temporary folder and a campaign the binary imported into a database of `backend`:
    /// `campaign.db` in the folder, or a fresh PostgreSQL database every verb is given as `CAMPAIGN_DB`.
    /// `finish()` shuts the simulator down and drops that database; `use` calls it however its body ends.
    struct Fixture: Sendable {
        static let apiKey = "e2e-run-key-not-to-be-printed"
        let folder = TemporaryFolder()
        let simulator: PokuSimulator
        /// The database on PostgreSQL; nil on SQLite.
        let postgres: PostgresTestDatabase?

        init(
            backend: TestBackend = .sqlite, numbers: [String], callDuration: PokuSimulator.CallDuration,
            script: FaultScript = FaultScript(), seed: UInt64 = 7, weights: PokuSimulator.OutcomeWeights = .init()
        ) async throws {
            let postgres = backend == .postgres ? try await PostgresTestDatabase.fresh() : nil
            do {
                simulator = try await PokuSimulator.start(
                    PokuSimulator.Configuration(
                        seed: seed, apiKey: Self.apiKey, callDuration: callDuration, outcomeWeights: weights,
                        script: script))
            } catch {
                try? await postgres?.drop()
                throw error
            }
            self.postgres = postgres
            folder.write("prompt.txt", "Hi [name], this is Luigi's confirming your table.")
            folder.write(
                "contacts.csv",
                "name,phone\n" + numbers.enumerated().map { "Guest \($0.offset),\($0.element)\n" }.joined())
            do {
                let imported = try await binary(["import", "contacts.csv", "--prompt", "prompt.txt"])
                guard imported.status == 0 else { throw ImportFailed(output: imported.stdout + imported.stderr) }
            } catch {
                try? await finish()
                throw error
            }
        }

        struct ImportFailed: Error { var output: String }

        /// Shuts the simulator down and drops the PostgreSQL database (with any session a killed run left).
        func finish() async throws {
            await simulator.shutdown()
            try await postgres?.drop()
        }

        /// Runs `body` on this fixture, then `finish()`, also when `body` throws.
        func use(
            isolation: isolated (any Actor)? = #isolation, _ body: (Fixture) async throws -> Void
        ) async throws {
            do {
                try await body(self)
            } catch {
                try? await finish()
                throw error
            }
            try await finish()
        }

        var environment: [String: String] {
            var environment = ["POKU_API_KEY": Self.apiKey, "POKU_API_URL": simulator.baseURL.absoluteString]
            environment["CAMPAIGN_DB"] = postgres?.url
            return environment
        }

        /// `campaign run` with short polls and retries unless `extra` says otherwise (later flags win).
        /// On PostgreSQL a lease of 4 s: a run killed with SIGKILL is reaped 3 s after its last renewal, not 8.5 s.
        func runArguments(_ extra: [String]) -> [String] {
            ["run", "--poll-interval", "50ms", "--retry-delay", "100ms", "--grace-period", "10s"]
                + (postgres == nil ? [] : ["--lease", "4s"]) + extra
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

        /// The SQLite file, read-only (for SQLite-only tests; the reads below work on either backend).
        func database() throws -> DatabaseQueue {
            var configuration = Configuration()
            configuration.readonly = true
            return try DatabaseQueue(path: folder.path("campaign.db"), configuration: configuration)
        }

        /// Every row of `query`, each column as text, on either backend: the query must be SQL both dialects
        /// accept and give text or NULL in every column (`CAST(id AS TEXT)`; PostgreSQL has no `rowid`).
        func rows(_ query: String) async throws -> [[String?]] {
            if let postgres { return try await postgres.rows(query) }
            return try await database().read { db in
                try Row.fetchAll(db, sql: query).map { row in
                    try row.databaseValues.map { value in
                        switch value.storage {
                        case .null: return nil
                        case .string(let text): return text
                        default: throw UnexpectedValue(query: query, value: value.description)
                        }
                    }
                }
            }
        }

        struct UnexpectedValue: Error { var query: String, value: String }

        func statuses() async throws -> [String] {
            try await rows("SELECT status FROM jobs ORDER BY id").map { $0[0] ?? "NULL" }
        }

        /// Every column of every job and attempt, in id order, as `table column=value …` lines.
        func tableDump() async throws -> [String] {
            var dump: [String] = []
            for table in ["jobs", "attempts"] {
                let columns = try await rows(
                    postgres == nil
                        ? "SELECT name FROM pragma_table_info('\(table)') ORDER BY cid"
                        : """
                        SELECT CAST(column_name AS TEXT) FROM information_schema.columns
                        WHERE table_schema = current_schema() AND table_name = '\(table)' ORDER BY ordinal_position
                        """
                ).map { $0[0] ?? "" }
                let texts = columns.map { "CAST(\"\($0)\" AS TEXT)" }.joined(separator: ", ")
                dump += try await rows("SELECT \(texts) FROM \(table) ORDER BY id").map { values in
                    "\(table) "
                        + zip(columns, values).map { "\($0)=\($1.map { "'\($0)'" } ?? "NULL")" }.joined(separator: " ")
                }
            }
            return dump
        }

        /// Every job and its attempts that may have rung someone (not `not_placed`), in id order.
        func jobs() async throws -> [Job] {
            let attempts = Dictionary(
                grouping: try await rows(
                    """
                    SELECT CAST(job_id AS TEXT), state, interaction_id, outcome FROM attempts
                    WHERE state <> 'not_placed' ORDER BY job_id, attempt_number
                    """),
                by: { $0[0] })
            let query = """
                SELECT CAST(id AS TEXT), phone_e164, status, CAST(attempts AS TEXT), interaction_id, summary,
                    recording_url, error, next_attempt_at FROM jobs ORDER BY id
                """
            return try await rows(query).map { row in
                guard let id = row[0].flatMap({ Int64($0) }), let count = row[3].flatMap({ Int($0) }),
                    let phone = row[1], let status = row[2]
                else { throw UnexpectedValue(query: query, value: "\(row)") }
                let tried = attempts[row[0]] ?? []
                return Job(
                    id: id, phone: phone, status: status, attempts: count, interactionID: row[4], summary: row[5],
                    recordingURL: row[6], error: row[7], nextAttemptAt: row[8],
                    attemptStates: tried.map { $0[1] ?? "" },
                    attemptInteractionIDs: tried.map { $0[2] }, attemptOutcomes: tried.map { $0[3] })
            }
        }

        func jobsByPhone() async throws -> [String: Job] {
            Dictionary(uniqueKeysWithValues: try await jobs().map { ($0.phone, $0) })
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
