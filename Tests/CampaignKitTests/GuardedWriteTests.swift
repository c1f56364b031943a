import Foundation
import GRDB
import TestSupport
import Testing

@testable import CampaignKit

/// Every write after a POST is a compare-and-set on the job's state and current attempt: a writer that lost the
/// job (a person resolved it, another process took it, an id came back twice) changes nothing.
@Suite("Guarded writes")
struct GuardedWriteTests {
    let now = Date(utc: "2026-06-01T12:00:00.000Z")

    /// Every row of the database, to prove a refused write changed nothing at all.
    static func everything(_ store: CampaignStore) throws -> [String] {
        try store.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM jobs").map { "\($0)" }
                + Row.fetchAll(db, sql: "SELECT * FROM attempts").map { "\($0)" }
        }
    }

    enum Write: String, CaseIterable, Sendable {
        case placed, rejected, unknown, notPlaced, undo
    }

    /// An intent, lost by its writer: another run's recovery made the job `unknown`, a person requeued it and a
    /// new intent took it. The first writer then answers with every kind of write it can make.
    @Test(
        "a write about an intent whose job changed under it is refused and changes nothing",
        arguments: TestBackend.all, Write.allCases)
    func staleIntentWrites(backend: TestBackend, write: Write) async throws {
        try await BackendCampaign.with(backend, contacts: 1) { test in
            let store = test.store
            let job = try await test.job(test.phones[0])
            let lost = try await test.intent(job.id, now: now)
            _ = try await store.recoverAtStart(campaign: test.campaign, api: nil, now: now + 1)
            #expect(
                try await store.resolveUnknown(
                    campaign: test.campaign, jobIDs: [job.id], action: .requeue, now: now + 2) == 1)
            let current = try await test.intent(job.id, now: now + 3)
            #expect(current.attemptNumber == lost.attemptNumber + 1)
            let before = try await test.everything()
            let result: GuardedWrite
            switch write {
            case .placed:
                result = try await store.recordPlaced(lost, interactionID: "late", rawJSON: nil, now: now + 4)
            case .rejected:
                result = try await store.recordRejected(lost, httpStatus: 400, message: "bad", now: now + 4)
            case .unknown:
                result = try await store.recordUnknown(lost, httpStatus: 502, reason: "gateway", now: now + 4)
            case .notPlaced:
                result = try await store.recordNotPlaced(
                    lost, httpStatus: 429, reason: "slow", retryAt: nil, now: now + 4)
            case .undo:
                result = try await store.undoAttemptIntent(lost, now: now + 4)
            }
            #expect(result == .stale)
            #expect(try await test.everything() == before)
            // The current writer's own write still applies.
            #expect(
                try await store.recordPlaced(current, interactionID: "real", rawJSON: nil, now: now + 5) == .applied)
            #expect(try await test.job(test.phones[0]).status == "in_progress")
        }
    }

    @Test(
        "an end or a review for a call whose job was resolved meanwhile is refused and changes nothing",
        arguments: TestBackend.all)
    func staleEndAndReview(backend: TestBackend) async throws {
        try await BackendCampaign.with(backend, contacts: 1) { test in
            let store = test.store
            let job = try await test.job(test.phones[0])
            let intent = try await test.placed(job.phone, interactionID: "call-1", now: now)
            // A person closed the job while its call was followed (here straight in SQL: resolve refuses
            // in_progress jobs, but another process or an older version might not).
            try await test.execute("UPDATE jobs SET status = 'completed' WHERE id = \(job.id)")
            let before = try await test.everything()
            let call = FollowedCall(
                jobID: job.id, attemptID: intent.attemptID, attemptNumber: intent.attemptNumber, phone: job.phone,
                interactionID: "call-1", startedAt: now)
            #expect(try await store.markNeedsReview(call, httpStatus: 404, reason: "gone", now: now + 1) == .stale)
            let end = CallEnd.retried(intent, outcome: "answered", summary: "hi", at: now + 1, retryAt: now + 60)
            let claim = try await store.claim(test.campaign, now: now + 1, limit: 0, recordingFirst: [.ended(end)])
            #expect(claim.recorded == [.stale])
            #expect(try await test.everything() == before)
        }
    }

    @Test(
        "restart recovery follows only each job's latest attempt, even when the API reused an interaction id",
        arguments: TestBackend.all)
    func recoveryFollowsLatestAttemptOnly(backend: TestBackend) async throws {
        try await BackendCampaign.with(backend, contacts: 1) { test in
            let store = test.store
            let first = try await test.placed(test.phones[0], interactionID: "reused", now: now)
            let end = CallEnd.retried(first, outcome: "no_answer", at: now, retryAt: now + 1)
            _ = try await store.claim(test.campaign, now: now, limit: 0, recordingFirst: [.ended(end)])
            let second = try await test.placed(test.phones[0], interactionID: "reused", now: now + 2)
            let recovery = try await store.recoverAtStart(campaign: test.campaign, api: nil, now: now + 3)
            #expect(recovery.inProgress.map(\.attemptID) == [second.attemptID])
            #expect(recovery.inProgress.map(\.attemptNumber) == [2])
        }
    }

    @Test("a call is followed only on the API that placed it", arguments: TestBackend.all)
    func recoveryKeepsToItsAPI(backend: TestBackend) async throws {
        try await BackendCampaign.with(backend, contacts: 2) { test in
            for (index, api) in ["https://api.pokulabs.com", "http://127.0.0.1:9"].enumerated() {
                _ = try await test.placed(test.phones[index], interactionID: "call-\(index)", api: api, now: now)
            }
            let recovery = try await test.store.recoverAtStart(
                campaign: test.campaign, api: "http://127.0.0.1:9", now: now + 1)
            #expect(recovery.inProgress.map(\.interactionID) == ["call-1"])
            #expect(recovery.placedElsewhere == ["https://api.pokulabs.com": 1])
            #expect(try await test.job(test.phones[0]).status == "in_progress")
        }
    }

    @Test(
        "an in-progress job whose latest attempt has no interaction id becomes unknown at recovery, never left",
        arguments: TestBackend.all)
    func inProgressWithoutACallToFollow(backend: TestBackend) async throws {
        try await BackendCampaign.with(backend, contacts: 1) { test in
            let job = try await test.job(test.phones[0])
            _ = try await test.intent(job.id, now: now)
            // What no guarded write leaves, but a database edited by hand or an older version might.
            try await test.execute("UPDATE jobs SET status = 'in_progress' WHERE id = \(job.id)")
            let recovery = try await test.store.recoverAtStart(campaign: test.campaign, api: nil, now: now + 1)
            #expect(recovery.inProgress.isEmpty)
            #expect(recovery.unknownJobIDs == [job.id])
            let after = try await test.job(test.phones[0])
            #expect(after.status == "unknown")
            #expect(after.attempts == 1)
        }
    }
}

@Suite("RunLock")
struct RunLockTests {
    /// A database with its run lock refused through every other name of the same file.
    @Test("the lock belongs to the database file: a symlink, a hard link or a roundabout path reach the same lock")
    func everyName() async throws {
        let test = try await TestCampaign(contacts: 1)
        let folder = test.directory
        let path = test.store.path
        let symlink = folder.appendingPathComponent("link.db").path
        let hardLink = folder.appendingPathComponent("hard.db").path
        try FileManager.default.createSymbolicLink(atPath: symlink, withDestinationPath: path)
        try FileManager.default.linkItem(atPath: path, toPath: hardLink)
        var lock: RunLock? = try RunLock.acquire(store: test.store)
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("sub"), withIntermediateDirectories: false)
        let roundabout = folder.appendingPathComponent("sub").path + "/../campaign.db"
        for name in [path, symlink, hardLink, roundabout] {
            do {
                _ = try RunLock.acquire(databasePath: name)
                Issue.record("a second lock was taken through \(name)")
            } catch {
                #expect("\(error)".contains("pid \(getpid())"), "\(error)")
            }
        }
        _ = lock
        lock = nil
        #expect(throws: Never.self) { _ = try RunLock.acquire(databasePath: hardLink) }
    }

    @Test("taking the lock creates, follows and truncates no file beside the database")
    func touchesNothingElse() async throws {
        let test = try await TestCampaign(contacts: 1)
        let victim = test.directory.appendingPathComponent("precious.txt")
        try "keep me".write(to: victim, atomically: true, encoding: .utf8)
        // The old lock file's name, planted as a link to another file: the old code truncated it.
        try FileManager.default.createSymbolicLink(atPath: test.store.path + ".lock", withDestinationPath: victim.path)
        let lock = try RunLock.acquire(store: test.store)
        #expect(try String(contentsOf: victim, encoding: .utf8) == "keep me")
        // Nothing beside the database is locked either: the lock is on the database file itself.
        let other = open(victim.path, O_RDONLY)
        defer { close(other) }
        #expect(flock(other, LOCK_EX | LOCK_NB) == 0, "the file the old lock name points to is not locked")
        withExtendedLifetime(lock) {}
    }
}
