import Foundation
import PostgresNIO

/// `campaign resolve` and `campaign cancel` on PostgreSQL: `CampaignStore+Resolve.swift`'s rules, each change
/// guarded on the job's status, the rows locked while the ids are checked so the check and the change see the
/// same jobs.
extension PostgresStore: ResolveStore {
    @discardableResult
    public func resolveUnknown(campaign: CampaignRecord, jobIDs: [Int64]?, action: ResolveAction, now: Date)
        async throws(StoreError) -> Int
    {
        let stamp = Timestamp.string(now)
        let outcome = try await withSQL { sql throws(PostgresStoreError) -> Result<Int, DispatchStoreError> in
            try await sql.transaction { () async throws(PostgresStoreError) -> Result<Int, DispatchStoreError> in
                // `--requeue` also takes failed jobs, but only by id: a failed job may have used every attempt
                // on purpose.
                let failedAllowed = action == .requeue && jobIDs != nil
                let rows = try await sql.rows(
                    """
                    SELECT id, status FROM jobs WHERE campaign_id = \(campaign.id)
                      AND (status = 'unknown' OR (\(failedAllowed) AND status = 'failed'))
                    ORDER BY id FOR UPDATE
                    """, as: (Int64, String).self)
                let fitting = Set(rows.map(\.0))
                let targets: [Int64]
                if let jobIDs {
                    let wrong = jobIDs.filter { !fitting.contains($0) }
                    guard wrong.isEmpty else {
                        return .failure(.notUnknown(jobIDs: wrong, failedAllowed: action == .requeue))
                    }
                    targets = jobIDs
                } else {
                    targets = rows.map(\.0)
                }
                guard !targets.isEmpty else { return .success(0) }
                switch action {
                case .requeue:
                    try await sql.execute(
                        """
                        UPDATE jobs SET status = 'queued', next_attempt_at = NULL, review_reason = NULL,
                            error = CASE WHEN status = 'failed' THEN NULL ELSE error END, updated_at = \(stamp)
                        WHERE id = ANY(\(targets)) AND status IN ('unknown', 'failed')
                        """)
                case .done:
                    try await sql.execute(
                        """
                        UPDATE jobs SET status = 'completed', outcome = COALESCE(outcome, 'resolved'),
                            review_reason = NULL, completed_at = \(stamp), updated_at = \(stamp)
                        WHERE id = ANY(\(targets)) AND status = 'unknown'
                        """)
                }
                return .success(targets.count)
            }
        }
        switch outcome {
        case .success(let count): return count
        case .failure(let error): throw .database(error)
        }
    }

    @discardableResult
    public func cancelQueued(campaign: CampaignRecord, jobIDs: [Int64]?, now: Date) async throws(StoreError) -> Int {
        let stamp = Timestamp.string(now)
        let outcome = try await withSQL { sql throws(PostgresStoreError) -> Result<Int, DispatchStoreError> in
            try await sql.transaction { () async throws(PostgresStoreError) -> Result<Int, DispatchStoreError> in
                if let jobIDs {
                    // Locked, so a claim cannot take one between the check and the change (its SKIP LOCKED
                    // passes over them).
                    let rows = try await sql.rows(
                        """
                        SELECT id, status FROM jobs WHERE id = ANY(\(jobIDs)) AND campaign_id = \(campaign.id)
                        FOR UPDATE
                        """, as: (Int64, String).self)
                    let statuses = Dictionary(rows, uniquingKeysWith: { first, _ in first })
                    let wrong = jobIDs.filter { JobStatus(rawValue: statuses[$0] ?? "") != .queued }
                    guard wrong.isEmpty else {
                        return .failure(
                            .notQueued(jobs: wrong.map { "\($0) (\(statuses[$0] ?? "not in this campaign"))" }))
                    }
                }
                let cancelled = try await sql.changes(
                    """
                    UPDATE jobs SET status = 'cancelled', next_attempt_at = NULL, completed_at = \(stamp),
                        updated_at = \(stamp)
                    WHERE campaign_id = \(campaign.id) AND status = 'queued'
                      AND (\(jobIDs)::bigint[] IS NULL OR id = ANY(\(jobIDs)))
                    """)
                return .success(cancelled)
            }
        }
        switch outcome {
        case .success(let count): return count
        case .failure(let error): throw .database(error)
        }
    }
}
