import Foundation
import PostgresNIO

/// An open PostgreSQL campaign database: a pool of up to 6 connections (`PostgresLocation.maximumConnections`),
/// each started with `synchronous_commit=on` and `application_name=campaign`. Only `with` makes one: the pool's
/// `run()` must run in a task for as long as it is used, and `with` scopes both.
///
/// (Named so as not to shadow postgres-nio's own `PostgresDatabase` protocol.)
public final class PostgresCampaignDatabase: Sendable {
    public let location: PostgresLocation
    let client: PostgresClient

    /// postgres-nio logs through swift-log; nothing of it may reach a command's output, so only critical
    /// messages (it logs none) would pass. Its background logger is disabled the same way.
    static let logger: Logger = {
        var logger = Logger(label: "campaign.postgres")
        logger.logLevel = .critical
        return logger
    }()

    init(location: PostgresLocation) {
        self.location = location
        client = PostgresClient(configuration: location.clientConfiguration(), backgroundLogger: Self.logger)
    }

    /// Opens the database (`open`), runs `body` with it, then closes the pool, also when `body` throws.
    /// Errors of the opening are `PostgresStoreError`s; `body`'s own pass through as they are.
    public static func with<T: Sendable>(
        _ location: PostgresLocation, mustExist: Bool, isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresCampaignDatabase) async throws -> T
    ) async throws -> T {
        try await open(location, mustExist: mustExist)
        let database = PostgresCampaignDatabase(location: location)
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            group.addTask { await database.client.run() }
            defer { group.cancelAll() }
            return try await body(database)
        }
    }

    /// Connects once on its own connection and brings the schema up to date (`PostgresMigrator`). A connection of
    /// its own rather than the pool's: the pool retries a failed connect for up to 60 s and then reports only
    /// that it gave up, where a user needs at once the server's reason (wrong password, no such database).
    /// `mustExist`: every command but `import`; a database without the schema is refused and left as it was.
    @discardableResult
    static func open(
        _ location: PostgresLocation, mustExist: Bool, now: Date = Date()
    ) async throws(PostgresStoreError) -> PostgresMigrator.Outcome {
        let configuration = try location.connectionConfiguration()
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        } catch {
            throw PostgresStoreError(error, location: location)
        }
        do {
            let outcome = try await PostgresMigrator.migrate(
                connection, location: location, mustExist: mustExist, now: now)
            try? await connection.close()
            return outcome
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Runs `body` on a connection of the pool; a failure of the driver arrives as a `PostgresStoreError`.
    func withConnection<T: Sendable>(
        isolation: isolated (any Actor)? = #isolation, _ body: (PostgresSQL) async throws(PostgresStoreError) -> T
    ) async throws(PostgresStoreError) -> T {
        do {
            return try await client.withConnection { connection in
                try await body(PostgresSQL(connection: connection, location: location))
            }
        } catch {
            throw PostgresStoreError(error, location: location)
        }
    }
}
