import Foundation

/// The zones of a campaign's queued jobs as a run would call them: the row's zone, else the campaign's.
public struct QueuedZones: Sendable, Equatable {
    /// Queued jobs whose row and campaign name no zone.
    var unnamed: Int
    /// Queued jobs by the zone they name.
    var named: [String: Int]

    init(unnamed: Int = 0, named: [String: Int] = [:]) {
        self.unnamed = unnamed
        self.named = named
    }

    /// Checks, before a run with a calling window places anything, that every queued job has a zone.
    /// Returns the zones this host does not know, with their job counts (those jobs wait; the run says so).
    public func checkForWindow(runZone: TimeZone?) throws(WindowZoneError) -> [String: Int] {
        if runZone == nil && unnamed > 0 { throw WindowZoneError(jobsWithoutZone: unnamed) }
        return named.filter { WindowAdmission.zone(named: $0.key, runZone: runZone) == nil }
    }
}
