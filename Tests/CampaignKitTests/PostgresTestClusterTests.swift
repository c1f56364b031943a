import CampaignKit
import TestSupport
import Testing

/// The rule for the PostgreSQL tests: run them when the test cluster is named, skip them (and say so) on a
/// developer's machine without one, and fail in CI without one.
@Suite("PostgreSQL test cluster")
struct PostgresTestClusterTests {
    @Test("in CI (CI=true) the PostgreSQL tests must run: a missing CAMPAIGN_TEST_POSTGRES fails the run")
    func presentInCI() {
        if TestPostgres.current == .missingInCI {
            Issue.record(
                """
                CI=true but CAMPAIGN_TEST_POSTGRES is unset, so every PostgreSQL test was skipped; .ci/run starts \
                the cluster with scripts/test-postgres.sh and sets it
                """)
        }
    }

    @Test(
        "the rule: the variable runs them; without it CI fails and a developer's machine skips",
        arguments: [
            (
                ["CAMPAIGN_TEST_POSTGRES": "postgres://u@/db?host=/tmp/x"],
                TestPostgres.Availability.available(adminURL: "postgres://u@/db?host=/tmp/x")
            ),
            (
                ["CAMPAIGN_TEST_POSTGRES": "postgres://u@/db?host=/tmp/x", "CI": "true"],
                .available(adminURL: "postgres://u@/db?host=/tmp/x")
            ),
            ([:], .skipped),
            (["CI": "false"], .skipped),
            (["CI": ""], .skipped),
            (["CAMPAIGN_TEST_POSTGRES": ""], .skipped),
            (["CI": "true"], .missingInCI),
            (["CI": "TRUE"], .missingInCI),
            (["CI": "1"], .missingInCI),
            (["CI": "true", "CAMPAIGN_TEST_POSTGRES": ""], .missingInCI),
        ] as [([String: String], TestPostgres.Availability)])
    func rule(environment: [String: String], availability: TestPostgres.Availability) {
        #expect(TestPostgres.availability(environment: environment) == availability)
    }

    @Test("the backends a parameterised test runs on: PostgreSQL only with a cluster")
    func backends() {
        #expect(TestBackend.all == (TestPostgres.isAvailable ? [.sqlite, .postgres] : [.sqlite]))
    }

    @Test("each backend hands a test a new database's --db value of its own kind", arguments: TestBackend.all)
    func freshPerBackend(backend: TestBackend) async throws {
        let folder = TemporaryFolder()
        let location = try await backend.withFreshDatabase(in: folder) { value in
            try DatabaseLocation(parsing: value, environment: [:])
        }
        switch (backend, location) {
        case (.sqlite, .sqlite(let path)): #expect(path.hasPrefix(folder.url.path))
        case (.postgres, .postgres(let location)): #expect(location.database.hasPrefix("campaign_test_"))
        default: Issue.record("\(backend) gave \(location)")
        }
    }

    @Test("a fresh database's URL is the admin URL with the database name replaced")
    func freshURL() throws {
        #expect(
            try PostgresTestDatabase.replacingDatabase(in: "postgres://campaign@/postgres?host=/tmp/x", with: "t1")
                == "postgres://campaign@/t1?host=/tmp/x")
        #expect(
            try PostgresTestDatabase.replacingDatabase(in: "postgres://u:p@h:5432/postgres", with: "t2")
                == "postgres://u:p@h:5432/t2")
    }

    @Test(
        "a fresh database is empty, reachable at its URL, and gone once dropped",
        .enabled(
            if: TestPostgres.isAvailable,
            "CAMPAIGN_TEST_POSTGRES is unset: PostgreSQL test skipped (scripts/test-postgres.sh)"))
    func freshDatabase() async throws {
        let database = try await PostgresTestDatabase.fresh()
        #expect(database.name.hasPrefix("campaign_test_"))
        #expect(try await database.strings("SELECT current_database()::text") == [database.name])
        #expect(
            try await database.strings(
                "SELECT count(*)::text FROM pg_class WHERE relnamespace = 'public'::regnamespace") == ["0"])
        try await database.drop()
        guard case .available(let adminURL) = TestPostgres.current else { return }
        let left = try await PostgresTestDatabase.strings(
            adminURL, "SELECT count(*)::text FROM pg_database WHERE datname = '\(database.name)'")
        #expect(left == ["0"])
    }
}
