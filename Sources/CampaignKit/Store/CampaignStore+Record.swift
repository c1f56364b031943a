import Foundation
import GRDB

/// Every write about an attempt after its intent: the POST's answer, and each result (ended, rejected,
/// unknown, not placed, undone, needs review), each a compare-and-set. See docs/ARCHITECTURE.md.
extension CampaignStore {
    /// The POST answered with an interactionId: the call is under way and is followed from now on.
    public func recordPlaced(_ intent: AttemptIntent, interactionID: String, rawJSON: String?, now: Date)
        async throws(StoreError) -> GuardedWrite
    {
        let stamp = Timestamp.string(now)
        return try await commit { db in
            try Self.recordPlaced(db, intent.attempt, interactionID: interactionID, rawJSON: rawJSON, stamp: stamp)
        }
    }

    static func recordPlaced(
        _ db: Database, _ attempt: AttemptRef, interactionID: String, rawJSON: String?, stamp: String
    ) throws -> GuardedWrite {
        try compareAndSet(
            db, attempt, from: (.dialing, .dialing),
            job: "status = 'in_progress', interaction_id = ?, updated_at = ?", [interactionID, stamp],
            attempt: "UPDATE attempts SET state = 'placed', interaction_id = ?, http_status = 200, raw_response = ?",
            [interactionID, rawJSON])
    }

    /// Records results of attempts in one commit; for each, whether it was written or found its job changed.
    public func record(_ results: [AttemptResult]) async throws(StoreError) -> [GuardedWrite] {
        try await commit { db in try results.map { result in try Self.record(result, in: db) } }
    }

    /// The one place an attempt's result is written, as a compare-and-set (see `compareAndSet`).
    static func record(_ result: AttemptResult, in db: Database) throws -> GuardedWrite {
        let stamp = Timestamp.string(result.at)
        switch result.kind {
        case .ended(let end):
            return try record(end, in: db, stamp: stamp)
        case .rejected(let intent, let httpStatus, let message):
            // No call was placed; the job fails with the API's message.
            let error = "rejected by the API (\(httpStatus)): \(message)"
            return try compareAndSet(
                db, intent.attempt, from: (.dialing, .dialing),
                job: "status = 'failed', error = ?, completed_at = ?, updated_at = ?", [error, stamp, stamp],
                attempt: "UPDATE attempts SET state = 'rejected', ended_at = ?, http_status = ?, error = ?",
                [stamp, httpStatus, error])
        case .unknown(let intent, let httpStatus, let reason):
            // A call may be ringing: the job waits for a person (`campaign resolve`).
            let error = "the API's answer was lost (\(httpStatus.map { "HTTP \($0)" } ?? "no response")): \(reason)"
            return try compareAndSet(
                db, intent.attempt, from: (.dialing, .dialing),
                job: "status = 'unknown', error = ?, review_reason = ?, updated_at = ?",
                [error, "a call may have been placed; check, then campaign resolve --requeue or --done", stamp],
                attempt: "UPDATE attempts SET state = 'unknown', ended_at = ?, http_status = ?, error = ?",
                [stamp, httpStatus, error])
        case .notPlaced(let intent, let httpStatus, let reason, let retryAt):
            // The attempt is given back; the attempt row stays, as `not_placed`, for the record.
            return try compareAndSet(
                db, intent.attempt, from: (.dialing, .dialing),
                job: "status = 'queued', attempts = MAX(attempts - 1, 0), next_attempt_at = ?, updated_at = ?",
                [retryAt.map(Timestamp.string), stamp],
                attempt: "UPDATE attempts SET state = 'not_placed', ended_at = ?, http_status = ?, error = ?",
                [stamp, httpStatus, reason])
        case .undone(let intent):
            // No trace: the job as it was before the intent, the attempt row gone.
            return try compareAndSet(
                db, intent.attempt, from: (.dialing, .dialing),
                job: """
                    status = 'queued', attempts = MAX(attempts - 1, 0), last_attempt_at = ?, next_attempt_at = ?,
                        updated_at = COALESCE(?, updated_at)
                    """,
                [intent.previousLastAttemptAt, intent.previousNextAttemptAt, intent.previousUpdatedAt],
                attempt: "DELETE FROM attempts", [])
        case .needsReview(let call, let httpStatus, let reason):
            // Kept as `unknown` with its interactionId: never redialled automatically.
            return try compareAndSet(
                db, call.attempt, from: (.inProgress, .placed),
                job: "status = 'unknown', review_reason = ?, error = ?, updated_at = ?", [reason, reason, stamp],
                attempt: "UPDATE attempts SET state = 'unknown', ended_at = ?, http_status = ?, error = ?",
                [stamp, httpStatus, reason])
        }
    }

    /// A call ended: the attempt's result and the job's next state, in one transaction.
    static func record(_ end: CallEnd, in db: Database, stamp: String) throws -> GuardedWrite {
        let result = end.result
        let attempt = AttemptRef(jobID: end.jobID, attemptID: end.attemptID, attemptNumber: end.attemptNumber)
        var outcome = GuardedWrite.applied
        try db.inSavepoint {
            if let placed = end.placed {
                outcome = try Self.recordPlaced(
                    db, attempt, interactionID: placed.interactionID, rawJSON: placed.rawJSON, stamp: stamp)
                guard outcome == .applied else { return .rollback }
            }
            let (status, nextAttempt, completedAt, error) = end.disposition.jobColumns(stamp: stamp)
            outcome = try compareAndSet(
                db, attempt, from: (.inProgress, .placed),
                job: """
                    status = ?, outcome = ?, summary = ?, recording_url = ?, next_attempt_at = ?, completed_at = ?,
                    error = ?, updated_at = ?
                    """,
                [
                    status.rawValue, result.outcome, result.summary, result.recordingURL, nextAttempt, completedAt,
                    error,
                    stamp,
                ],
                attempt: """
                    UPDATE attempts SET state = 'ended', ended_at = ?, outcome = ?, summary = ?, recording_url = ?,
                        raw_response = COALESCE(?, raw_response)
                    """, [stamp, result.outcome, result.summary, result.recordingURL, result.rawJSON])
            guard outcome == .applied else { return .rollback }
            if result.outcome == OutcomeRules.optOut { try Self.honourOptOut(db, end: end, stamp: stamp) }
            return .commit
        }
        return outcome
    }

    /// The compare-and-set every write about a placed (or about to be placed) call goes through.
    ///
    /// The job must still be in `from.job` on attempt count `attempt.attemptNumber`, its latest attempt row
    /// must be `attempt.attemptID`, and that row must still be in `from.attempt`: then the job gets `jobSet`
    /// and the attempt row `attemptStatement` (an UPDATE's or DELETE's head; the guard is appended), both or
    /// neither. Anything else means the job changed under this writer (a person resolved it, another process
    /// took it, an API reused an id): the write is refused, nothing changes, and the caller logs it.
    static func compareAndSet(
        _ db: Database, _ attempt: AttemptRef, from: (job: JobStatus, attempt: AttemptState),
        job jobSet: String, _ jobArguments: StatementArguments,
        attempt attemptStatement: String, _ attemptArguments: StatementArguments
    ) throws -> GuardedWrite {
        var outcome = GuardedWrite.stale
        try db.inSavepoint {
            try db.executeCached(
                sql: """
                    UPDATE jobs SET \(jobSet)
                    WHERE id = ? AND status = ? AND attempts = ?
                        AND (SELECT MAX(id) FROM attempts WHERE job_id = jobs.id) = ?
                    """,
                arguments: jobArguments + [attempt.jobID, from.job.rawValue, attempt.attemptNumber, attempt.attemptID])
            guard db.changesCount == 1 else { return .rollback }
            try db.executeCached(
                sql: attemptStatement + " WHERE id = ? AND job_id = ? AND state = ?",
                arguments: attemptArguments + [attempt.attemptID, attempt.jobID, from.attempt.rawValue])
            guard db.changesCount == 1 else { return .rollback }
            outcome = .applied
            return .commit
        }
        return outcome
    }

    /// The person asked not to be called again: their number goes on the do-not-call list, and every queued job
    /// for it, in every campaign, becomes `suppressed`, in the commit that records the call's end.
    static func honourOptOut(_ db: Database, end: CallEnd, stamp: String) throws {
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO suppressed (phone_e164, source, added_at)
                SELECT j.phone_e164, 'opt-out heard on call ' || COALESCE(a.interaction_id, '?') || ' of campaign '
                    || c.name, ?
                FROM jobs j JOIN campaigns c ON c.id = j.campaign_id JOIN attempts a ON a.id = ?
                WHERE j.id = ?
                """, arguments: [stamp, end.attemptID, end.jobID])
        try db.execute(
            sql: """
                UPDATE jobs SET status = 'suppressed', updated_at = ?
                WHERE status = 'queued' AND phone_e164 = (SELECT phone_e164 FROM jobs WHERE id = ?)
                """, arguments: [stamp, end.jobID])
    }
}
