import Foundation

/// Whether the PostgreSQL tests run. `CAMPAIGN_TEST_POSTGRES` holds the URL of an admin database on a throwaway
/// cluster (`scripts/test-postgres.sh url`); each test makes its own database there (`PostgresTestDatabase`).
/// Without it the PostgreSQL tests are skipped and say so, except under `CI=true`, where a missing cluster fails
/// the run: a green CI must not hide that nothing ran on PostgreSQL.
public enum TestPostgres {
    public static let variable = "CAMPAIGN_TEST_POSTGRES"

    public enum Availability: Sendable, Equatable {
        case available(adminURL: String)
        /// Unset on a developer's machine: skip, and say so.
        case skipped
        /// Unset in CI: fail.
        case missingInCI
    }

    /// The rule, on any environment (the tests check it on made-up ones).
    public static func availability(environment: [String: String]) -> Availability {
        if let url = environment[variable], !url.isEmpty { return .available(adminURL: url) }
        // CI systems set CI=true (GitHub, GitLab, .ci/run); "1" is seen too.
        let ci = environment["CI"]?.lowercased()
        return ci == "true" || ci == "1" ? .missingInCI : .skipped
    }

    public static let current = availability(environment: ProcessInfo.processInfo.environment)

    public static var isAvailable: Bool {
        if case .available = current { return true }
        return false
    }

    /// What a run without a cluster says in place of the PostgreSQL tests (the skipped suites repeat it).
    public static let skipped =
        "CAMPAIGN_TEST_POSTGRES is unset: PostgreSQL tests skipped "
        + "(scripts/test-postgres.sh start; then CAMPAIGN_TEST_POSTGRES=$(scripts/test-postgres.sh url) swift test)"
}
