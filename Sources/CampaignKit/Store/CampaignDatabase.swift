import Foundation

/// A campaign database as every verb sees it: the embedded SQLite file (`CampaignStore`) or a PostgreSQL
/// server. Each stage asks it for operations in its own words (`DispatchStore` for `run`, `ImportStore`,
/// `ReportStore`, `ResolveStore`), so the commands, the dispatcher and the tests of those contracts do not
/// depend on one database's types. Requirements are `async`: a server answers over the network; SQLite's
/// synchronous methods satisfy them as they are.
public protocol CampaignDatabase: DispatchStore, ImportStore, ReportStore, ResolveStore {
    /// What `--db` named, as messages show it (a password never appears).
    var displayName: String { get }
}

extension CampaignStore: CampaignDatabase {
    public var displayName: String { path }
}

/// Finding a campaign by name.
public protocol CampaignCatalog: Sendable {
    /// The campaign called `name`, if there is one.
    func campaign(named name: String) async throws(StoreError) -> CampaignRecord?
    /// Names of all campaigns, oldest first.
    func campaignNames() async throws(StoreError) -> [String]
}

extension CampaignCatalog {
    /// The campaign called `name`, or the only campaign when `name` is nil.
    public func resolveCampaign(_ name: String?) async throws(StoreError) -> CampaignRecord {
        let names = try await campaignNames()
        if let name {
            guard let record = try await campaign(named: name) else {
                throw .campaignNotFound(name: name, available: names)
            }
            return record
        }
        guard names.count == 1, let record = try await campaign(named: names[0]) else {
            throw .campaignNotChosen(available: names)
        }
        return record
    }
}

/// `campaign resolve` and `campaign cancel`: a person settles jobs. Each change is guarded on the job's
/// current status, so it is safe while a run works the same campaign.
public protocol ResolveStore: CampaignCatalog {
    /// Settles `unknown` jobs a person has checked (`jobIDs` nil: every one); `requeue` also takes `failed`
    /// jobs named by id. Ids that do not fit change nothing and are listed in the error.
    @discardableResult
    func resolveUnknown(campaign: CampaignRecord, jobIDs: [Int64]?, action: ResolveAction, now: Date)
        async throws(StoreError) -> Int

    /// Cancels queued jobs (`jobIDs` nil: every queued job of the campaign); returns the number cancelled.
    @discardableResult
    func cancelQueued(campaign: CampaignRecord, jobIDs: [Int64]?, now: Date) async throws(StoreError) -> Int
}

/// Opening the database a command names.
public enum CampaignDatabases {
    /// Runs `body` on the campaign database `name` (`--db`, `CAMPAIGN_DB`) names, open for as long as `body`
    /// runs: the SQLite file, or a PostgreSQL server (a pool of 6 connections, the schema migrated first).
    /// `mustExist: false` only for `import` and `suppress`, which create a database; every other verb refuses a
    /// name that holds no campaign database rather than making an empty one.
    public static func with<T: Sendable>(
        _ name: String, mustExist: Bool = true, _ body: (any CampaignDatabase) async throws -> T
    ) async throws -> T {
        switch try DatabaseLocation(parsing: name, environment: ProcessInfo.processInfo.environment) {
        case .sqlite(let path):
            return try await body(CampaignStore(path: path, mustExist: mustExist))
        case .postgres(let location):
            return try await PostgresCampaignDatabase.with(location, mustExist: mustExist) { database in
                try await body(PostgresStore(database: database))
            }
        }
    }

    /// Runs `body` as the only run of the database `name` names (`campaign run`, `resolve`), with this process
    /// recorded as the holder: a second is refused, naming the holder. On SQLite the lock is the database
    /// file's own `flock` (`RunLock`), taken before the database is opened for work; on PostgreSQL a session
    /// advisory lock on a connection of its own (`PostgresRunLock`), taken once the schema is checked, and
    /// checked again by every claim.
    public static func withOnlyRun<T: Sendable>(_ name: String, _ body: (any RunnableStore) async throws -> T)
        async throws -> T
    {
        if case .postgres(let location) = try DatabaseLocation(
            parsing: name, environment: ProcessInfo.processInfo.environment)
        {
            return try await PostgresCampaignDatabase.with(location, mustExist: true) { database in
                let lock = try await PostgresRunLock.acquire(location)
                do {
                    let result = try await body(PostgresStore(database: database, runLock: lock))
                    await lock.release()
                    return result
                } catch {
                    await lock.release()
                    throw error
                }
            }
        }
        let lock = try RunLock.acquire(databasePath: name)
        defer { withExtendedLifetime(lock) {} }
        let store = try CampaignStore(path: name, mustExist: true)
        try lock.recordHolder(in: store)
        return try await body(store)
    }
}

/// What `campaign run` and `campaign resolve` need of a database they hold as its only run: the dispatch
/// operations, resolving, and the zones of the queued jobs a run with `--window` checks before it starts.
public protocol RunnableStore: DispatchStore, ResolveStore {
    /// What `--db` named, as messages show it (a password never appears).
    var displayName: String { get }
    /// How many queued jobs of the campaign name each time zone (the row's, else the campaign's).
    func queuedZones(campaign: CampaignRecord) async throws(StoreError) -> QueuedZones
}

extension CampaignStore: RunnableStore {}
