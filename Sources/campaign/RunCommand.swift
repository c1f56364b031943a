import ArgumentParser
import CampaignKit
import PokuSimulator
import Foundation
import Synchronization

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Place the campaign's calls with a bounded worker pool and follow each to its end.",
        discussion: """
            Every outcome is written to the database as it happens, so Ctrl-C (or a crash) loses nothing: \
            run again to continue. The first Ctrl-C (or SIGTERM, SIGHUP) stops placing calls and follows the \
            calls in flight for a grace period; a second one exits at once. A call whose placement cannot be \
            confirmed becomes 'unknown' and is never redialled automatically: see campaign report, then \
            campaign resolve.
            The API key is read from the environment variable POKU_API_KEY only.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The campaign (default: the only one in the database).")
    var campaign: String?

    @Option(help: "Calls in flight at most.")
    var maxParallel: Int = 5

    @Option(help: "Cap on how fast new calls start, e.g. 30/min.")
    var rate: String?

    @Option(help: "Wait between status polls of a call (jittered), e.g. 5s.")
    var pollInterval: String = "5s"

    @Option(help: "Attempts per contact in all, the first one included.")
    var maxAttempts: Int = 3

    @Option(help: "Wait before the first retry; each later retry waits twice as long (with jitter), e.g. 30m.")
    var retryDelay: String = "30m"

    @Option(help: "Outcome labels worth a retry, comma separated.")
    var retryOn: String = "no_answer,busy,no_result"

    @Option(help: "A file of 'label: regex' lines that label calls from their summary, tried before the defaults.")
    var outcomeRules: String?

    @Option(help: "When calls may start, in each recipient's local time, e.g. 09:00-20:00.")
    var window: String?

    @Option(help: "IANA zone for recipients whose row and campaign name none (never this machine's; see --window).")
    var timezone: String?

    @Option(help: "How long in-flight calls are still followed after Ctrl-C, e.g. 60s.")
    var gracePeriod: String = "60s"

    @Flag(help: "Place calls with waitForCallEnd instead of polling their status.")
    var waitForCallEnd = false

    @Flag(help: "Do not sleep for retries or calling windows: exit and say when to run again.")
    var noWait = false

    @Option(help: "The API's base URL (env POKU_API_URL).")
    var apiUrl: String = ProcessInfo.processInfo.environment["POKU_API_URL"] ?? "https://api.pokulabs.com"

    @Flag(help: "Run against the built-in simulator: no account, no real phone rings.")
    var simulate = false

    @Option(help: "With --simulate: the mean length of a simulated call, e.g. 3s.")
    var simulateCallDuration = "3s"

    @Option(help: "With --simulate: the seed that decides the simulated outcomes.")
    var simulateSeed: UInt64 = 1

    @Option(
        help: """
            How long a placed call is followed at most; past it the job becomes 'unknown' (never redialled) \
            and its slot is freed, e.g. 30m.
            """)
    var maxCallDuration = "30m"

    @Flag(
        name: .customLong("allow-insecure-http"),
        help: "Allow a plain http:// --api-url to a host that is not this machine (the key is sent unencrypted).")
    var allowInsecureHTTP = false

    func run() async throws {
        let apiKey: String?
        do {
            apiKey = try APIAccess.key(fromEnvironment: ProcessInfo.processInfo.environment["POKU_API_KEY"])
            if !simulate { _ = try APIAccess.baseURL(apiUrl, allowInsecureHTTP: allowInsecureHTTP) }
            try FileDescriptorBudget.ensure(maxParallel: maxParallel, descriptorsPerCall: simulate ? 2 : 1)
        } catch {
            throw ExitStatus.report(error)
        }
        if apiKey == nil && !simulate {
            printError(
                "error: no API key: set the environment variable POKU_API_KEY, or pass --simulate to rehearse "
                    + "the campaign against the built-in simulator")
            throw ExitStatus.usage
        }
        let configuration: DispatchConfiguration
        do {
            configuration = try makeConfiguration()
        } catch {
            throw ExitStatus.report(error)
        }

        var store: CampaignStore
        let record: CampaignRecord
        let lock: RunLock
        var rehearsal: Rehearsal? = nil
        do {
            // The lock first: the database is not opened for work through a second name while another run works it.
            let held = simulate ? nil : try RunLock.acquire(databasePath: database.db)
            store = try CampaignStore(path: database.db, mustExist: true)
            record = try store.resolveCampaign(campaign)
            try RunZoneCheck.check(store: store, campaign: record, configuration: configuration)
            if let held {
                try held.recordHolder(in: store)
                lock = held
            } else {
                // A rehearsal never changes the database it rehearses: it works on a copy that is thrown away.
                let copy = try Rehearsal(of: store)
                print("rehearsal on a temporary copy of \(database.db): the campaign database is not changed")
                fflush(nil)
                store = copy.store
                rehearsal = copy
                lock = try RunLock.acquire(store: store)
            }
        } catch {
            throw ExitStatus.report(error)
        }
        defer {
            withExtendedLifetime(lock) {}
            rehearsal?.remove()
        }

        let connection: CallingConnection
        do {
            connection = try await CallingConnection.make(
                simulate: simulate, apiURL: apiUrl, allowInsecureHTTP: allowInsecureHTTP, apiKey: apiKey,
                maxParallel: maxParallel,
                simulation: PokuSimulator.Configuration(
                    seed: simulateSeed, callDuration: .uniform(mean: try DurationParser().parse(simulateCallDuration))))
        } catch {
            throw ExitStatus.report(error)
        }

        let result = try await CampaignRunSession.execute(
            store: store, campaign: record, connection: connection, configuration: configuration,
            gracePeriod: gracePeriod)
        print(RunSummaryText.render(result, campaign: record.name))
        if case .stopped = result { throw ExitStatus.interrupted }
    }

    /// Reads the flags into the dispatcher's settings, with the library's parsers and their error texts.
    func makeConfiguration() throws -> DispatchConfiguration {
        guard maxParallel >= 1 else { throw RunOptionError("--max-parallel must be at least 1") }
        guard (1...100).contains(maxAttempts) else {
            throw RunOptionError("--max-attempts \(maxAttempts) is out of range; accepted: 1 to 100")
        }
        let durations = DurationParser()
        let retry = RetryPolicy(
            maxAttempts: maxAttempts,
            baseDelay: try durations.parse(retryDelay, option: "--retry-delay", within: .zero ... .seconds(7 * 86_400)),
            retryableOutcomes: try RetryPolicy.outcomes(fromList: retryOn))
        var zone: TimeZone?
        if let timezone {
            guard let named = ZoneNames.zone(named: timezone) else {
                throw RunOptionError("--timezone '\(timezone)' is not an IANA time zone (e.g. America/New_York)")
            }
            zone = named
        }
        let poll = try durations.parse(
            pollInterval, option: "--poll-interval", within: .milliseconds(10) ... .seconds(3600))
        // Read again where the simulator starts; bounded here, before anything is opened or committed.
        _ = try durations.parse(
            simulateCallDuration, option: "--simulate-call-duration", within: .zero ... .seconds(3600))
        var configuration = DispatchConfiguration(
            maxParallel: maxParallel, pollInterval: poll, waitForCallEnd: waitForCallEnd, retry: retry,
            outcomeRules: try outcomeRules.map { path throws in try OutcomeRules(contentsOf: path) } ?? OutcomeRules(),
            window: try window.map { text throws in try CallingWindow(parsing: text) }, defaultTimeZone: zone,
            rate: try rate.map { text throws in try RatePacer(parsing: text) }, noWait: noWait,
            gracePeriod: try durations.parse(gracePeriod, option: "--grace-period", within: .zero ... .seconds(86_400)))
        configuration.maxCallDuration = try durations.parse(
            maxCallDuration, option: "--max-call-duration", within: .seconds(1) ... .seconds(86_400))
        return configuration
    }
}

/// One dispatcher run with the live progress line and Ctrl-C handling: what `run` and `demo` share.
enum CampaignRunSession {
    /// Works the campaign until it finishes, waits or is stopped, then closes `connection`.
    /// Errors are already printed (their exit status is thrown).
    static func execute(
        store: CampaignStore, campaign record: CampaignRecord, connection: CallingConnection,
        configuration: DispatchConfiguration, gracePeriod: String
    ) async throws -> RunResult {
        let printer = ProgressPrinter(interactive: isatty(STDOUT_FILENO) == 1)
        let dispatcher = Dispatcher(
            store: store, campaign: record, client: connection.client, configuration: configuration,
            onEvent: { printer.show($0) })
        let interrupts = InterruptHandler { signal, first in
            if first {
                dispatcher.requestStop()
                printer.note(
                    "\(InterruptHandler.name(signal)): stopping: no new calls; following the calls in flight for up to "
                        + "\(gracePeriod) (a second Ctrl-C or stop signal exits now, still resumable)")
            } else {
                printer.note("exiting now; everything is saved: run campaign run again to continue")
                Foundation.exit(ExitStatus.stopped(by: signal).rawValue)
            }
        }
        defer { interrupts.cancel() }

        let result: RunResult
        do {
            result = try await dispatcher.run()
        } catch {
            await connection.shutdown()
            printer.finishLine()
            throw ExitStatus.report(error)
        }
        await connection.shutdown()
        printer.finishLine()
        return result
    }
}

/// A flag value `run` cannot use.
struct RunOptionError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The calling client a run talks to, and how to close it.
struct CallingConnection {
    var client: any CallingClient
    var shutdown: @Sendable () async -> Void

    /// The one place the calling client is constructed. With `simulate`, the built-in simulator
    /// starts in this process on a free loopback port and the real HTTP client talks to it, so a
    /// rehearsal exercises the same code as a real campaign. The key is passed through, never printed.
    static func make(
        simulate: Bool, apiURL: String, allowInsecureHTTP: Bool = false, apiKey: String?, maxParallel: Int,
        simulation: PokuSimulator.Configuration
    ) async throws -> CallingConnection {
        let connections = max(64, maxParallel + 8)
        if simulate {
            let simulator = try await PokuSimulator.start(simulation)
            let client = PokuClient(
                configuration: .init(baseURL: simulator.baseURL, maxConnections: connections),
                apiKey: simulation.apiKey)
            return CallingConnection(client: client) {
                await client.shutdown()
                await simulator.shutdown()
            }
        }
        let url = try APIAccess.baseURL(apiURL, allowInsecureHTTP: allowInsecureHTTP)
        let client = PokuClient(configuration: .init(baseURL: url, maxConnections: connections), apiKey: apiKey ?? "")
        return CallingConnection(client: client) { await client.shutdown() }
    }
}

/// Shows a run's events: one updating line on a terminal, plain log lines otherwise.
final class ProgressPrinter: Sendable {
    let interactive: Bool
    private let state = Mutex(State())

    private struct State {
        var lineShown = false
        var lastProgress: DispatchProgress?
        var lastPlainProgress = Date.distantPast
    }

    init(interactive: Bool) { self.interactive = interactive }

    func show(_ event: DispatchEvent) {
        switch event {
        case .progress(let progress):
            state.withLock { state in
                state.lastProgress = progress
                if interactive {
                    write("\r\u{1B}[2K" + Self.line(progress))
                    state.lineShown = true
                } else if Date().timeIntervalSince(state.lastPlainProgress) >= 10 {
                    state.lastPlainProgress = Date()
                    write(Self.line(progress) + "\n")
                }
            }
        case .placed(let jobID, let phone, let attempt):
            if !interactive { note("job \(jobID) \(phone): calling (attempt \(attempt))") }
        case .ended(let jobID, let phone, let outcome, let disposition):
            if !interactive { note("job \(jobID) \(phone): \(outcome), \(Self.text(disposition))") }
        case .staleWrite, .notRecorded:
            // On stderr as well as in the log: an interaction id that is nowhere else must reach the user.
            if let text = Self.text(event) {
                note(text)
                printError(text)
            }
        default:
            if let text = Self.text(event) { note(text) }
        }
    }

    /// A line of its own, above the progress line on a terminal.
    func note(_ text: String) {
        state.withLock { state in
            if interactive && state.lineShown {
                write("\r\u{1B}[2K" + text + "\n")
                if let progress = state.lastProgress { write(Self.line(progress)) }
            } else {
                write(text + "\n")
            }
        }
    }

    func finishLine() {
        state.withLock { state in
            if interactive && state.lineShown { write("\n") }
            state.lineShown = false
        }
    }

    private func write(_ text: String) {
        // `try?`: a closed pipe (`campaign demo | head`) must not crash a run whose state is all on disk.
        try? FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
    }

    static func line(_ progress: DispatchProgress) -> String {
        let counts = progress.counts
        var parts = [
            "done \(counts.finished)/\(counts.total)", "in flight \(progress.inFlight)", "queued \(counts.queued)",
            "failed \(counts.failed)", "unknown \(counts.unknown)",
        ]
        if let rate = progress.callsPerMinute { parts.append(String(format: "%.1f calls/min", rate)) }
        if let eta = progress.estimatedEnd { parts.append("ETA \(clockTime(eta))") }
        return parts.joined(separator: " · ")
    }

    static func text(_ disposition: EndDisposition) -> String {
        switch disposition {
        case .completed: return "done"
        case .retry(let at): return "retry at \(clockTime(at))"
        case .failed(let reason): return "failed: \(reason)"
        }
    }

    static func text(_ event: DispatchEvent) -> String? {
        switch event {
        case .recovered(let recovery):
            var parts: [String] = []
            if !recovery.unknownJobIDs.isEmpty {
                parts.append(
                    "\(recovery.unknownJobIDs.count) job(s) were mid-call when the last run stopped and are now "
                        + "unknown (never redialled automatically; see campaign report, then campaign resolve)")
            }
            if !recovery.inProgress.isEmpty {
                parts.append("following \(recovery.inProgress.count) call(s) placed by the last run")
            }
            for (api, count) in recovery.placedElsewhere.sorted(by: { $0.key < $1.key }) {
                parts.append(
                    "\(count) call(s) in progress were placed through \(api), not this run's API: not followed here "
                        + "(never redialled); a run with --api-url \(api) follows them")
            }
            return parts.joined(separator: "; ")
        case .rejected(let jobID, let phone, let message):
            return "job \(jobID) \(phone): rejected by the API: \(message)"
        case .unknown(let jobID, let phone, let reason):
            return "job \(jobID) \(phone): UNKNOWN, a call may have been placed (\(reason)); not redialled"
        case .needsReview(let jobID, let phone, let reason):
            return "job \(jobID) \(phone): needs review: \(reason)"
        case .staleWrite(let jobID, let phone, let what, let interactionID):
            return "job \(jobID) \(phone): not recorded (\(what)): the job was changed by someone else meanwhile"
                + (interactionID.map { "; its call has interaction id \($0)" } ?? "")
        case .notRecorded(let jobID, let phone, let interactionID, let reason):
            return "job \(jobID) \(phone): a call WAS placed, interaction id \(interactionID), but the database "
                + "could not store it (\(reason)); the job will be unknown, never redialled: keep this id"
        case .contactPressure(let jobID, let phone, let until):
            return "job \(jobID) \(phone): called too often or too recently (in any campaign); waits until "
                + clockTime(until)
        case .outsideWindow(let jobID, let phone, let until):
            return "job \(jobID) \(phone): outside the calling window, waits until \(clockTime(until))"
        case .zoneUnknown(let jobID, let phone, let zone, let until):
            return "job \(jobID) \(phone): " + RunZoneCheck.zoneProblem(zone)
                + "; not called, it waits (looked at again at \(clockTime(until)))"
        case .paused(let until, let reason):
            return "pausing new calls until \(clockTime(until)): \(reason)"
        case .circuitOpened(let until, let failures):
            return "\(failures) failures in a row: no new calls until \(clockTime(until)), then one probe call"
        case .circuitClosed:
            return "the API answers again: placing calls"
        case .sleeping(let until):
            return "nothing due now; sleeping until \(clockTime(until)) (Ctrl-C is safe: run again later)"
        case .stopping:
            return nil
        case .placed, .ended, .progress:
            return nil
        }
    }

    static func clockTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = abs(date.timeIntervalSinceNow) < 20 * 3600 ? "HH:mm:ss" : "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }
}

/// The words `campaign run` prints when it ends.
enum RunSummaryText {
    static func render(_ result: RunResult, campaign: String) -> String {
        switch result {
        case .finished(let counts):
            var text = "campaign '\(campaign)' finished: \(describe(counts))"
            if counts.unknown > 0 {
                text +=
                    "\n\(counts.unknown) job(s) need review: campaign report lists them; campaign resolve settles them"
            }
            return text
        case .waiting(let until, let counts):
            return "nothing due now (\(describe(counts))); the next call is due at "
                + "\(ProgressPrinter.clockTime(until)): run campaign run again then"
        case .stopped(let counts):
            return "stopped (\(describe(counts))); run campaign run again to continue"
        case .pastDeadline(let deadline, let counts):
            return "the deadline \(ProgressPrinter.clockTime(deadline)) passed: no call starts after it; "
                + "\(counts.queued) job(s) stay queued (\(describe(counts)))"
        }
    }

    static func describe(_ counts: JobCounts) -> String {
        counts.byStatus.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    }
}

/// The temporary copy a `--simulate` run works on, so a rehearsal never changes the campaign's database.
struct Rehearsal {
    let folder: URL
    let store: CampaignStore

    init(of original: CampaignStore) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "campaign-rehearsal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        do {
            store = try original.copy(to: folder.appendingPathComponent("rehearsal.db").path)
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}
