import Foundation
import GRDB
import PostgresNIO
import TestSupport
import Testing

@testable import CampaignKit

/// A campaign of `contacts` guests on either backend, for the store contract tests that run on both: the
/// store as the run sees it (`RunnableStore`), and the few things a test does around it (read the jobs back,
/// write a row by hand) on that backend's own terms. On SQLite the campaign is imported (`TestCampaign`); on
/// PostgreSQL it is written with plain SQL (`PostgresSeed`).
struct BackendCampaign {
    let backend: TestBackend
    let store: any RunnableStore
    let campaign: CampaignRecord
    let phones: [String]
    private let sqlite: CampaignStore?
    private let postgres: (database: PostgresTestDatabase, store: PostgresStore)?

    /// Runs `body` with a fresh campaign on `backend`; a PostgreSQL database is dropped afterwards.
    static func with(
        _ backend: TestBackend, contacts: Int, timezone: String? = nil,
        _ body: (BackendCampaign) async throws -> Void
    ) async throws {
        switch backend {
        case .sqlite:
            let test = try await TestCampaign(contacts: contacts, timezone: timezone)
            try await body(
                BackendCampaign(
                    backend: backend, store: test.store, campaign: test.campaign, phones: test.phones,
                    sqlite: test.store, postgres: nil))
        case .postgres:
            let phones = (0..<contacts).map(TestCampaign.phone)
            try await PostgresTestDatabase.withFresh { database in
                try await PostgresSeed.campaign(in: database, numbers: phones, timezone: timezone)
                try await PostgresCampaignDatabase.with(try database.location, mustExist: true) { opened in
                    let store = PostgresStore(database: opened)
                    let campaign = try await store.resolveCampaign("guests")
                    try await body(
                        BackendCampaign(
                            backend: backend, store: store, campaign: campaign, phones: phones, sqlite: nil,
                            postgres: (database, store)))
                }
            }
        }
    }

    /// Every job of the campaign with its attempts, in import order.
    func jobs() async throws -> [JobSnapshot] {
        if let sqlite { return try sqlite.jobSnapshots(campaign: campaign) }
        return try await postgres!.store.jobSnapshots(campaign: campaign)
    }

    func job(_ phone: String) async throws -> JobSnapshot { try await jobs().first { $0.phone == phone }! }

    /// One statement written in the SQL both dialects share, outside the store (a person's or another
    /// version's change, a test's setup).
    func execute(_ statement: String) async throws {
        if let sqlite {
            try await sqlite.queue.write { db in try db.execute(sql: statement) }
        } else {
            try await postgres!.database.execute(statement)
        }
    }

    /// Every row of jobs and attempts, to prove a refused write changed nothing at all.
    func everything() async throws -> [String] {
        if let sqlite { return try GuardedWriteTests.everything(sqlite) }
        let database = postgres!.database
        return try await database.strings("SELECT j::text FROM jobs j ORDER BY id").map { $0 ?? "" }
            + database.strings("SELECT a::text FROM attempts a ORDER BY id").map { $0 ?? "" }
    }

    /// The first column of each row of `query`, written in the SQL both dialects share, as text.
    func strings(_ query: String) async throws -> [String?] {
        if let sqlite { return try sqlite.read { db in try String?.fetchAll(db, sql: query) } }
        return try await postgres!.database.strings(query)
    }

    /// The intent to call the job `jobID` (what a claim writes for each job it starts).
    func intent(_ jobID: Int64, api: String? = nil, now: Date) async throws -> AttemptIntent {
        if let sqlite { return try await sqlite.recordAttemptIntent(jobID: jobID, api: api, now: now) }
        return try await postgres!.store.recordAttemptIntent(jobID: jobID, api: api, now: now)
    }

    /// The job of `phone` with its call placed: its intent committed, then `interactionID` recorded (what a
    /// place task does). Returns the intent.
    func placed(
        _ phone: String, interactionID: String, api: String? = nil, now: Date,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> AttemptIntent {
        let intent = try await intent(try await job(phone).id, api: api, now: now)
        let write = try await store.recordPlaced(intent, interactionID: interactionID, rawJSON: nil, now: now)
        #expect(write == .applied, sourceLocation: sourceLocation)
        return intent
    }

    func nextQueuedTime() async throws -> Date? {
        if let sqlite { return try await sqlite.nextQueuedTime(campaign: campaign) }
        return try await postgres!.store.nextQueuedTime(campaign: campaign)
    }

    func addSuppressed(_ phone: String, now: Date) async throws {
        try await execute(
            "INSERT INTO suppressed (phone_e164, source, added_at) VALUES ('\(phone)', 'test', '\(Timestamp.string(now))')"
        )
    }

    /// Keeps a queued job waiting until `until`, as a window or a retry would.
    func postpone(_ jobID: Int64, until: Date) async throws {
        try await execute("UPDATE jobs SET next_attempt_at = '\(Timestamp.string(until))' WHERE id = \(jobID)")
    }
}

extension DispatchStore {
    /// A claim with no per-number limits, recording `recordingFirst` (nothing, unless given) before it takes jobs.
    func claim(
        _ campaign: CampaignRecord, now: Date, limit: Int, admission: (any ClaimAdmission)? = nil,
        pressure: ContactPressure? = nil, recordingFirst: [AttemptResult] = []
    ) async throws -> Claim {
        try await claimDueJobs(
            campaign: campaign, api: nil, now: now, limit: limit, admission: admission, pressure: pressure,
            recordingFirst: recordingFirst)
    }
}

extension CallEnd {
    /// The end at `at` of the call placed as `attempt`, answered: the job is done. `placed`: the POST's answer came
    /// only now (`--wait-for-call-end`).
    static func answered(_ attempt: AttemptRef, at: Date, placed: PlacedAnswer? = nil) -> CallEnd {
        CallEnd(
            jobID: attempt.jobID, attemptID: attempt.attemptID, attemptNumber: attempt.attemptNumber,
            result: EndedCall(outcome: "answered", summary: nil, recordingURL: nil, rawJSON: nil),
            disposition: .completed, at: at, placed: placed)
    }

    /// The end at `at` of the call `intent` placed, with `outcome`: the job is due again at `retryAt`.
    static func retried(
        _ intent: AttemptIntent, outcome: String, summary: String? = nil, at: Date, retryAt: Date
    ) -> CallEnd {
        CallEnd(
            jobID: intent.jobID, attemptID: intent.attemptID, attemptNumber: intent.attemptNumber,
            result: EndedCall(outcome: outcome, summary: summary, recordingURL: nil, rawJSON: nil),
            disposition: .retry(at: retryAt), at: at)
    }
}

extension PostgresStore {
    /// Every job of the campaign with its attempts, in import order (the tests' `JobSnapshot`).
    func jobSnapshots(campaign: CampaignRecord) async throws -> [JobSnapshot] {
        typealias Row = (Int64, String, String, Int64, String?, String?, String?, String?, String?, String?)
        let rows: [Row] = try await withSQL { sql throws(PostgresStoreError) -> [Row] in
            try await sql.rows(
                """
                SELECT j.id, j.phone_e164, j.status, j.attempts, j.next_attempt_at, j.interaction_id, j.outcome,
                    j.review_reason, j.last_attempt_at,
                    (SELECT string_agg(a.state, ',' ORDER BY a.attempt_number) FROM attempts a WHERE a.job_id = j.id)
                FROM jobs j WHERE j.campaign_id = \(campaign.id) ORDER BY j.id
                """,
                as: Row.self)
        }
        var snapshots: [JobSnapshot] = []
        for row in rows {
            let states: [String] = row.9.map { text in text.split(separator: ",").map(String.init) } ?? []
            snapshots.append(
                JobSnapshot(
                    id: row.0, phone: row.1, status: row.2, attempts: Int(row.3), nextAttemptAt: row.4,
                    interactionID: row.5, outcome: row.6, reviewReason: row.7, lastAttemptAt: row.8,
                    attemptStates: states))
        }
        return snapshots
    }
}
