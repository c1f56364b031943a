import Foundation
import PostgresNIO
import TestSupport
import Testing

@testable import CampaignKit

/// A statement on a connection the server ended fails at once, as a lost connection (which a run waits out and
/// tries again). postgres-nio (1.33) never answers a query written to a closed connection: the ROLLBACK the store
/// sent after `pg_terminate_backend` ended a claim's session hung `campaign run` for good.
@Suite(
    "PostgreSQL connection lost",
    .enabled(
        if: TestPostgres.isAvailable,
        "CAMPAIGN_TEST_POSTGRES is unset: PostgreSQL test skipped (scripts/test-postgres.sh)"))
struct PostgresConnectionLostTests {
    static func connect(_ location: PostgresLocation) async throws -> PostgresSQL {
        PostgresSQL(
            connection: try await PostgresConnection.connect(
                configuration: try location.connectionConfiguration(), id: 1, logger: PostgresCampaignDatabase.logger),
            location: location)
    }

    @Test("a statement on a closed connection fails at once as a lost connection", .timeLimit(.minutes(1)))
    func closedConnection() async throws {
        try await PostgresTestDatabase.withFresh { database in
            let sql = try await Self.connect(try database.location)
            try await sql.connection.close()
            let error = await #expect(throws: PostgresStoreError.self) { try await sql.execute("SELECT 1") }
            #expect(error?.isConnectionLost == true, "\(String(describing: error))")
        }
    }

    @Test(
        "a transaction whose session the server ends fails as a lost connection, sending nothing after",
        .timeLimit(.minutes(1)))
    func sessionEndedInTransaction() async throws {
        try await PostgresTestDatabase.withFresh { database in
            let sql = try await Self.connect(try database.location)
            let pid = try #require(try await sql.values("SELECT pg_backend_pid()", as: Int32.self).first)
            let error = await #expect(throws: PostgresStoreError.self) {
                try await sql.transaction { () async throws(PostgresStoreError) in
                    try await sql.execute("SELECT 1")
                    do {
                        try await database.execute("SELECT pg_terminate_backend(\(pid))")
                    } catch {
                        throw .server(location: "admin session", reason: "\(error)")
                    }
                    try await sql.execute("SELECT 1")
                }
            }
            #expect(error?.isConnectionLost == true, "\(String(describing: error))")
            try? await sql.connection.close()
        }
    }
}
