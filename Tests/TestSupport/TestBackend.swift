import Foundation

/// The store backends a test can run on, for parameterised tests: `@Test(arguments: TestBackend.all)`.
public enum TestBackend: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlite, postgres

    /// SQLite always; PostgreSQL when the test cluster is there (`TestPostgres`). Where it is missing in CI,
    /// `PostgresTestClusterTests` fails the run, so a list without it cannot pass unnoticed there.
    public static var all: [TestBackend] { TestPostgres.isAvailable ? [.sqlite, .postgres] : [.sqlite] }

    public var description: String { rawValue }

    /// Runs `body` with a new, empty database's `--db` value: a file path in `folder`, or a fresh PostgreSQL
    /// database's URL (dropped when `body` ends).
    public func withFreshDatabase<T>(
        in folder: TemporaryFolder, isolation: isolated (any Actor)? = #isolation, _ body: (String) async throws -> T
    ) async throws -> T {
        switch self {
        case .sqlite:
            return try await body(folder.path("campaign-\(UUID().uuidString).db"))
        case .postgres:
            return try await PostgresTestDatabase.withFresh { database in try await body(database.url) }
        }
    }
}
