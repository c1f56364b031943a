import Foundation
import TestSupport
import Testing

@testable import CampaignKit

/// A claim records the calls that ended since the last one first. On PostgreSQL consecutive ends go in one
/// statement (`PostgresStore.recordEnds`); each must still be the compare-and-set it is alone, with its own answer,
/// and leave the database as SQLite's one-at-a-time writes leave it.
@Suite("Calls' ends recorded together")
struct BatchedEndsTests {
    let now = Date(utc: "2026-06-01T12:00:00.000Z")

    /// Every column the ends write, of every job and attempt (ids left out: the two backends number rows their own
    /// way), and the do-not-call list.
    static let written = """
        SELECT j.phone_e164 || '|' || j.status || '|' || CAST(j.attempts AS TEXT) || '|'
            || COALESCE(j.next_attempt_at, '-') || '|' || COALESCE(j.interaction_id, '-') || '|'
            || COALESCE(j.outcome, '-') || '|' || COALESCE(j.summary, '-') || '|' || COALESCE(j.recording_url, '-')
            || '|' || COALESCE(j.completed_at, '-') || '|' || COALESCE(j.error, '-') || '|' || j.updated_at || '|'
            || COALESCE(a.state, '-') || '|' || COALESCE(a.ended_at, '-') || '|' || COALESCE(a.interaction_id, '-')
            || '|' || COALESCE(CAST(a.http_status AS TEXT), '-') || '|' || COALESCE(a.raw_response, '-') || '|'
            || COALESCE(a.outcome, '-') || '|' || COALESCE(a.summary, '-') || '|' || COALESCE(a.recording_url, '-')
        FROM jobs j LEFT JOIN attempts a ON a.job_id = j.id ORDER BY j.phone_e164, a.attempt_number
        """

    @Test(
        "ends recorded together each keep their own guard and answer, and write what one at a time writes (SQLite)"
    )
    func sameAsOneAtATime() async throws {
        var dumps: [TestBackend: [String?]] = [:]
        for backend in TestBackend.all {
            try await BackendCampaign.with(backend, contacts: 8) { test in
                let recorded = try await Self.scenario(test, now: now)
                #expect(
                    recorded == [.applied, .applied, .stale, .applied, .applied, .stale, .applied, .stale, .stale],
                    "\(backend)")
                #expect(
                    try await test.strings("SELECT phone_e164 FROM suppressed") == [test.phones[3]], "\(backend)")
                dumps[backend] = try await test.strings(Self.written)
            }
        }
        #expect(dumps[.sqlite]?.count == 8)
        if let postgres = dumps[.postgres] {
            for (sqlite, postgres) in zip(dumps[.sqlite]!, postgres) { #expect(postgres == sqlite) }
        }
    }

    /// A job row changed by the batch while its attempt's row was not (here a test trigger keeps one attempt from
    /// changing; in life a broken invariant or a race the statement cannot see) must not stay half-written: the
    /// batch is rolled back and each end written alone, that one `stale` and unchanged, the others applied.
    @Test(
        "a batch in which a job's row changed but its attempt's did not is written again one end at a time",
        .enabled(if: TestPostgres.isAvailable))
    func halfWrittenIsRolledBack() async throws {
        try await BackendCampaign.with(.postgres, contacts: 3) { test in
            var intents: [AttemptIntent] = []
            for (index, phone) in test.phones.enumerated() {
                intents.append(try await test.placed(phone, interactionID: "call-\(index)", now: now))
            }
            try await test.execute(
                """
                CREATE FUNCTION keep_attempt() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN IF OLD.id = \(intents[1].attemptID) THEN RETURN NULL; END IF; RETURN NEW; END $$
                """)
            try await test.execute(
                "CREATE TRIGGER keep_attempt BEFORE UPDATE ON attempts FOR EACH ROW EXECUTE FUNCTION keep_attempt()")
            let ends = intents.map { intent in
                AttemptResult.ended(.retried(intent, outcome: "answered", at: now + 30, retryAt: now + 600))
            }
            let claim = try await test.store.claim(test.campaign, now: now + 30, limit: 0, recordingFirst: ends)
            #expect(claim.recorded == [.applied, .stale, .applied])
            let jobs = try await test.jobs()
            #expect(jobs.map(\.status) == ["queued", "in_progress", "queued"])
            #expect(jobs.map(\.attemptStates) == [["ended"], ["placed"], ["ended"]])
        }
    }

    /// Eight jobs, and one claim recording nine results about them, ends around a rejection:
    /// 0 ended; 1 placed and ended at once (`--wait-for-call-end`); 2 closed under its call (stale); 3 an opt-out;
    /// 5 rejected; 4 placed and ended at once, but the job became `unknown` meanwhile (stale: no interaction id
    /// kept); 6 failed, then its end again (stale); 7 an end about an older attempt count (stale).
    static func scenario(_ test: BackendCampaign, now: Date) async throws -> [GuardedWrite] {
        let phones = test.phones
        var intents: [AttemptIntent] = []
        for (index, phone) in phones.enumerated() {
            if [1, 4, 5].contains(index) {
                intents.append(try await test.intent(try await test.job(phone).id, now: now))
            } else {
                intents.append(try await test.placed(phone, interactionID: "call-\(index)", now: now))
            }
        }
        try await test.execute("UPDATE jobs SET status = 'completed' WHERE phone_e164 = '\(phones[2])'")
        try await test.execute("UPDATE jobs SET status = 'unknown' WHERE phone_e164 = '\(phones[4])'")
        let at = now + 30
        func end(
            _ index: Int, outcome: String = "answered", disposition: EndDisposition = .completed,
            placed: PlacedAnswer? = nil, attemptNumber: Int? = nil
        ) -> AttemptResult {
            let intent = intents[index]
            return .ended(
                CallEnd(
                    jobID: intent.jobID, attemptID: intent.attemptID,
                    attemptNumber: attemptNumber ?? intent.attemptNumber,
                    result: EndedCall(
                        outcome: outcome, summary: "summary \(index) 'quoted' \u{1F4DE}",
                        recordingURL: index == 0 ? "https://rec/0" : nil,
                        rawJSON: index == 1 ? nil : "{\"end\":\(index)}"),
                    disposition: disposition, at: at + Double(index), placed: placed))
        }
        let results: [AttemptResult] = [
            end(0),
            end(1, disposition: .retry(at: now + 600), placed: PlacedAnswer(interactionID: "late-1", rawJSON: "{}")),
            end(2),
            end(3, outcome: OutcomeRules.optOut),
            AttemptResult(.rejected(intents[5], httpStatus: 422, message: "bad number"), at: at),
            end(4, placed: PlacedAnswer(interactionID: "late-4", rawJSON: nil)),
            end(6, disposition: .failed(reason: "no answer, 3 attempts")),
            end(6),
            end(7, attemptNumber: intents[7].attemptNumber + 1),
        ]
        return try await test.store.claim(test.campaign, now: at, limit: 0, recordingFirst: results).recorded
    }
}
