import Foundation
import PostgresNIO

/// The zones a run with `--window` checks before it places anything (`RunnableStore`), on PostgreSQL.
extension PostgresStore: RunnableStore {
    public func queuedZones(campaign: CampaignRecord) async throws(StoreError) -> QueuedZones {
        let rows = try await withSQL { sql throws(PostgresStoreError) in
            try await sql.rows(
                """
                SELECT COALESCE(timezone, \(campaign.defaults.timezone)) AS zone, COUNT(*) FROM jobs
                WHERE campaign_id = \(campaign.id) AND status = 'queued' GROUP BY zone
                """, as: (String?, Int64).self)
        }
        var zones = QueuedZones()
        for (zone, count) in rows {
            if let zone { zones.named[zone] = Int(count) } else { zones.unnamed = Int(count) }
        }
        return zones
    }
}
