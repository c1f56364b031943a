import Dispatch
import Foundation
import GRDB
import Testing

@testable import CampaignKit

@Suite("Group commit")
struct GroupCommitterTests {
    struct Refused: Error {}

    func insert(_ db: Database, _ number: Int) throws {
        try db.execute(
            sql: "INSERT INTO suppressed (phone_e164, source, added_at) VALUES (?, 'test', 'now')",
            arguments: ["+1415555\(String(format: "%04d", number))"])
    }

    @Test(
        "writes that wait together share one commit; one that throws is rolled back alone",
        .timeLimit(.minutes(1)))
    func sharedCommit() async throws {
        let test = try TestCampaign(contacts: 1)
        let committer = test.store.committer
        let before = committer.commits
        // The first write holds the worker until the others are all waiting, so they form one batch.
        let release = DispatchSemaphore(value: 0)
        let (running, runningContinuation) = AsyncStream<Void>.makeStream()
        let first = Task {
            try await committer.write { db in
                runningContinuation.yield()
                release.wait()
                try insert(db, 0)
            }
        }
        var iterator = running.makeAsyncIterator()
        _ = await iterator.next()
        let writes = (1...20).map { number in
            Task {
                try await committer.write { db -> Int in
                    try insert(db, number)
                    if number == 7 { throw Refused() }
                    return number
                }
            }
        }
        while committer.waiting < writes.count { await Task.yield() }
        release.signal()
        try await first.value
        var answered: [Int] = []
        for (index, write) in writes.enumerated() {
            do {
                answered.append(try await write.value)
            } catch {
                #expect(index + 1 == 7)
                #expect(error is Refused)
            }
        }
        #expect(answered == Array(1...20).filter { $0 != 7 })
        #expect(committer.commits - before == 2)
        let stored = try test.store.read { db in
            try String.fetchAll(db, sql: "SELECT phone_e164 FROM suppressed ORDER BY phone_e164")
        }
        #expect(
            stored
                == [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20].map {
                    "+1415555\(String(format: "%04d", $0))"
                })
    }

    @Test("a write is durable when it returns: a second connection sees it")
    func durableOnReturn() async throws {
        let test = try TestCampaign(contacts: 1)
        try await test.store.commit { db in try insert(db, 42) }
        let other = try CampaignStore(path: test.store.path)
        let seen = try other.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM suppressed") }
        #expect(seen == 1)
    }
}
