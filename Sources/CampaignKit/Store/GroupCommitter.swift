import Dispatch
import GRDB
import Synchronization

/// Commits the writes of many concurrent callers together: one transaction, and so one
/// `synchronous=FULL` fsync, for every write that arrived while the previous commit was running.
///
/// `campaign run` commits each call's intent before its POST and each answer as it arrives: at hundreds
/// of calls in flight that is thousands of small transactions a second, each paying its own fsync and,
/// run on the caller's thread, each blocking one of the few threads Swift concurrency runs on. Here a
/// caller suspends instead. One dedicated thread takes every write that is waiting, runs each in its own
/// savepoint (a write that throws is rolled back alone and gets its own error), commits once, and only
/// then resumes the callers: when `write` returns, the write is durable, exactly as with a transaction
/// of its own. If the commit fails, every write of the batch gets the error and none of them is kept.
final class GroupCommitter: Sendable {
    private let queue: DatabaseQueue
    private let state = Mutex(Pending())
    private let worker = DispatchQueue(label: "campaign.group-commit")

    private struct Pending {
        var writes: [PendingWrite] = []
        /// A drain is scheduled or running on `worker`; new writes join its next batch.
        var draining = false
        /// Transactions committed so far (each the batch of writes that were waiting together).
        var commits = 0
    }

    /// Writes submitted and not yet taken into a transaction.
    var waiting: Int { state.withLock { $0.writes.count } }
    /// Shared transactions committed so far.
    var commits: Int { state.withLock { $0.commits } }
    /// A batch is being committed or about to be: some caller is waiting for its write.
    var isBusy: Bool { state.withLock { $0.draining } }

    /// One caller's write, with the two ways of answering it.
    private struct PendingWrite: Sendable {
        /// Runs the write inside the batch's transaction and returns how to answer the caller once the
        /// transaction has committed.
        let perform: @Sendable (Database) -> @Sendable () -> Void
        /// Answers the caller when the batch's transaction did not commit.
        let fail: @Sendable (any Error) -> Void
    }

    init(queue: DatabaseQueue) { self.queue = queue }

    /// Runs `body` in the next shared transaction and returns its result once that has committed.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            submit(
                PendingWrite(
                    perform: { db in
                        do {
                            var value: T? = nil
                            try db.inSavepoint {
                                value = try body(db)
                                return .commit
                            }
                            return { [value] in continuation.resume(returning: value!) }
                        } catch {
                            return { continuation.resume(throwing: error) }
                        }
                    },
                    fail: { continuation.resume(throwing: $0) }))
        }
    }

    private func submit(_ write: PendingWrite) {
        let startDrain = state.withLock { pending -> Bool in
            pending.writes.append(write)
            guard !pending.draining else { return false }
            pending.draining = true
            return true
        }
        if startDrain { worker.async { self.drain() } }
    }

    private func drain() {
        while true {
            let batch = state.withLock { pending -> [PendingWrite] in
                let batch = pending.writes
                pending.writes = []
                if batch.isEmpty { pending.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            commit(batch)
        }
    }

    private func commit(_ batch: [PendingWrite]) {
        while true {
            var answers: [@Sendable () -> Void] = []
            var performed = 0
            do {
                try queue.inTransaction(.immediate) { db in
                    // SQLite rolls a whole transaction back on some errors (disk full, I/O): then the writes left
                    // must not run, since each would commit on its own; the commit below fails for the batch.
                    while performed < batch.count, db.isInsideTransaction {
                        answers.append(batch[performed].perform(db))
                        performed += 1
                    }
                    return .commit
                }
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && performed == 0 {
                // Another process (a `campaign import` of a large file) has held the write lock past the busy
                // timeout. Nothing of the batch ran: wait on. Failing here would stop the run, and a write
                // after a POST that fails loses the call's interactionId.
                continue
            } catch {
                for write in batch { write.fail(error) }
                return
            }
            guard performed == batch.count else {
                // Not reachable when the commit succeeded, but never leave a caller waiting.
                for write in batch { write.fail(GroupCommitError.transactionLost) }
                return
            }
            state.withLock { $0.commits += 1 }
            for answer in answers { answer() }
            return
        }
    }
}

enum GroupCommitError: Error, CustomStringConvertible {
    case transactionLost

    var description: String { "the database ended a shared transaction early; nothing of it was kept" }
}
