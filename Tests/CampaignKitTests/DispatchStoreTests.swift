import Foundation
import GRDB
import Testing

@testable import CampaignKit
import TestSupport

/// The dispatch store's contract (`DispatchStore`, `ResolveStore`), the same tests on SQLite and PostgreSQL.
@Suite("Dispatch store")
struct DispatchStoreTests {
    let now = Date(utc: "2026-06-01T12:00:00.000Z")

    @Test(
        "a claim honours next_attempt_at, takes the oldest due jobs and commits their intents",
        arguments: TestBackend.all)
    func claimDue(backend: TestBackend) async throws {
        try await BackendCampaign.with(backend, contacts: 3) { test in
            let store = test.store
            let first = try await test.job(test.phones[0])
            try await test.postpone(first.id, until: now + 60)
            let claim = try await store.claim(test.campaign, now: now, limit: 5)
            #expect(claim.started.map(\.job.phone) == [test.phones[1], test.phones[2]])
            #expect(claim.started.map(\.intent.attemptNumber) == [1, 1])
            #expect(claim.nextDue == now + 60)
            #expect(try await test.jobs().map(\.status) == ["queued", "dialing", "dialing"])
            #expect(try await store.claim(test.campaign, now: now, limit: 5).started.isEmpty)
            #expect(try await test.nextQueuedTime() == now + 60)
            let later = try await store.claim(test.campaign, now: now + 60, limit: 5)
            #expect(later.started.map(\.job.phone) == [test.phones[0]])
            #expect(later.nextDue == nil)
        }
    }

    /// SQLite sorts NULL first; PostgreSQL sorts it last unless told `NULLS FIRST`. A NULL is "due now".
    @Test("a job due now (no due time) is claimed before one whose due time has passed", arguments: TestBackend.all)
    func dueNowFirst(backend: TestBackend) async throws {
        try await BackendCampaign.with(backend, contacts: 3) { test in
            let ids = try await test.jobs().map(\.id)
            try await test.postpone(ids[0], until: now - 60)
            try await test.postpone(ids[2], until: now + 60)
            #expect(try await test.nextQueuedTime() == .distantPast)
            let claim = try await test.store.claim(test.campaign, now: now, limit: 1)
            #expect(claim.started.map(\.job.id) == [ids[1]])
            #expect(claim.nextDue == now - 60)
        }
    }

    @Test("a claim takes no more than its limit; the rest stay queued and due", arguments: TestBackend.all)
    func claimLimit(backend: TestBackend) async throws {
        try await BackendCampaign.with(backend, contacts: 4) { test in
            let claim = try await test.store.claim(test.campaign, now: now, limit: 3)
            #expect(claim.started.map(\.job.phone) == Array(test.phones.prefix(3)))
            #expect(claim.nextDue == .distantPast)
            #expect(try await test.job(test.phones[3]).status == "queued")
        }
    }

    @Test(
        "a job outside its window is postponed in the claim and the next candidate is taken instead",
        arguments: TestBackend.all)
    func claimPostpones(backend: TestBackend) async throws {
        try await BackendCampaign.with(backend, contacts: 3) { test in
            let late = test.phones[0]
            let claim = try await test.store.claim(
                test.campaign, now: now, limit: 2, admission: OneLate(phone: late, until: now + 3600))
            #expect(claim.postponed.map(\.job.phone) == [late])
            #expect(claim.postponed.map(\.until) == [now + 3600])
            #expect(claim.started.map(\.job.phone) == [test.phones[1], test.phones[2]])
            let postponed = try await test.job(late)
            #expect(postponed.status == "queued")
            #expect(postponed.attempts == 0)
            #expect(postponed.nextAttemptAt == Timestamp.string(now + 3600))
            #expect(claim.nextDue == now + 3600)
        }
    }

    /// The number's own earlier call counts: with a 1 h gap, the retry due now waits until an hour after it.
    @Test("a claim keeps a number called too recently queued until the gap has passed", arguments: TestBackend.all)
    func claimRespectsPressure(backend: TestBackend) async throws {
        try await BackendCampaign.with(backend, contacts: 2) { test in
            let store = test.store
            try await store.indexNumbersAcrossCampaigns()
            let intent = try await test.placed(test.phones[0], interactionID: "call-1", now: now)
            let end = CallEnd.retried(intent, outcome: "no_answer", at: now + 30, retryAt: now + 60)
            let claim = try await store.claim(
                test.campaign, now: now + 120, limit: 2, pressure: ContactPressure(minGap: .seconds(3600)),
                recordingFirst: [.ended(end)])
            #expect(claim.recorded == [.applied])
            #expect(claim.started.map(\.job.phone) == [test.phones[1]])
            #expect(claim.postponed.map(\.job.phone) == [test.phones[0]])
            #expect(claim.postponed.map(\.until) == [now + 3600])
            #expect(claim.postponed.map(\.reason) == [.contactPressure])
            let waiting = try await test.job(test.phones[0])
            #expect(waiting.status == "queued")
            #expect(waiting.nextAttemptAt == Timestamp.string(now + 3600))
        }
    }

    /// The end is written before the due jobs are read: a retry due at once is taken again by the same claim.
    @Test(
        "a claim records its results first: a call that ended with a retry due now is claimed again at once",
        arguments: TestBackend.all)
    func resultsRecordedFirst(backend: TestBackend) async throws {
        try await BackendCampaign.with(backend, contacts: 1) { test in
            let intent = try await test.placed(test.phones[0], interactionID: "call-1", now: now)
            let end = CallEnd.retried(intent, outcome: "busy", at: now + 1, retryAt: now + 1)
            let claim = try await test.store.claim(test.campaign, now: now + 1, limit: 1, recordingFirst: [.ended(end)])
            #expect(claim.recorded == [.applied])
            #expect(claim.started.map(\.intent.attemptNumber) == [2])
            #expect(try await test.job(test.phones[0]).attemptStates == ["ended", "dialing"])
        }
    }

    @Test(
        "a queued number on the suppression list becomes suppressed and is never handed out",
        arguments: TestBackend.all)
    func suppressed(backend: TestBackend) async throws {
        try await BackendCampaign.with(backend, contacts: 1) { test in
            try await test.addSuppressed(test.phones[0], now: now)
            #expect(try await test.store.claim(test.campaign, now: now, limit: 1).started.isEmpty)
            #expect(try await test.job(test.phones[0]).status == "suppressed")
        }
    }

    @Test(
        "a run's start closes every queued job whose number was suppressed since the import",
        arguments: TestBackend.all)
    func suppressedAtStart(backend: TestBackend) async throws {
        try await BackendCampaign.with(backend, contacts: 3) { test in
            try await test.addSuppressed(test.phones[2], now: now)
            _ = try await test.store.recoverAtStart(campaign: test.campaign, api: nil, now: now)
            #expect(try await test.job(test.phones[2]).status == "suppressed")
            #expect(try await test.job(test.phones[0]).status == "queued")
        }
    }

    @Test(
        "a run's start turns a dialing job unknown with its attempt, and returns a placed call to be followed",
        arguments: TestBackend.all)
    func recovery(backend: TestBackend) async throws {
        try await BackendCampaign.with(backend, contacts: 2) { test in
            let store = test.store
            let dialing = try await test.intent(try await test.job(test.phones[0]).id, now: now)
            let placed = try await test.placed(test.phones[1], interactionID: "call-2", now: now)
            let recovery = try await store.recoverAtStart(campaign: test.campaign, api: nil, now: now + 1)
            #expect(recovery.unknownJobIDs == [dialing.jobID])
            #expect(recovery.inProgress.map(\.interactionID) == ["call-2"])
            #expect(recovery.inProgress.map(\.attemptID) == [placed.attemptID])
            let unknown = try await test.job(test.phones[0])
            #expect(unknown.status == "unknown")
            #expect(unknown.attempts == 1)
            #expect(unknown.attemptStates == ["unknown"])
            #expect(try await test.job(test.phones[1]).status == "in_progress")
            // Never redialled: a claim takes neither.
            #expect(try await store.claim(test.campaign, now: now + 2, limit: 2).started.isEmpty)
        }
    }

    @Test("the intent is committed before the POST: a fresh connection sees the job dialing (SQLite)")
    func intentCommitted() async throws {
        // SQLite only: it opens a second CampaignStore on the file; PostgreSQL's claims commit with
        // synchronous_commit=on and the contract tests read every job back through another connection.
        let test = try await TestCampaign(contacts: 1)
        let job = try test.job(test.phones[0])
        let intent = try await test.store.recordAttemptIntent(jobID: job.id, now: now)
        #expect(intent.attemptNumber == 1)
        let other = try CampaignStore(path: test.store.path)
        let seen = try other.jobSnapshots(campaign: test.campaign)[0]
        #expect(seen.status == "dialing")
        #expect(seen.attempts == 1)
        #expect(seen.attemptStates == ["dialing"])
        await #expect(throws: StoreError.self) { try await test.store.recordAttemptIntent(jobID: job.id, now: now) }
    }

    @Test("not placed gives the attempt back; the next intent gets a new attempt row", arguments: TestBackend.all)
    func notPlaced(backend: TestBackend) async throws {
        try await BackendCampaign.with(backend, contacts: 1) { test in
            let job = try await test.job(test.phones[0])
            let first = try await test.intent(job.id, now: now)
            #expect(
                try await test.store.recordNotPlaced(
                    first, httpStatus: 429, reason: "slow down", retryAt: nil, now: now)
                    == .applied)
            #expect(try await test.job(test.phones[0]).attempts == 0)
            let second = try await test.intent(job.id, now: now + 10)
            #expect(second.attemptNumber == 1)
            #expect(try await test.job(test.phones[0]).attemptStates == ["not_placed", "dialing"])
            await #expect(throws: StoreError.self) { try await test.intent(job.id, now: now + 11) }
        }
    }

    @Test("an undone intent leaves the job exactly as before, updated_at included", arguments: TestBackend.all)
    func undo(backend: TestBackend) async throws {
        try await BackendCampaign.with(backend, contacts: 1) { test in
            let before = try await test.everything()
            let intent = try await test.intent(try await test.job(test.phones[0]).id, now: now + 5)
            #expect(try await test.store.undoAttemptIntent(intent, now: now + 6) == .applied)
            #expect(try await test.everything() == before)
        }
    }

    @Test(
        "resolve requeues or closes unknown jobs, and refuses other ids",
        arguments: TestBackend.all, [ResolveAction.requeue, .done])
    func resolve(backend: TestBackend, action: ResolveAction) async throws {
        try await BackendCampaign.with(backend, contacts: 2) { test in
            let store = test.store
            let job = try await test.job(test.phones[0])
            let intent = try await test.intent(job.id, now: now)
            #expect(try await store.recordUnknown(intent, httpStatus: 502, reason: "bad gateway", now: now) == .applied)
            let other = try await test.job(test.phones[1]).id
            await #expect(throws: StoreError.self) {
                try await store.resolveUnknown(campaign: test.campaign, jobIDs: [other], action: action, now: now)
            }
            #expect(try await store.resolveUnknown(campaign: test.campaign, jobIDs: nil, action: action, now: now) == 1)
            let resolved = try await test.job(test.phones[0])
            #expect(resolved.status == (action == .requeue ? "queued" : "completed"))
            #expect(resolved.reviewReason == nil)
        }
    }

    @Test("resolve --requeue takes a failed job by id, never all failed jobs at once", arguments: TestBackend.all)
    func requeueFailed(backend: TestBackend) async throws {
        try await BackendCampaign.with(backend, contacts: 1) { test in
            let store = test.store
            let job = try await test.job(test.phones[0])
            let intent = try await test.intent(job.id, now: now)
            #expect(try await store.recordRejected(intent, httpStatus: 400, message: "bad", now: now) == .applied)
            #expect(
                try await store.resolveUnknown(campaign: test.campaign, jobIDs: nil, action: .requeue, now: now) == 0)
            await #expect(throws: StoreError.self) {
                try await store.resolveUnknown(campaign: test.campaign, jobIDs: [job.id], action: .done, now: now)
            }
            #expect(
                try await store.resolveUnknown(campaign: test.campaign, jobIDs: [job.id], action: .requeue, now: now)
                    == 1)
            #expect(try await test.job(test.phones[0]).status == "queued")
        }
    }

    @Test(
        "cancel takes only queued jobs; named ids not all queued change nothing and are each listed",
        arguments: TestBackend.all)
    func cancel(backend: TestBackend) async throws {
        try await BackendCampaign.with(backend, contacts: 3) { test in
            let store = test.store
            let ids = try await test.jobs().map(\.id)
            _ = try await test.intent(ids[0], now: now)
            let before = try await test.everything()
            do {
                try await store.cancelQueued(campaign: test.campaign, jobIDs: [ids[1], ids[0], 999_999], now: now)
                Issue.record("cancelled a job that is not queued")
            } catch {
                #expect("\(error)".contains("\(ids[0]) (dialing)"), "\(error)")
                #expect("\(error)".contains("999999 (not in this campaign)"), "\(error)")
            }
            #expect(try await test.everything() == before)
            #expect(try await store.cancelQueued(campaign: test.campaign, jobIDs: [ids[1]], now: now) == 1)
            #expect(try await store.cancelQueued(campaign: test.campaign, jobIDs: nil, now: now) == 1)
            #expect(try await test.jobs().map(\.status) == ["dialing", "cancelled", "cancelled"])
        }
    }
}

/// Keeps one number waiting until `until`; every other job may start.
struct OneLate: ClaimAdmission {
    var phone: String
    var until: Date
    func until(_ job: DueJob) -> Date? { job.phone == phone ? until : nil }
}
