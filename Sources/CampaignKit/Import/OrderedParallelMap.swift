import Foundation

/// Transforms a stream of inputs on several threads and hands the outputs back in input order.
///
/// Import is CPU-bound synchronous work (libphonenumber takes microseconds a number), so it runs on
/// plain threads rather than in Swift concurrency. At most `window` inputs are in flight, which
/// keeps memory flat however long the stream is: `submit` blocks while the consumer is behind.
final class OrderedParallelMap<Input: Sendable, Output: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [(Int, Input)] = []
    private var pendingHead = 0
    private var results: [Int: Output] = [:]
    private var submitted = 0
    private var consumed = 0
    private var inputFinished = false
    private var inputError: (any Error)?
    private var cancelled = false
    private let window: Int
    private let transform: @Sendable (Input) -> Output

    init(workers: Int, window: Int, transform: @escaping @Sendable (Input) -> Output) {
        self.window = window
        self.transform = transform
        for index in 0..<max(1, workers) {
            let thread = Thread { [self] in work() }
            thread.name = "import-worker-\(index)"
            thread.start()
        }
    }

    /// Queues one input; blocks while `window` inputs are already waiting to be consumed.
    func submit(_ input: Input) {
        condition.lock()
        defer { condition.unlock() }
        while submitted - consumed >= window && !cancelled { condition.wait() }
        if cancelled { return }
        pending.append((submitted, input))
        submitted += 1
        condition.broadcast()
    }

    /// Marks the end of the input, with the error that ended it, if any.
    func finish(error: (any Error)? = nil) {
        condition.lock()
        inputFinished = true
        inputError = error
        condition.broadcast()
        condition.unlock()
    }

    /// The next output in input order; nil after the last. Rethrows the producer's error in its place.
    func next() throws -> Output? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let output = results.removeValue(forKey: consumed) {
                consumed += 1
                condition.broadcast()
                return output
            }
            if inputFinished && consumed == submitted {
                if let inputError { throw inputError }
                return nil
            }
            condition.wait()
        }
    }

    /// Stops the workers and unblocks the producer; call when the consumer gives up early.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while pendingHead == pending.count && !inputFinished && !cancelled { condition.wait() }
            if cancelled || pendingHead == pending.count {
                condition.unlock()
                return
            }
            let (sequence, input) = pending[pendingHead]
            pendingHead += 1
            if pendingHead > 64 && pendingHead * 2 > pending.count {
                pending.removeFirst(pendingHead)
                pendingHead = 0
            }
            condition.unlock()
            let output = transform(input)
            condition.lock()
            results[sequence] = output
            condition.broadcast()
            condition.unlock()
        }
    }
}
