import Foundation
import PostgresNIO

/// The zone check of `campaign run` and the inputs of `campaign plan` on PostgreSQL: the statements of
/// `CampaignStore+Zones.swift`.
extension PostgresStore {
    /// How many queued jobs of the campaign name each time zone (the row's, else the campaign's).
    public func queuedZones(campaign: CampaignRecord) async throws(StoreError) -> QueuedZones {
        try await withSQL { sql throws(PostgresStoreError) in
            let rows = try await sql.rows(
                """
                SELECT COALESCE(timezone, \(campaign.defaults.timezone)) AS zone, COUNT(*) FROM jobs
                WHERE campaign_id = \(campaign.id) AND status = 'queued' GROUP BY zone
                """, as: (String?, Int64).self)
            var zones = QueuedZones()
            for (zone, count) in rows {
                if let zone { zones.named[zone] = Int(count) } else { zones.unnamed = Int(count) }
            }
            return zones
        }
    }

    /// Every queued job of the campaign, its suppressed jobs and the recent call starts of every number, of one
    /// moment: the three reads share one `REPEATABLE READ` snapshot, as SQLite's share one read transaction.
    public func planInputs(campaign: CampaignRecord, startsSince since: Date?) async throws(StoreError) -> PlanInputs {
        try await withSQL { sql throws(PostgresStoreError) in
            try await sql.snapshot { () throws(PostgresStoreError) in
                let jobs = try await sql.rows(
                    """
                    SELECT phone_e164, COALESCE(timezone, \(campaign.defaults.timezone)) AS zone, next_attempt_at
                    FROM jobs WHERE campaign_id = \(campaign.id) AND status = 'queued' ORDER BY id
                    """, as: (String, String?, String?).self
                ).map { PlannedJob(phone: $0.0, zone: $0.1, due: $0.2.flatMap(Timestamp.date)) }
                let suppressed =
                    try await sql.values(
                        "SELECT COUNT(*) FROM jobs WHERE campaign_id = \(campaign.id) AND status = 'suppressed'",
                        as: Int64.self
                    ).first ?? 0
                var starts: [String: [Date]] = [:]
                if let since {
                    // One pass over the recent attempts of every campaign, not one query per job.
                    let rows = try await sql.rows(
                        """
                        SELECT j.phone_e164, a.started_at FROM attempts a JOIN jobs j ON j.id = a.job_id
                        WHERE a.started_at > \(Timestamp.string(since))
                            AND a.state IN \(unescaped: CampaignStore.mayHaveRung)
                        """, as: (String, String).self)
                    for (phone, started) in rows {
                        if let at = Timestamp.date(started) { starts[phone, default: []].append(at) }
                    }
                }
                return PlanInputs(jobs: jobs, suppressed: Int(suppressed), starts: starts)
            }
        }
    }
}

extension PostgresSQL {
    /// `body` inside one `REPEATABLE READ READ ONLY` transaction: every statement sees the database of the
    /// transaction's first statement, whatever commits meanwhile. Ended with ROLLBACK: it wrote nothing.
    func snapshot<T>(_ body: () async throws(PostgresStoreError) -> T) async throws(PostgresStoreError) -> T {
        try await execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        do {
            let result = try await body()
            try await execute("ROLLBACK")
            return result
        } catch {
            try? await execute("ROLLBACK")
            throw error
        }
    }
}
