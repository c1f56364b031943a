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

extension CampaignStore {
    /// Every queued job of the campaign, and the call starts of every number since `since` in every campaign,
    /// read in one transaction.
    public func planInputs(campaign: CampaignRecord, startsSince since: Date?) throws(StoreError) -> PlanInputs {
        try read { db in
            let jobs = try Row.fetchAll(
                db,
                sql: """
                    SELECT phone_e164, COALESCE(timezone, ?) AS zone, next_attempt_at FROM jobs
                    WHERE campaign_id = ? AND status = 'queued' ORDER BY id
                    """, arguments: [campaign.defaults.timezone, campaign.id]
            ).map { row in
                PlannedJob(
                    phone: row["phone_e164"], zone: row["zone"],
                    due: (row["next_attempt_at"] as String?).flatMap(Timestamp.date))
            }
            let suppressed =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM jobs WHERE campaign_id = ? AND status = 'suppressed'",
                    arguments: [campaign.id]) ?? 0
            var starts: [String: [Date]] = [:]
            if let since {
                // One pass over the recent attempts of every campaign, not one query per job.
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT j.phone_e164, a.started_at FROM attempts a JOIN jobs j ON j.id = a.job_id
                        WHERE a.started_at > ? AND a.state IN \(Self.mayHaveRung)
                        """, arguments: [Timestamp.string(since)])
                for row in rows {
                    if let at = Timestamp.date(row[1]) { starts[row[0], default: []].append(at) }
                }
            }
            return PlanInputs(jobs: jobs, suppressed: suppressed, starts: starts)
        }
    }
}
