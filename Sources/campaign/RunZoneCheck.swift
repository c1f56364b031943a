import CampaignKit
import Foundation

/// What `run` checks about zones before a run with `--window` places anything.
enum RunZoneCheck {
    /// Refuses (exit 2) while a queued job has no zone from its row, the import or the run; prints a line for
    /// each zone this host does not know (those jobs wait, they are not called).
    static func check(store: some RunnableStore, campaign: CampaignRecord, configuration: DispatchConfiguration)
        async throws
    {
        guard configuration.window != nil else { return }
        let zones = try await store.queuedZones(campaign: campaign)
        let unknown = try zones.checkForWindow(runZone: configuration.defaultTimeZone)
        for (zone, jobs) in unknown.sorted(by: { $0.key < $1.key }) {
            print("\(jobs) queued job(s): \(zoneProblem(zone)); they are not called while it is unknown (they wait)")
        }
    }

    static func zoneProblem(_ zone: String?) -> String {
        guard let zone else { return "no time zone (row, import --timezone or run --timezone)" }
        return "time zone '\(zone)' is unknown on this host (its zone database has no such zone)"
    }
}
