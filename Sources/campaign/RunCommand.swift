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

    @Option(
        help: """
            Calls in flight at most. (default: 5; on PostgreSQL the campaign's limit shared by all its runners, \
            stored with the campaign: a runner started without it uses the stored one)
            """)
    var maxParallel: Int?

    @Option(
        help: "Cap on how fast new calls start, e.g. 30/min (on PostgreSQL shared by all runners, stored).",
        transform: FlagValue.rate)
    var rate: RatePacer?

    @Option(help: "PostgreSQL: calls in flight at most on this machine, within the campaign's --max-parallel.")
    var localMaxParallel: Int?

    @Flag(
        help: """
            PostgreSQL: change the campaign's stored --max-parallel/--rate although other runners work it \
            (without it, a runner asking for other limits is refused while they do).
            """)
    var setLimits = false

    @Option(
        help: """
            PostgreSQL: how long a job that became 'unknown' still counts against --max-parallel (its call may \
            still be ringing), e.g. 5m. (default: 5m)
            """,
        transform: DurationArgument.parser("--unknown-hold", within: .zero ... .seconds(86_400)))
    var unknownHold: DurationArgument = "5m"

    @Option(
        help: .hidden,
        transform: DurationArgument.parser("--lease", within: .milliseconds(300) ... .seconds(600)))
    var lease: DurationArgument = "15s"

    // Duration flags are read as the command line is parsed, so their help states the default itself.
    @Option(
        help: "Wait between status polls of a call (jittered), e.g. 5s. (default: 5s)",
        transform: DurationArgument.parser("--poll-interval", within: .milliseconds(10) ... .seconds(3600)))
    var pollInterval: DurationArgument = "5s"

    @Option(help: "Attempts per contact in all, the first one included.")
    var maxAttempts: Int = 3

    @Option(
        help: """
            Wait before the first retry; each later retry waits twice as long (with jitter), e.g. 30m. \
            (default: 30m)
            """,
        transform: DurationArgument.parser("--retry-delay", within: .zero ... .seconds(7 * 86_400)))
    var retryDelay: DurationArgument = "30m"

    @Option(
        help: "Outcome labels worth a retry, comma separated. (default: no_answer,busy,no_result)",
        transform: FlagValue.outcomes)
    var retryOn: Set<String> = RetryPolicy.defaultRetryableOutcomes

    @Option(help: "A file of 'label: regex' lines that label calls from their summary, tried before the defaults.")
    var outcomeRules: String?

    @Option(
        help: """
            When calls may start, in each recipient's local time: 09:00-20:00 every day, or days first, \
            e.g. 'Mon-Fri 09:00-20:00,Sat 10:00-14:00'.
            """,
        transform: FlagValue.window)
    var window: CallingWindow?

    @Option(
        help: """
            Local dates on which no call starts, in each recipient's calendar: 2026-12-25,2027-01-01, or @FILE \
            with one date a line. Combines with --window; alone, every other day is open.
            """,
        transform: FlagValue.skipDates)
    var skipDates: Set<LocalDate>?

    @Option(
        help: "IANA zone for recipients whose row and campaign name none (never this machine's; see --window).",
        transform: FlagValue.timeZone)
    var timezone: TimeZone?

    @Option(
        help: "How long in-flight calls are still followed after Ctrl-C, e.g. 60s. (default: 60s)",
        transform: DurationArgument.parser("--grace-period", within: .zero ... .seconds(86_400)))
    var gracePeriod: DurationArgument = "60s"

    @Flag(help: "Place calls with waitForCallEnd instead of polling their status.")
    var waitForCallEnd = false

    @Flag(help: "Do not sleep for retries or calling windows: exit and say when to run again.")
    var noWait = false

    @Option(help: "The API's base URL (env POKU_API_URL).")
    var apiUrl: String = ProcessInfo.processInfo.environment["POKU_API_URL"] ?? "https://api.pokulabs.com"

    @Flag(help: "Run against the built-in simulator: no account, no real phone rings.")
    var simulate = false

    @Option(
        help: "With --simulate: the mean length of a simulated call, e.g. 3s. (default: 3s)",
        transform: DurationArgument.parser("--simulate-call-duration", within: .zero ... .seconds(3600)))
    var simulateCallDuration: DurationArgument = "3s"

    @Option(help: "With --simulate: the seed that decides the simulated outcomes.")
    var simulateSeed: UInt64 = 1

    @Option(
        help: """
            How long a placed call is followed at most; past it the job becomes 'unknown' (never redialled) \
            and its slot is freed, e.g. 30m. (default: 30m)
            """,
        transform: DurationArgument.parser("--max-call-duration", within: .seconds(1) ... .seconds(86_400)))
    var maxCallDuration: DurationArgument = "30m"

    @Option(
        help: """
            At most N calls to one number per period, counted over every campaign of this database, e.g. 2/24h; \
            a job over it waits.
            """,
        transform: FlagValue.cap)
    var maxCallsPerNumber: ContactPressure.Cap?

    @Option(
        help: "At least this long between two calls to one number, over every campaign, e.g. 4h; a job waits.",
        transform: DurationArgument.parser("--min-gap", within: .seconds(60) ... .seconds(90 * 86_400)))
    var minGap: DurationArgument?

    @Option(
        help: """
            No call starts after this: a date-time with its offset (2026-12-24T18:00:00-05:00) or a duration \
            from now (8h). Calls in flight are followed to their end; queued jobs stay queued.
            """,
        transform: FlagValue.deadline)
    var until: Date?

    @Flag(
        name: .customLong("allow-insecure-http"),
        help: "Allow a plain http:// --api-url to a host that is not this machine (the key is sent unencrypted).")
    var allowInsecureHTTP = false

    func validate() throws {
        guard (maxParallel ?? 1) >= 1 else { throw ValidationError("--max-parallel must be at least 1") }
        guard (localMaxParallel ?? 1) >= 1 else { throw ValidationError("--local-max-parallel must be at least 1") }
        guard (1...100).contains(maxAttempts) else {
            throw ValidationError("--max-attempts \(maxAttempts) is out of range; accepted: 1 to 100")
        }
    }

    func run() async throws {
        let apiKey = try APIAccess.key(fromEnvironment: ProcessInfo.processInfo.environment["POKU_API_KEY"])
        if !simulate { _ = try APIAccess.baseURL(apiUrl, allowInsecureHTTP: allowInsecureHTTP) }
        try FileDescriptorBudget.ensure(maxParallel: poolSize(shared: nil), descriptorsPerCall: simulate ? 2 : 1)
        if apiKey == nil && !simulate {
            printError(
                "error: no API key: set the environment variable POKU_API_KEY, or pass --simulate to rehearse "
                    + "the campaign against the built-in simulator")
            throw ExitStatus.usage
        }
        try await withRunDatabase(configuration: try makeConfiguration()) { store, record, configuration in
            let calling = CallingClientSetup(
                simulate: simulate, apiURL: apiUrl, allowInsecureHTTP: allowInsecureHTTP, apiKey: apiKey,
                maxParallel: configuration.maxParallel, waitForCallEnd: waitForCallEnd,
                simulation: PokuSimulator.Configuration(
                    seed: simulateSeed, callDuration: .uniform(mean: simulateCallDuration.value)))
            let result = try await RunDriver.execute(
                store: store, campaign: record, calling: calling, configuration: configuration,
                gracePeriod: gracePeriod.text)
            print(RunSummaryText.render(result, campaign: record.name))
            if case .stopped = result { throw ExitStatus.interrupted }
        }
    }

    /// Runs `body` on the database the run works, held for as long as it runs: the campaign's own under its
    /// run lock, or with `--simulate` a locked temporary copy, removed afterwards.
    func withRunDatabase(
        configuration: DispatchConfiguration,
        _ body: (any DispatchStore, CampaignRecord, DispatchConfiguration) async throws -> Void
    ) async throws {
        guard simulate else {
            // SQLite: the lock first, so the database is not opened for work through a second name while another
            // run works it. PostgreSQL: this run joins the campaign's runners.
            try await CampaignDatabases.withRunner(database.db, settings: runnerSettings) { store in
                let record = try await store.resolveCampaign(campaign)
                try await RunZoneCheck.check(store: store, campaign: record, configuration: configuration)
                var configuration = configuration
                if let shared = try await store.joinAsRunner(campaign: record, now: Date()) {
                    configuration.maxParallel = poolSize(shared: shared.maxParallel)
                    configuration.rate = shared.rateInterval.map(RatePacer.init(interval:))
                    try FileDescriptorBudget.ensure(
                        maxParallel: configuration.maxParallel, descriptorsPerCall: simulate ? 2 : 1)
                    print(
                        "runner \(shared.runner) on \(store.displayName): the campaign's limit is "
                            + "\(shared.maxParallel) call(s) in flight across all runners"
                            + (shared.rateInterval.map { String(format: ", one start every %.3g s", $0) } ?? "")
                            + "; this machine places at most \(configuration.maxParallel)")
                    fflush(nil)
                }
                if configuration.pressure != nil { try await store.indexNumbersAcrossCampaigns() }
                try await body(store, record, configuration)
            }
            return
        }
        if case .postgres(let location) = try DatabaseLocation(
            parsing: database.db, environment: ProcessInfo.processInfo.environment)
        {
            // A rehearsal runs on a throwaway copy of the database; a PostgreSQL database cannot be copied
            // safely from here (CREATE DATABASE … TEMPLATE needs every other session off it and the right to
            // create databases), and rehearsing on the real one would change it.
            throw RunOptionError(
                "--simulate rehearses on a copy of a SQLite database file and cannot copy the PostgreSQL database "
                    + "\(location.redacted); nothing was changed. To rehearse, start campaign simulator and run "
                    + "against a database you can throw away with --api-url set to the simulator's URL")
        }
        let original = try CampaignStore(path: database.db, mustExist: true)
        let record = try await original.resolveCampaign(campaign)
        try await RunZoneCheck.check(store: original, campaign: record, configuration: configuration)
        // A rehearsal never changes the database it rehearses: it works on a copy that is thrown away.
        try await Rehearsal.withCopy(of: original) { copy in
            print("rehearsal on a temporary copy of \(database.db): the campaign database is not changed")
            fflush(nil)
            try await withRunLock(store: copy) {
                if configuration.pressure != nil { try copy.indexNumbersAcrossCampaigns() }
                try await body(copy, record, configuration)
            }
        }
    }

    /// `--window` and `--skip-dates` as one window: skip dates alone close those dates and nothing else.
    var callingWindow: CallingWindow? { CallingWindow.combining(window, skipDates: skipDates) }

    /// This machine's calls in flight at most: `--local-max-parallel` within the campaign's limit (`shared`, as
    /// stored on PostgreSQL; else `--max-parallel`, default 5).
    func poolSize(shared: Int?) -> Int {
        let limit = shared ?? maxParallel ?? 5
        return min(localMaxParallel ?? limit, limit)
    }

    /// What this run is as one of a PostgreSQL campaign's runners.
    var runnerSettings: PostgresRunner.Settings {
        var settings = PostgresRunner.Settings()
        settings.lease = lease.value.seconds
        settings.unknownHold = unknownHold.value.seconds
        settings.maxParallel = maxParallel
        settings.rateInterval = rate?.interval
        settings.setLimits = setLimits
        return settings
    }

    /// The dispatcher's settings from the flags (their values were read and bounded as the command line was parsed).
    func makeConfiguration() throws -> DispatchConfiguration {
        var configuration = DispatchConfiguration(
            maxParallel: poolSize(shared: nil), pollInterval: pollInterval.value, waitForCallEnd: waitForCallEnd,
            retry: RetryPolicy(maxAttempts: maxAttempts, baseDelay: retryDelay.value, retryableOutcomes: retryOn),
            outcomeRules: try outcomeRules.map { path throws in try OutcomeRules(contentsOf: path) } ?? OutcomeRules(),
            window: callingWindow, defaultTimeZone: timezone, rate: rate, noWait: noWait,
            gracePeriod: gracePeriod.value)
        configuration.maxCallDuration = maxCallDuration.value
        configuration.pressure = ContactPressure.given(cap: maxCallsPerNumber, minGap: minGap?.value)
        configuration.deadline = until
        return configuration
    }
}
