import Foundation
import GRDB
import TestSupport
import Testing

@testable import CampaignKit

/// A report taken during a run must be of one moment: a second connection (standing in for `campaign run`)
/// commits between two of the report's statements, and the report must not see it.
@Suite("Report snapshot")
struct ReportSnapshotTests {
    let now = Date(utc: "2026-06-01T12:00:00.000Z")

    @Test("every figure of a summary is of one moment, even when a run commits between its statements")
    func summaryIsOneMoment() async throws {
        let test = try await TestCampaign(contacts: 3)
        let run = try DatabaseQueue(path: test.store.path)
        let before = try await CampaignSummary(store: test.store, campaign: test.campaign, now: now)

        // SQLite calls the trace as a statement starts, before it runs: the commit lands after the summary's
        // first query and before its second, on the snapshot's own connection.
        let selects = Counter()
        let during = try await test.store.readReport(campaign: test.campaign) { report in
            report.connection.inDatabase { db in
                db.trace(options: .statement) { event in
                    guard case .statement(let statement) = event, statement.sql.hasPrefix("SELECT") else { return }
                    if selects.increment() == 2 { try! Self.endOneCall(run, campaign: test.campaign.id, now: now) }
                }
            }
            return try await CampaignSummary(report, now: now)
        }
        let after = try await CampaignSummary(store: test.store, campaign: test.campaign, now: now)

        #expect(selects.value > 2, "the summary reads with more than two statements")
        #expect(during == before)
        #expect(after.byStatus["completed"] == 1 && after.byStatus["queued"] == 2)
        #expect(after.byOutcome == ["answered": 1] && after.attempts.used == 1)
    }

    @Test(
        "a whole report (summary, results CSV, timeline, JSON jobs) reads one snapshot", arguments: TestBackend.all)
    func reportIsOneMoment(backend: TestBackend) async throws {
        let folder = TemporaryFolder()
        try await backend.withFreshDatabase(in: folder) { db in
            folder.write("contacts.csv", "name,phone\nAna,+14155552671\nBen,+12125550147\nCy,+13105550100\n")
            folder.write("prompt.txt", "Hi [name].")
            try await CampaignDatabases.with(db, mustExist: false) { store in
                _ = try await Self.importContacts(
                    ImportRequest(
                        contactsPath: folder.path("contacts.csv"), promptPath: folder.path("prompt.txt"),
                        campaignName: "snap"), into: store)
            }
            let csv = folder.path("results.csv")
            let json = folder.path("jobs.json")
            try await CampaignDatabases.with(db) { store in
                try await Self.checkOneMoment(
                    store, csv: csv, json: json, now: now,
                    commit: { () async throws in try await Self.endOneCall(backend: backend, db: db, now: now) })
            }
        }
    }

    static func importContacts(_ request: ImportRequest, into store: some ImportStore) async throws -> ImportReport {
        try await ContactImporter(store: store).run(request)
    }

    /// Reads a whole report while `commit` (another connection, standing in for `campaign run`) ends one call
    /// after the summary's statements and before the rest: nothing of it may show.
    static func checkOneMoment(
        _ store: some ReportStore, csv: String, json: String, now: Date, commit: () async throws -> Void
    ) async throws {
        let campaign = try await store.resolveCampaign(nil)
        let (summary, timeline, rows) = try await store.readReport(campaign: campaign) { report in
            let summary = try await CampaignSummary(report, now: now)
            try await commit()
            let rows = try await ResultsExporter().write(report, to: csv)
            let timeline = try await CallTimeline(report, now: now)
            let fd = open(json, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            defer { close(fd) }
            try await JSONReport.write(summary, jobsFrom: report, to: fd)
            return (summary, timeline, rows)
        }
        #expect(summary.byStatus["queued"] == 3 && summary.byOutcome.isEmpty)
        #expect(timeline == nil, "no call had started at the snapshot")
        #expect(rows == 3)
        let statuses = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\r\n").dropFirst()
            .map { CSVReader.parseLine(String($0))[3] }
        #expect(statuses == ["queued", "queued", "queued"])
        let text = try String(contentsOfFile: json, encoding: .utf8)
        #expect(text.components(separatedBy: "\"status\":\"queued\"").count == 4)
        #expect(!text.contains("\"status\":\"completed\""))

        let later = try await CampaignSummary(store: store, campaign: campaign, now: now)
        #expect(later.byStatus["completed"] == 1)
        #expect(later.byOutcome == ["answered": 1] && later.attempts.used == 1)
        #expect(try await CallTimeline(store: store, campaign: campaign, now: now) != nil)
    }

    /// `endOneCall` on the backend's database, from a connection of its own.
    static func endOneCall(backend: TestBackend, db: String, now: Date) async throws {
        switch backend {
        case .sqlite:
            try endOneCall(try DatabaseQueue(path: db), campaign: 1, now: now)
        case .postgres:
            let started = Timestamp.string(now - 90)
            let ended = Timestamp.string(now - 30)
            // One statement, so one transaction, as the run's commit.
            _ = try await PostgresTestDatabase.strings(
                db,
                """
                WITH job AS (SELECT MIN(id) AS id FROM jobs WHERE status = 'queued'),
                attempt AS (
                    INSERT INTO attempts (job_id, attempt_number, state, interaction_id, started_at, ended_at, outcome)
                    SELECT id, 1, 'ended', 'ix-1', '\(started)', '\(ended)', 'answered' FROM job)
                UPDATE jobs SET status = 'completed', outcome = 'answered', attempts = 1, interaction_id = 'ix-1',
                    last_attempt_at = '\(started)', completed_at = '\(ended)'
                WHERE id = (SELECT id FROM job)
                """)
        }
    }

    /// What `campaign run` commits when a call ends answered: the job completed with one attempt used, and
    /// its ended attempt, in one transaction.
    static func endOneCall(_ run: DatabaseQueue, campaign: Int64, now: Date) throws {
        let started = Timestamp.string(now - 90)
        let ended = Timestamp.string(now - 30)
        try run.write { db in
            let job = try Int64.fetchOne(
                db, sql: "SELECT MIN(id) FROM jobs WHERE campaign_id = ? AND status = 'queued'", arguments: [campaign])
            try db.execute(
                sql: """
                    INSERT INTO attempts (job_id, attempt_number, state, interaction_id, started_at, ended_at, outcome)
                    VALUES (?, 1, 'ended', 'ix-1', ?, ?, 'answered')
                    """, arguments: [job, started, ended])
            try db.execute(
                sql: """
                    UPDATE jobs SET status = 'completed', outcome = 'answered', attempts = 1, interaction_id = 'ix-1',
                        last_attempt_at = ?, completed_at = ? WHERE id = ?
                    """, arguments: [started, ended, job])
        }
    }
}

/// A count the trace callback bumps from the store's queue.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    var value: Int { lock.withLock { count } }

    func increment() -> Int {
        lock.withLock {
            count += 1
            return count
        }
    }
}
