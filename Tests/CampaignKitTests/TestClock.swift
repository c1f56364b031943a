import Foundation
import Synchronization

@testable import CampaignKit

/// Virtual time: a sleep moves the clock to its deadline and returns at once, so hours of retries and
/// windows pass in milliseconds and every instant is exact.
final class TestClock: DispatchClock {
    private let current: Mutex<Date>

    init(_ start: Date) { current = Mutex(start) }

    func now() -> Date { current.withLock { $0 } }

    /// Moves time forward, as between two runs.
    func advance(to date: Date) { current.withLock { $0 = max($0, date) } }

    func sleep(until deadline: Date) async throws {
        try Task.checkCancellation()
        current.withLock { $0 = max($0, deadline) }
        await Task.yield()
        try Task.checkCancellation()
    }
}
