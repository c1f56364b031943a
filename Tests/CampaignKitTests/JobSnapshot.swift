import Foundation
import GRDB

@testable import CampaignKit

/// One job's dispatch state as the tests read it.
struct JobSnapshot: Sendable, Equatable {
    var id: Int64
    var phone: String
    var status: String
    var attempts: Int
    var nextAttemptAt: String?
    var interactionID: String?
    var outcome: String?
    var reviewReason: String?
    /// When the last attempt's intent was recorded (just before its POST).
    var lastAttemptAt: String?
    /// The attempt rows' states, oldest first.
    var attemptStates: [String]
}

extension CampaignStore {
    /// Every job of the campaign with its attempts, in import order.
    func jobSnapshots(campaign: CampaignRecord) throws(StoreError) -> [JobSnapshot] {
        try read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT j.id, j.phone_e164, j.status, j.attempts, j.next_attempt_at, j.interaction_id, j.outcome,
                        j.review_reason, j.last_attempt_at,
                        (SELECT group_concat(state, ',') FROM (SELECT state FROM attempts a WHERE a.job_id = j.id
                            ORDER BY a.attempt_number))
                    FROM jobs j WHERE j.campaign_id = ? ORDER BY j.id
                    """, arguments: [campaign.id])
            return rows.map { row in
                let states: String? = row[9]
                return JobSnapshot(
                    id: row[0], phone: row[1], status: row[2], attempts: row[3], nextAttemptAt: row[4],
                    interactionID: row[5], outcome: row[6], reviewReason: row[7], lastAttemptAt: row[8],
                    attemptStates: states.map { $0.split(separator: ",").map(String.init) } ?? [])
            }
        }
    }
}
