import Foundation
import GRDB

extension CampaignStore {
    /// How many queued jobs of the campaign name each time zone (the row's, else the campaign's), for a run's
    /// calling window to check before it places anything. One pass over the campaign's queued jobs.
    public func queuedZones(campaign: CampaignRecord) throws(StoreError) -> QueuedZones {
        try read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT COALESCE(timezone, ?) AS zone, COUNT(*) FROM jobs
                    WHERE campaign_id = ? AND status = 'queued' GROUP BY zone
                    """, arguments: [campaign.defaults.timezone, campaign.id])
            var zones = QueuedZones()
            for row in rows {
                if let zone: String = row[0] { zones.named[zone] = row[1] } else { zones.unnamed = row[1] }
            }
            return zones
        }
    }
}
