import Foundation
import GRDB
import Testing

@testable import CampaignKit

@Suite("Dispatch store")
struct DispatchStoreTests {
    let now = Date(utc: "2026-06-01T12:00:00.000Z")

    @Test("a claim honours next_attempt_at, takes the oldest due jobs and commits their intents")
    func claimDue() async throws {
        let test = try await TestCampaign(contacts: 3)
        let store = test.store
        let first = try test.job(test.phones[0])
        try await store.postpone(jobID: first.id, until: now + 60, now: now)
        let claim = try await store.claimDueJobs(campaign: test.campaign, now: now, limit: 5)
        #expect(claim.started.map(\.job.phone) == [test.phones[1], test.phones[2]])
        #expect(claim.started.map(\.intent.attemptNumber) == [1, 1])
        #expect(claim.nextDue == now + 60)
        #expect(try test.jobs().map(\.status) == ["queued", "dialing", "dialing"])
        #expect(try await store.claimDueJobs(campaign: test.campaign, now: now, limit: 5).started.isEmpty)
        #expect(try await store.nextQueuedTime(campaign: test.campaign) == now + 60)
        let later = try await store.claimDueJobs(campaign: test.campaign, now: now + 60, limit: 5)
        #expect(later.started.map(\.job.phone) == [test.phones[0]])
        #expect(later.nextDue == nil)
    }

    @Test("a claim takes no more than its limit; the rest stay queued and due")
    func claimLimit() async throws {
        let test = try await TestCampaign(contacts: 4)
        let claim = try await test.store.claimDueJobs(campaign: test.campaign, now: now, limit: 3)
        #expect(claim.started.map(\.job.phone) == Array(test.phones.prefix(3)))
        #expect(claim.nextDue == .distantPast)
        #expect(try test.job(test.phones[3]).status == "queued")
    }

    @Test("a job outside its window is postponed in the claim and the next candidate is taken instead")
    func claimPostpones() async throws {
        let test = try await TestCampaign(contacts: 3)
        let late = test.phones[0]
        let claim = try await test.store.claimDueJobs(
            campaign: test.campaign, now: now, limit: 2,
            admission: OneLate(phone: late, until: now + 3600))
        #expect(claim.postponed.map(\.job.phone) == [late])
        #expect(claim.postponed.map(\.until) == [now + 3600])
        #expect(claim.started.map(\.job.phone) == [test.phones[1], test.phones[2]])
        let postponed = try test.job(late)
        #expect(postponed.status == "queued")
        #expect(postponed.attempts == 0)
        #expect(postponed.nextAttemptAt == Timestamp.string(now + 3600))
        #expect(claim.nextDue == now + 3600)
    }

    @Test("a queued number on the suppression list becomes suppressed and is never handed out")
    func suppressed() async throws {
        let test = try await TestCampaign(contacts: 1)
        try test.store.addSuppressedForTest(test.phones[0], now: now)
        #expect(try await test.store.claimDueJobs(campaign: test.campaign, now: now, limit: 1).started.isEmpty)
        #expect(try test.job(test.phones[0]).status == "suppressed")
    }

    @Test("a run's start closes every queued job whose number was suppressed since the import")
    func suppressedAtStart() async throws {
        let test = try await TestCampaign(contacts: 3)
        try test.store.addSuppressedForTest(test.phones[2], now: now)
        _ = try test.store.recoverAtStart(campaign: test.campaign, now: now)
        #expect(try test.job(test.phones[2]).status == "suppressed")
        #expect(try test.job(test.phones[0]).status == "queued")
    }

    @Test("the intent is committed before the POST: a fresh connection sees the job dialing")
    func intentCommitted() async throws {
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

    @Test("not placed gives the attempt back; the next intent gets a new attempt row")
    func notPlaced() async throws {
        let test = try await TestCampaign(contacts: 1)
        let job = try test.job(test.phones[0])
        let first = try await test.store.recordAttemptIntent(jobID: job.id, now: now)
        #expect(
            try await test.store.recordNotPlaced(first, httpStatus: 429, reason: "slow down", retryAt: nil, now: now)
                == .applied)
        #expect(try test.job(test.phones[0]).attempts == 0)
        let second = try await test.store.recordAttemptIntent(jobID: job.id, now: now + 10)
        #expect(second.attemptNumber == 1)
        #expect(try test.job(test.phones[0]).attemptStates == ["not_placed", "dialing"])
    }

    @Test("an undone intent leaves the job exactly as before")
    func undo() async throws {
        let test = try await TestCampaign(contacts: 1)
        let before = try test.job(test.phones[0])
        let intent = try await test.store.recordAttemptIntent(jobID: before.id, now: now)
        #expect(try await test.store.undoAttemptIntent(intent, now: now) == .applied)
        #expect(try test.job(test.phones[0]) == before)
    }

    @Test("an intent undone later (401/402) does not even touch the job's updated_at")
    func undoKeepsUpdatedAt() async throws {
        let test = try await TestCampaign(contacts: 1)
        let job = try test.job(test.phones[0])
        let rows = { () throws -> [String] in
            try test.store.read { db in try Row.fetchAll(db, sql: "SELECT * FROM jobs").map { "\($0)" } }
        }
        let before = try rows()
        let intent = try await test.store.recordAttemptIntent(jobID: job.id, now: now + 5)
        #expect(try await test.store.undoAttemptIntent(intent, now: now + 6) == .applied)
        #expect(try rows() == before)
    }

    @Test("resolve requeues or closes unknown jobs, and refuses other ids", arguments: [ResolveAction.requeue, .done])
    func resolve(action: ResolveAction) async throws {
        let test = try await TestCampaign(contacts: 2)
        let job = try test.job(test.phones[0])
        let intent = try await test.store.recordAttemptIntent(jobID: job.id, now: now)
        #expect(
            try await test.store.recordUnknown(intent, httpStatus: 502, reason: "bad gateway", now: now) == .applied)
        let other = try test.job(test.phones[1]).id
        #expect(throws: StoreError.self) {
            try test.store.resolveUnknown(campaign: test.campaign, jobIDs: [other], action: action, now: now)
        }
        #expect(try test.store.resolveUnknown(campaign: test.campaign, jobIDs: nil, action: action, now: now) == 1)
        let resolved = try test.job(test.phones[0])
        #expect(resolved.status == (action == .requeue ? "queued" : "completed"))
        #expect(resolved.reviewReason == nil)
    }
}

/// Keeps one number waiting until `until`; every other job may start.
struct OneLate: ClaimAdmission {
    var phone: String
    var until: Date
    func until(_ job: DueJob) -> Date? { job.phone == phone ? until : nil }
}
