import CampaignKit
import Foundation
import PostgresNIO

/// A new, empty database on the test cluster (`TestPostgres`), made from `template0` so nothing of another
/// test's is in it. Typical use:
///
///     try await PostgresTestDatabase.withFresh { database in
///         let location = try database.location  // or database.url for the binary's --db
///         …
///     }                                          // dropped here, also when the body throws
///
/// `fresh()` makes one the caller drops (`drop()`); what a crashed test leaves is removed with the cluster
/// (`scripts/test-postgres.sh stop`).
public struct PostgresTestDatabase: Sendable {
    public let name: String
    /// The database's URL, in the admin URL's form: what `--db` or `CAMPAIGN_DB` take.
    public let url: String

    public struct NoCluster: Error, CustomStringConvertible {
        public init() {}
        public var description: String { TestPostgres.skipped }
    }

    public var location: PostgresLocation {
        get throws {
            guard case .postgres(let location) = try DatabaseLocation(parsing: url, environment: [:]) else {
                throw NoCluster()
            }
            return location
        }
    }

    public static func fresh() async throws -> PostgresTestDatabase {
        guard case .available(let adminURL) = TestPostgres.current else { throw NoCluster() }
        // Lowercase letters and digits: a name that needs no quoting anywhere (psql, URLs, SQL).
        let name = "campaign_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await admin(adminURL, "CREATE DATABASE \(name) TEMPLATE template0")
        return PostgresTestDatabase(name: name, url: try replacingDatabase(in: adminURL, with: name))
    }

    /// Drops the database, closing whatever connections are still open on it.
    public func drop() async throws {
        guard case .available(let adminURL) = TestPostgres.current else { throw NoCluster() }
        try await Self.admin(adminURL, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    public static func withFresh<T>(
        isolation: isolated (any Actor)? = #isolation, _ body: (PostgresTestDatabase) async throws -> T
    ) async throws -> T {
        let database = try await fresh()
        do {
            let result = try await body(database)
            try await database.drop()
            return result
        } catch {
            try? await database.drop()
            throw error
        }
    }

    /// Runs `statement` on this database as the cluster's admin user, outside any campaign code.
    public func execute(_ statement: String) async throws {
        _ = try await Self.strings(url, statement)
    }

    /// The first column of each row `query` returns, as text (cast in the query: `…::text`), read as the
    /// cluster's admin user, outside any campaign code.
    public func strings(_ query: String) async throws -> [String?] {
        try await Self.strings(url, query)
    }

    /// Every column of each row `query` returns, as text (cast each in the query), read as `strings` reads.
    public func rows(_ query: String) async throws -> [[String?]] {
        try await Self.withSession(url) { session in try await session.rows(query) }
    }

    /// Runs one statement on the cluster's admin database (a database name cannot be a parameter, so the
    /// statements here take none).
    public static func admin(_ adminURL: String, _ statement: String) async throws {
        _ = try await strings(adminURL, statement)
    }

    /// `strings` on the database at `url`.
    public static func strings(_ url: String, _ query: String) async throws -> [String?] {
        try await withSession(url) { session in try await session.strings(query) }
    }

    /// A session of the admin user on this database, open for `body`: for what must hold a transaction (a row
    /// lock) while the binary runs.
    public func withSession<T>(
        isolation: isolated (any Actor)? = #isolation, _ body: (Session) async throws -> T
    ) async throws -> T {
        try await Self.withSession(url, body)
    }

    static func withSession<T>(
        isolation: isolated (any Actor)? = #isolation, _ url: String, _ body: (Session) async throws -> T
    ) async throws -> T {
        guard case .postgres(let location) = try DatabaseLocation(parsing: url, environment: [:]) else {
            throw NoCluster()
        }
        var logger = Logger(label: "campaign.tests.postgres")
        logger.logLevel = .critical
        let connection = try await PostgresConnection.connect(
            configuration: try location.connectionConfiguration(), id: 0, logger: logger)
        do {
            let result = try await body(Session(connection: connection, logger: logger))
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// One connection as the admin user.
    public struct Session: Sendable {
        let connection: PostgresConnection
        let logger: Logger

        /// The first column of each row `query` returns, as text.
        @discardableResult
        public func strings(_ query: String) async throws -> [String?] {
            try await rows(query).map { $0.first ?? nil }
        }

        /// Every column of each row `query` returns, as text.
        public func rows(_ query: String) async throws -> [[String?]] {
            var values: [[String?]] = []
            let rows = try await connection.query(PostgresQuery(unsafeSQL: query), logger: logger)
            for try await row in rows {
                values.append(try row.map { try $0.decode(String?.self) })
            }
            return values
        }
    }

    /// `url` with its database name replaced: `postgres://u@/postgres?host=/d` → `postgres://u@/name?host=/d`.
    public static func replacingDatabase(in url: String, with name: String) throws -> String {
        let question = url.firstIndex(of: "?") ?? url.endIndex
        let base = url[..<question]
        guard let scheme = base.range(of: "://") else { throw NoCluster() }
        let authorityStart = base[scheme.upperBound...].lastIndex(of: "@").map(base.index(after:)) ?? scheme.upperBound
        guard let slash = base[authorityStart...].firstIndex(of: "/") else { throw NoCluster() }
        return base[...slash] + name + url[question...]
    }
}
