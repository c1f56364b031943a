import Dispatch
import Foundation
import GRDB
import Synchronization
import Testing

@testable import CampaignKit

@Suite("Group commit")
struct GroupCommitterTests {
    struct Refused: Error {}

    /// Submits `writes` while a first write (inserting number 0) holds the committer's thread, so that they
    /// all wait together and form one batch; returns their tasks once that first write has committed.
    func asOneBatch<T: Sendable>(
        _ committer: GroupCommitter, _ writes: [@Sendable (Database) throws -> T]
    ) async throws -> [Task<T, any Error>] {
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
        let tasks = writes.map { write in Task { try await committer.write(write) } }
        while committer.waiting < tasks.count { await Task.yield() }
        release.signal()
        try await first.value
        return tasks
    }

    func insert(_ db: Database, _ number: Int) throws {
        try db.execute(
            sql: "INSERT INTO suppressed (phone_e164, source, added_at) VALUES (?, 'test', 'now')",
            arguments: ["+1415555\(String(format: "%04d", number))"])
    }

    @Test(
        "writes that wait together share one commit; one that throws is rolled back alone",
        .timeLimit(.minutes(1)))
    func sharedCommit() async throws {
        let test = try await TestCampaign(contacts: 1)
        let committer = test.store.committer
        let before = committer.commits
        let writes = try await asOneBatch(
            committer,
            (1...20).map { number in
                { @Sendable db -> Int in
                    try insert(db, number)
                    if number == 7 { throw Refused() }
                    return number
                }
            })
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
        let test = try await TestCampaign(contacts: 1)
        try await test.store.commit { db in try insert(db, 42) }
        // A read-only connection takes no lock, so it sees only what is committed, without waiting.
        var configuration = Configuration()
        configuration.readonly = true
        let other = try DatabaseQueue(path: test.store.path, configuration: configuration)
        let seen = try await other.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM suppressed") }
        #expect(seen == 1)
    }

    @Test(
        "when the shared commit fails, every write of the batch gets the error and none is kept",
        .timeLimit(.minutes(1)))
    func failedCommit() async throws {
        let test = try await TestCampaign(contacts: 1)
        let committer = test.store.committer
        // A deferred foreign key is checked at COMMIT: one bad write makes the whole commit fail.
        try test.store.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE parent (id INTEGER PRIMARY KEY);
                    CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
                    """)
        }
        let writes = try await asOneBatch(
            committer,
            (1...5).map { number in
                { @Sendable db in
                    if number == 3 {
                        try db.execute(sql: "INSERT INTO child (parent_id) VALUES (99)")
                    } else {
                        try insert(db, number)
                    }
                }
            })
        for write in writes {
            await #expect(throws: (any Error).self) { try await write.value }
        }
        let stored = try test.store.read { db in try String.fetchAll(db, sql: "SELECT phone_e164 FROM suppressed") }
        #expect(stored == ["+14155550000"])
        #expect(try test.store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM child") } == 0)
    }

    /// Another process (a large `campaign import`) holds the write lock past the busy timeout: the run's write
    /// waits for it instead of failing, since a write that fails after a POST would lose the call's id.
    @Test("a write waits for another process's long write lock instead of failing", .timeLimit(.minutes(1)))
    func waitsForAnotherWriter() async throws {
        let test = try await TestCampaign(contacts: 1)
        let busyAnswers = Mutex(0)
        var configuration = Configuration()
        // SQLite asks this on each busy wait; answering false makes every wait end at once in SQLITE_BUSY, as a
        // busy timeout that has run out does, and counts how often the write was refused.
        configuration.busyMode = .callback { _ in
            busyAnswers.withLock { $0 += 1 }
            return false
        }
        let committer = GroupCommitter(queue: try DatabaseQueue(path: test.store.path, configuration: configuration))
        let holder = try DatabaseQueue(path: test.store.path)
        let release = DispatchSemaphore(value: 0)
        let held = DispatchSemaphore(value: 0)
        let holding = Thread {
            try? holder.inTransaction(.immediate) { db in
                try insert(db, 1)
                held.signal()
                release.wait()
                return .commit
            }
        }
        holding.start()
        held.wait()
        let write = Task { try await committer.write { db in try self.insert(db, 2) } }
        // Until the write has been refused three times, or has given up (the bug: it fails at the first).
        var retried = true
        while busyAnswers.withLock({ $0 }) < 3 {
            if committer.isBusy == false && busyAnswers.withLock({ $0 }) > 0 {
                retried = false
                break
            }
            await Task.yield()
        }
        release.signal()
        #expect(retried, "the write gave up at the first busy answer")
        try await write.value
        let count = try await holder.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM suppressed") }
        #expect(count == 2)
    }
}
