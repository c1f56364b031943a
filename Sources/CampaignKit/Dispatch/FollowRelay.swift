import Synchronization

/// The calls being followed, each in a task of its own rather than a child of the pool's task group, and
/// their reports, handed to the loop one at a time through `next()` (the loop keeps one child waiting on it).
///
/// The Swift runtime keeps a task group's children in a linked list, walked to add a child and to remove one
/// that finished. With a follow task per call in the loop's group, a run following 5,000 calls spent 12 % of
/// its CPU in that walk (`swift::TaskGroup::removeChildTask`, perf, scripts/bench-scale.sh); the group now holds
/// only the claims, the POSTs being placed, the timers and the one waiting child.
///
/// A follow task is cancelled by `cancelAll()` (the loop's `cancelAll` action, or the run's own task
/// cancelled); it then reports `.abandoned`, as it did as a child.
final class FollowRelay: Sendable {
    private struct State {
        var tasks: [Int: Task<Void, Never>] = [:]
        var nextID = 0
        /// Reports not yet taken by `next()`, oldest first.
        var reports: [PoolState.Event] = []
        var waiter: CheckedContinuation<PoolState.Event, Never>?
        var cancelled = false
        var closed = false
    }

    private let state = Mutex(State())

    /// Runs `follow` in a task of its own; what it returns is reported through `next()`.
    func start(_ follow: @escaping @Sendable () async -> PoolState.Event) {
        state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            // Registered under the lock: the task's report waits for it, so it never outlives its entry.
            let task = Task { self.report(id: id, await follow()) }
            if state.cancelled { task.cancel() }
            state.tasks[id] = task
        }
    }

    private func report(id: Int, _ event: PoolState.Event) {
        let waiter = state.withLock { state -> CheckedContinuation<PoolState.Event, Never>? in
            state.tasks[id] = nil
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.reports.append(event)
            return nil
        }
        waiter?.resume(returning: event)
    }

    /// The next report, in the order they came. Not cancellable: the loop's group may be cancelled while
    /// follows still have to report `.abandoned`. After `close()`, `.timer(.distantPast)`, which asks nothing.
    func next() async -> PoolState.Event {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> PoolState.Event? in
                if !state.reports.isEmpty { return state.reports.removeFirst() }
                if state.closed { return .timer(.distantPast) }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Cancels every follow task, and those started from now on.
    func cancelAll() {
        let tasks = state.withLock { state -> [Task<Void, Never>] in
            state.cancelled = true
            return Array(state.tasks.values)
        }
        for task in tasks { task.cancel() }
    }

    /// The loop is done: a waiting `next()` returns, and any follow still running is cancelled.
    func close() {
        let waiter = state.withLock { state -> CheckedContinuation<PoolState.Event, Never>? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: .timer(.distantPast))
        cancelAll()
    }
}
