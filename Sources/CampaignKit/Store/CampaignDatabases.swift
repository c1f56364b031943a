import Foundation

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

    /// Runs `body` as `campaign run` on the database `name` names: on SQLite as its only run (`withOnlyRun`); on
    /// PostgreSQL as one of the campaign's runners (`PostgresRunner`: it joins when the run calls
    /// `joinAsRunner`, its lease is renewed meanwhile, and when `body` ends it stops cleanly, handing its calls in
    /// flight to the other runners).
    public static func withRunner<T: Sendable>(
        _ name: String, settings: PostgresRunner.Settings, _ body: (any RunnableStore) async throws -> T
    ) async throws -> T {
        guard
            case .postgres(let location) = try DatabaseLocation(
                parsing: name, environment: ProcessInfo.processInfo.environment)
        else { return try await withOnlyRun(name, body) }
        return try await PostgresCampaignDatabase.with(location, mustExist: true) { database in
            let runner = PostgresRunner(settings: settings, location: location)
            let store = PostgresStore(database: database, runner: runner)
            // The heartbeat ends before the clean stop: both use the runner's own connection.
            let heartbeat = Task { await runner.heartbeat() }
            do {
                let result = try await body(store)
                heartbeat.cancel()
                await heartbeat.value
                await store.stopRunner(reason: "finished")
                return result
            } catch {
                heartbeat.cancel()
                await heartbeat.value
                await store.stopRunner(reason: "stopped before the campaign was done")
                throw error
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
