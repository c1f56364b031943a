import Foundation

/// Runs `work` on a thread of its own and waits for it without holding a Swift-concurrency thread.
///
/// The tests share Swift's cooperative pool, which has one thread per core (two on the CI machine). A test that
/// computes for seconds there (40,000 libphonenumber parses in a debug build) holds a thread the whole time, and
/// two such tests at once stopped every other test's timers and servers for up to a minute: deadline and
/// poll-timing tests then failed in full runs and passed alone. Record expectations on the result, after the
/// await: `#expect` needs the test's task.
public func onOwnThread<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Swift.Result { try work() }) }
    }
}
