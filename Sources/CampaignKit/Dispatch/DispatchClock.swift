import Foundation

/// Time as the dispatcher sees it: wall-clock instants (stored in the database, compared with calling
/// windows) and sleeping until one.
///
/// Injected so tests run retries, windows and back-off in virtual time, exactly and fast.
public protocol DispatchClock: Sendable {
    /// The current instant.
    func now() -> Date
    /// Returns at `deadline` (at once if it has passed); throws `CancellationError` when the task is cancelled.
    func sleep(until deadline: Date) async throws
}

/// The machine's clock.
public struct SystemDispatchClock: DispatchClock {
    public init() {}

    public func now() -> Date { Date() }

    public func sleep(until deadline: Date) async throws {
        let seconds = deadline.timeIntervalSinceNow
        if seconds > 0 {
            try await Task.sleep(for: .milliseconds(Int64((seconds * 1000).rounded(.up))))
        } else {
            try Task.checkCancellation()
        }
    }
}
