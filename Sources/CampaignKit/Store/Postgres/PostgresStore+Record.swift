import Foundation
import PostgresNIO

/// Every write about an attempt after its intent on PostgreSQL: the POST's answer and each result, each the
/// same compare-and-set as `CampaignStore+Record.swift`, statement for statement.
extension PostgresStore {
    public func recordPlaced(_ intent: AttemptIntent, interactionID: String, rawJSON: String?, now: Date)
        async throws(StoreError) -> GuardedWrite
    {
        let stamp = Timestamp.string(now)
        return try await withSQL { sql throws(PostgresStoreError) in
            try await sql.transaction { () async throws(PostgresStoreError) -> GuardedWrite in
                let write = try await Self.recordPlaced(
                    sql, intent.attempt, interactionID: interactionID, rawJSON: rawJSON, stamp: stamp, owner: owner)
                if write == .stale, owner != nil {
                    try await Self.recordLateAnswer(sql, intent.attempt, interactionID: interactionID, stamp: stamp)
                }
                return write
            }
        }
    }

    public func record(_ results: [AttemptResult]) async throws(StoreError) -> [GuardedWrite] {
        try await withSQL { sql throws(PostgresStoreError) in
            try await sql.transaction { () async throws(PostgresStoreError) -> [GuardedWrite] in
                try await Self.record(results, sql, owner: owner)
            }
        }
    }

    static func recordPlaced(
        _ sql: PostgresSQL, _ attempt: AttemptRef, interactionID: String, rawJSON: String?, stamp: String,
        owner: RunnerOwner?, insideSavepoint: Bool = false
    ) async throws(PostgresStoreError) -> GuardedWrite {
        try await compareAndSet(
            sql, insideSavepoint: insideSavepoint,
            job: """
                UPDATE jobs SET status = 'in_progress', interaction_id = \(interactionID), updated_at = \(stamp)
                WHERE \(job: attempt, in: .dialing, owner: owner)
                """,
            attempt: """
                UPDATE attempts SET state = 'placed', interaction_id = \(interactionID), http_status = 200,
                    raw_response = \(rawJSON)
                WHERE \(attempt: attempt, in: .dialing)
                """)
    }

    /// The one place an attempt's result is written on PostgreSQL, inside the caller's transaction.
    static func record(
        _ result: AttemptResult, _ sql: PostgresSQL, owner: RunnerOwner?
    ) async throws(PostgresStoreError) -> GuardedWrite {
        let stamp = Timestamp.string(result.at)
        switch result.kind {
        case .ended(let end):
            return try await record(end, sql, stamp: stamp, owner: owner)
        case .rejected(let intent, let httpStatus, let message):
            let error = "rejected by the API (\(httpStatus)): \(message)"
            return try await compareAndSet(
                sql,
                job: """
                    UPDATE jobs SET status = 'failed', error = \(error), completed_at = \(stamp), updated_at = \(stamp)
                    WHERE \(job: intent.attempt, in: .dialing, owner: owner)
                    """,
                attempt: """
                    UPDATE attempts SET state = 'rejected', ended_at = \(stamp), http_status = \(httpStatus),
                        error = \(error)
                    WHERE \(attempt: intent.attempt, in: .dialing)
                    """)
        case .unknown(let intent, let httpStatus, let reason):
            let error = "the API's answer was lost (\(httpStatus.map { "HTTP \($0)" } ?? "no response")): \(reason)"
            let review = "a call may have been placed; check, then campaign resolve --requeue or --done"
            return try await compareAndSet(
                sql,
                job: """
                    UPDATE jobs SET status = 'unknown', error = \(error), review_reason = \(review),
                        updated_at = \(stamp), slot_until_ms = \(unescaped: PostgresRunner.nowMS) + \(owner?.holdMS)
                    WHERE \(job: intent.attempt, in: .dialing, owner: owner)
                    """,
                attempt: """
                    UPDATE attempts SET state = 'unknown', ended_at = \(stamp), http_status = \(httpStatus),
                        error = \(error)
                    WHERE \(attempt: intent.attempt, in: .dialing)
                    """)
        case .notPlaced(let intent, let httpStatus, let reason, let retryAt):
            // SQLite's scalar MAX(attempts - 1, 0) is GREATEST here.
            return try await compareAndSet(
                sql,
                job: """
                    UPDATE jobs SET status = 'queued', attempts = GREATEST(attempts - 1, 0),
                        next_attempt_at = \(retryAt.map(Timestamp.string)), updated_at = \(stamp)
                    WHERE \(job: intent.attempt, in: .dialing, owner: owner)
                    """,
                attempt: """
                    UPDATE attempts SET state = 'not_placed', ended_at = \(stamp), http_status = \(httpStatus),
                        error = \(reason)
                    WHERE \(attempt: intent.attempt, in: .dialing)
                    """)
        case .undone(let intent):
            return try await compareAndSet(
                sql,
                job: """
                    UPDATE jobs SET status = 'queued', attempts = GREATEST(attempts - 1, 0),
                        last_attempt_at = \(intent.previousLastAttemptAt),
                        next_attempt_at = \(intent.previousNextAttemptAt),
                        updated_at = COALESCE(\(intent.previousUpdatedAt), updated_at),
                        runner_id = \(intent.previousRunnerID)
                    WHERE \(job: intent.attempt, in: .dialing, owner: owner)
                    """,
                attempt: "DELETE FROM attempts WHERE \(attempt: intent.attempt, in: .dialing)")
        case .needsReview(let call, let httpStatus, let reason):
            return try await compareAndSet(
                sql,
                job: """
                    UPDATE jobs SET status = 'unknown', review_reason = \(reason), error = \(reason),
                        updated_at = \(stamp)
                    WHERE \(job: call.attempt, in: .inProgress, owner: owner)
                    """,
                attempt: """
                    UPDATE attempts SET state = 'unknown', ended_at = \(stamp), http_status = \(httpStatus),
                        error = \(reason)
                    WHERE \(attempt: call.attempt, in: .placed)
                    """)
        }
    }

    /// A call ended: the POST's answer first when it came only now (`waitForCallEnd`), then the end, both or
    /// neither (one savepoint around them, as SQLite's `inSavepoint`).
    static func record(
        _ end: CallEnd, _ sql: PostgresSQL, stamp: String, owner: RunnerOwner?
    ) async throws(PostgresStoreError) -> GuardedWrite {
        let attempt = AttemptRef(jobID: end.jobID, attemptID: end.attemptID, attemptNumber: end.attemptNumber)
        return try await savepoint(sql, name: "call_end") { () async throws(PostgresStoreError) -> GuardedWrite in
            if let placed = end.placed {
                let outcome = try await recordPlaced(
                    sql, attempt, interactionID: placed.interactionID, rawJSON: placed.rawJSON, stamp: stamp,
                    owner: owner, insideSavepoint: true)
                guard outcome == .applied else { return outcome }
            }
            let (status, nextAttempt, completedAt, error) = end.disposition.jobColumns(stamp: stamp)
            let result = end.result
            let outcome = try await compareAndSet(
                sql, insideSavepoint: true,
                job: """
                    UPDATE jobs SET status = \(status.rawValue), outcome = \(result.outcome),
                        summary = \(result.summary), recording_url = \(result.recordingURL),
                        next_attempt_at = \(nextAttempt), completed_at = \(completedAt), error = \(error),
                        updated_at = \(stamp)
                    WHERE \(job: attempt, in: .inProgress, owner: owner)
                    """,
                attempt: """
                    UPDATE attempts SET state = 'ended', ended_at = \(stamp), outcome = \(result.outcome),
                        summary = \(result.summary), recording_url = \(result.recordingURL),
                        raw_response = COALESCE(\(result.rawJSON), raw_response)
                    WHERE \(attempt: attempt, in: .placed)
                    """)
            guard outcome == .applied else { return outcome }
            if result.outcome == OutcomeRules.optOut { try await honourOptOut(sql, end: end, stamp: stamp) }
            return .applied
        }
    }

    /// The compare-and-set every write about a placed (or about to be placed) call goes through: `job` (an
    /// UPDATE guarded by `\(job:in:)`) and then `attempt` (guarded by `\(attempt:in:)`) must each change exactly
    /// one row, else neither is kept and the write is `stale`: the job changed under this writer.
    ///
    /// `insideSavepoint`: the caller's own savepoint rolls back unless this answers `.applied`, so no second one
    /// is needed. Each savepoint is two round trips; a call's end with its POST's answer took 10 statements
    /// with nested savepoints and takes 6 without, and at 50 slots the run's claims were its limit (a median
    /// claim of 8 ms of which the server worked 1.3 ms).
    static func compareAndSet(
        _ sql: PostgresSQL, insideSavepoint: Bool = false, job: PostgresQuery, attempt: PostgresQuery
    ) async throws(PostgresStoreError) -> GuardedWrite {
        let write = { () async throws(PostgresStoreError) -> GuardedWrite in
            guard try await sql.changes(job) == 1 else { return .stale }
            guard try await sql.changes(attempt) == 1 else { return .stale }
            return .applied
        }
        if insideSavepoint { return try await write() }
        return try await savepoint(sql, name: "guarded_write", write)
    }

    /// `body` inside a savepoint, rolled back to it unless `body` answers `.applied`. Needs an open transaction.
    static func savepoint(
        _ sql: PostgresSQL, name: String, _ body: () async throws(PostgresStoreError) -> GuardedWrite
    ) async throws(PostgresStoreError) -> GuardedWrite {
        try await sql.execute("SAVEPOINT \(unescaped: name)")
        let outcome = try await body()
        if outcome == .applied {
            try await sql.execute("RELEASE SAVEPOINT \(unescaped: name)")
        } else {
            try await sql.execute("ROLLBACK TO SAVEPOINT \(unescaped: name)")
            try await sql.execute("RELEASE SAVEPOINT \(unescaped: name)")
        }
        return outcome
    }

    /// A POST answered after this runner lost the job (reaped while the call was being placed: the job is
    /// `unknown`): the call's interaction id is kept on the attempt and the job, so a person resolving it sees
    /// that the call was made. The job stays `unknown`; nothing is redialled.
    static func recordLateAnswer(
        _ sql: PostgresSQL, _ attempt: AttemptRef, interactionID: String, stamp: String
    ) async throws(PostgresStoreError) {
        let note = "; the call was placed after all (interaction \(interactionID)), by a runner that had lost the job"
        let changed = try await sql.changes(
            """
            UPDATE attempts SET interaction_id = \(interactionID)
            WHERE id = \(attempt.attemptID) AND job_id = \(attempt.jobID) AND state = 'unknown' AND interaction_id IS NULL
            """)
        guard changed == 1 else { return }
        try await sql.execute(
            """
            UPDATE jobs SET interaction_id = COALESCE(interaction_id, \(interactionID)),
                review_reason = COALESCE(review_reason, '') || \(note), updated_at = \(stamp)
            WHERE id = \(attempt.jobID) AND status = 'unknown'
              AND (SELECT MAX(id) FROM attempts WHERE job_id = jobs.id) = \(attempt.attemptID)
            """)
    }

    /// The person asked not to be called again: their number goes on the do-not-call list and every queued job
    /// for it, in every campaign, becomes `suppressed`, in the commit that records the call's end.
    static func honourOptOut(_ sql: PostgresSQL, end: CallEnd, stamp: String) async throws(PostgresStoreError) {
        try await sql.execute(
            """
            INSERT INTO suppressed (phone_e164, source, added_at)
            SELECT j.phone_e164, 'opt-out heard on call ' || COALESCE(a.interaction_id, '?') || ' of campaign '
                || c.name, \(stamp)
            FROM jobs j JOIN campaigns c ON c.id = j.campaign_id JOIN attempts a ON a.id = \(end.attemptID)
            WHERE j.id = \(end.jobID)
            ON CONFLICT (phone_e164) DO NOTHING
            """)
        try await sql.execute(
            """
            UPDATE jobs SET status = 'suppressed', updated_at = \(stamp)
            WHERE status = 'queued' AND phone_e164 = (SELECT phone_e164 FROM jobs WHERE id = \(end.jobID))
            """)
    }
}

extension PostgresSQL {
    /// How many rows `query` (an UPDATE or DELETE) changed: postgres-nio keeps the command tag to itself, so the
    /// statement returns a row per change and they are counted.
    func changes(_ query: PostgresQuery) async throws(PostgresStoreError) -> Int {
        var counted = query
        counted.sql += " RETURNING 1"
        return try await values(counted, as: Int32.self).count
    }
}

extension PostgresQuery.StringInterpolation {
    /// The job side of every guarded write: still in `status`, on the attempt count the writer knows, and its
    /// latest attempt row is the writer's (ids only grow: the schema's identity is ALWAYS).
    mutating func appendInterpolation(job attempt: AttemptRef, in status: JobStatus, owner: PostgresStore.RunnerOwner?)
    {
        if let owner {
            appendLiteral("runner_id = ")
            appendInterpolation(owner.runner)
            appendLiteral(" AND ")
        }
        appendLiteral("id = ")
        appendInterpolation(attempt.jobID)
        appendLiteral(" AND status = ")
        appendInterpolation(status.rawValue)
        appendLiteral(" AND attempts = ")
        appendInterpolation(Int64(attempt.attemptNumber))
        appendLiteral(" AND (SELECT MAX(id) FROM attempts WHERE job_id = jobs.id) = ")
        appendInterpolation(attempt.attemptID)
    }

    /// The attempt side: the writer's attempt row of that job, still in `state`.
    mutating func appendInterpolation(attempt: AttemptRef, in state: AttemptState) {
        appendLiteral("id = ")
        appendInterpolation(attempt.attemptID)
        appendLiteral(" AND job_id = ")
        appendInterpolation(attempt.jobID)
        appendLiteral(" AND state = ")
        appendInterpolation(state.rawValue)
    }
}
