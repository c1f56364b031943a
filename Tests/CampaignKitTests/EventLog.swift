import Synchronization

@testable import CampaignKit

/// Collects events from any task.
final class EventLog: Sendable {
    private let events = Mutex<[DispatchEvent]>([])
    func append(_ event: DispatchEvent) { events.withLock { $0.append(event) } }
    var all: [DispatchEvent] { events.withLock { $0 } }
}
