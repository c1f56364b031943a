import Foundation
import TestSupport
import Testing

@testable import CampaignKit

/// One run per PostgreSQL campaign database: the session advisory lock `CampaignDatabases.withOnlyRun` takes,
/// and what a run does when that lock's connection goes (the process's death is in the end-to-end tests).
@Suite(
    "PostgreSQL run lock",
    .enabled(
        if: TestPostgres.isAvailable,
        "CAMPAIGN_TEST_POSTGRES is unset: PostgreSQL test skipped (scripts/test-postgres.sh)"))
struct PostgresRunLockTests {
    let now = Date(utc: "2026-06-01T12:00:00.000Z")

    @Test("a second run is refused naming the first; once the first ends the lock is free")
    func secondRunRefused() async throws {
        try await PostgresTestDatabase.withFresh { database in
            try await PostgresSeed.campaign(in: database, numbers: [TestCampaign.phone(0)])
            try await CampaignDatabases.withOnlyRun(database.url) { _ in
                do {
                    _ = try await CampaignDatabases.withOnlyRun(database.url) { _ in
                        Issue.record("a second run took the database")
                    }
                } catch let error as RunLockError {
                    #expect("\(error)".contains("pid \(getpid()) on "), "\(error)")
                    #expect(!"\(error)".contains("password"))
                }
            }
            let names = try await CampaignDatabases.withOnlyRun(database.url) { store in
                try await store.campaignNames()
            }
            #expect(names == ["guests"])
        }
    }

    /// The server ends the lock's session (as a dropped connection or a restarted server would): the lock is
    /// gone, another run could take the database, so this run's next claim must fail and start nothing.
    @Test("when the lock's connection is lost, the next claim fails closed and no job is taken")
    func lostLockFailsClosed() async throws {
        try await PostgresTestDatabase.withFresh { database in
            try await PostgresSeed.campaign(in: database, numbers: (0..<3).map(TestCampaign.phone))
            try await CampaignDatabases.withOnlyRun(database.url) { store in
                let campaign = try await store.resolveCampaign("guests")
                #expect(try await store.claim(campaign, now: now, limit: 1).started.count == 1)
                // This database's holder only: pg_locks lists every database's locks, and other tests' runs hold
                // the same key in theirs.
                let key = PostgresRunLock.key
                let ended = try await database.strings(
                    """
                    SELECT pg_terminate_backend(pid, 10000)::text FROM pg_locks
                    WHERE locktype = 'advisory'
                      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                      AND classid::bigint = \(key >> 32)
                      AND objid::bigint = \(key & 0xFFFF_FFFF) AND objsubid = 1
                    """)
                #expect(ended == ["true"])
                do {
                    _ = try await store.claim(campaign, now: now, limit: 2)
                    Issue.record("a claim was made without the run lock")
                } catch StoreError.postgres(.runLockLost(let location)) {
                    #expect(!location.isEmpty)
                }
                let statuses = try await database.strings("SELECT status FROM jobs ORDER BY id")
                #expect(statuses == ["dialing", "queued", "queued"])
                // Another run may now take the database: the lock really is free.
                try await CampaignDatabases.withOnlyRun(database.url) { _ in }
            }
        }
    }
}
