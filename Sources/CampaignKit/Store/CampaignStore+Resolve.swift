import Foundation
import GRDB

/// `campaign resolve`: a person settles the jobs a run could not.
extension CampaignStore {
    /// Settles `unknown` jobs a person has checked: `jobIDs` nil means every unknown job of the campaign.
    /// `requeue` also takes `failed` jobs named by id (a rejection whose cause is fixed, a wrong URL), never
    /// all of them at once: a failed job may have used every attempt on purpose.
    /// Returns the number of jobs changed; ids that do not fit are listed in the error instead of being
    /// ignored silently.
    @discardableResult
    public func resolveUnknown(
        campaign: CampaignRecord, jobIDs: [Int64]?, action: ResolveAction, now: Date
    ) throws(StoreError) -> Int {
        let stamp = Timestamp.string(now)
        return try write { db in
            let unknown = Set(
                try Int64.fetchAll(
                    db, sql: "SELECT id FROM jobs WHERE campaign_id = ? AND status = 'unknown'",
                    arguments: [campaign.id]))
            let failed =
                action == .requeue && jobIDs != nil
                ? Set(
                    try Int64.fetchAll(
                        db, sql: "SELECT id FROM jobs WHERE campaign_id = ? AND status = 'failed'",
                        arguments: [campaign.id])) : []
            let targets: [Int64]
            if let jobIDs {
                let wrong = jobIDs.filter { !unknown.contains($0) && !failed.contains($0) }
                guard wrong.isEmpty else {
                    throw DispatchStoreError.notUnknown(jobIDs: wrong, failedAllowed: action == .requeue)
                }
                targets = jobIDs
            } else {
                targets = unknown.sorted()
            }
            for jobID in targets {
                switch action {
                case .requeue:
                    try db.execute(
                        sql: """
                            UPDATE jobs SET status = 'queued', next_attempt_at = NULL, review_reason = NULL,
                                error = CASE WHEN status = 'failed' THEN NULL ELSE error END,
                                updated_at = ? WHERE id = ? AND status IN ('unknown', 'failed')
                            """, arguments: [stamp, jobID])
                case .done:
                    try db.execute(
                        sql: """
                            UPDATE jobs SET status = 'completed', outcome = COALESCE(outcome, 'resolved'),
                                review_reason = NULL, completed_at = ?, updated_at = ? WHERE id = ?
                            """, arguments: [stamp, stamp, jobID])
                }
            }
            return targets.count
        }
    }
}

/// `campaign cancel`: queued jobs a person no longer wants called.
extension CampaignStore {
    /// Cancels queued jobs: `jobIDs` nil means every queued job of the campaign. A job that is not queued
    /// (being called, ended, already cancelled) is never changed: named ids that are not all queued jobs of the
    /// campaign change nothing, and the error lists each with its status. Safe while a run works the database:
    /// its claims take only queued jobs, in their own transactions. Returns the number cancelled.
    @discardableResult
    public func cancelQueued(campaign: CampaignRecord, jobIDs: [Int64]?, now: Date) throws(StoreError) -> Int {
        let stamp = Timestamp.string(now)
        return try write { db in
            if let jobIDs {
                var wrong: [(Int64, String?)] = []
                for jobID in jobIDs {
                    let status = try String.fetchOne(
                        db, sql: "SELECT status FROM jobs WHERE id = ? AND campaign_id = ?",
                        arguments: [jobID, campaign.id])
                    if JobStatus(rawValue: status ?? "") != .queued { wrong.append((jobID, status)) }
                }
                guard wrong.isEmpty else {
                    throw DispatchStoreError.notQueued(
                        jobs: wrong.map { "\($0.0) (\($0.1 ?? "not in this campaign"))" })
                }
            }
            let filter = jobIDs.map { "AND id IN (\($0.map(String.init).joined(separator: ",")))" } ?? ""
            try db.execute(
                sql: """
                    UPDATE jobs SET status = 'cancelled', next_attempt_at = NULL, completed_at = ?, updated_at = ?
                    WHERE campaign_id = ? AND status = 'queued' \(filter)
                    """, arguments: [stamp, stamp, campaign.id])
            return db.changesCount
        }
    }
}

/// Who holds the run lock, for the message a refused second run prints.
extension CampaignStore {
    /// Who holds the run lock of the database at `path`, read without opening it for work (`nil`: unknown).
    static func runHolder(path: String) -> String? {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(2)
        guard let queue = try? DatabaseQueue(path: path, configuration: configuration) else { return nil }
        return (try? queue.read { db in try String.fetchOne(db, sql: "SELECT holder FROM run_holder WHERE id = 1") })
            ?? nil
    }

    /// Says who holds the run lock, for the refusal a second run prints.
    func recordRunHolder(_ holder: String, now: Date) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO run_holder (id, holder, acquired_at) VALUES (1, ?, ?)",
                arguments: [holder, Timestamp.string(now)])
        }
    }
}
