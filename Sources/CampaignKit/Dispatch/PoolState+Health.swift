import Foundation

/// The API's health as the pool has seen it: pauses, the run of failures, the circuit breaker.
struct APIHealth: Sendable, Equatable {
    var pausedUntil: Date?
    var consecutiveFailures = 0
    /// 429s in a row without a call placed in between, for the back-off when no Retry-After is given.
    var consecutiveRateLimits = 0
    /// The last rejection of a POST and how many POSTs in a row got exactly it; cleared by a placed call.
    var lastRejection: Rejection?
    /// While set, no call starts before it; after it, one probe call may start.
    var breakerOpenUntil: Date?
    var probeInFlight = false
    /// Claims in a row the database did not answer (a lost PostgreSQL connection), and when the next may be
    /// tried: no claim, so no call, before then.
    var storeFailures = 0
    var storeRetryAt: Date?

    struct Rejection: Sendable, Equatable {
        var status: Int
        var message: String
        var count: Int
    }
}

/// A result waiting for the next claim's commit, with what to say once it is written (or refused).
struct PendingResult: Sendable, Equatable {
    var result: AttemptResult
    var phone: String
    /// What it was, for the line that says it was refused because its job changed meanwhile.
    var what: String
    var interactionID: String?
    /// The event to emit once it is written.
    var then: DispatchEvent?

    init(
        _ result: AttemptResult, phone: String, what: String, interactionID: String? = nil,
        then: DispatchEvent? = nil
    ) {
        self.result = result
        self.phone = phone
        self.what = what
        self.interactionID = interactionID
        self.then = then
    }

    static func ended(_ end: CallEnd, phone: String) -> PendingResult {
        PendingResult(
            .ended(end), phone: phone, what: "the call's end (\(end.result.outcome))",
            interactionID: end.placed?.interactionID,
            then: .ended(jobID: end.jobID, phone: phone, outcome: end.result.outcome, disposition: end.disposition))
    }
}

extension PoolState {
    /// The longest wait between two claims the database did not answer.
    static let storeRetryLimit: TimeInterval = 30

    /// A claim the database did not answer: it may have committed or not. Its results go with the next claim
    /// (a result already written is then refused as stale, never applied twice); no call starts before that
    /// claim, tried again after 0.5 s, doubling up to `storeRetryLimit`. A job whose intent did commit unseen
    /// stays `dialing` and becomes `unknown` at the next start: never redialled.
    mutating func storeDidNotAnswer(_ error: StoreError, results: [PendingResult], now: Date) -> [Action] {
        pending = results + pending
        health.storeFailures += 1
        let wait = min(Self.storeRetryLimit, 0.5 * pow(2, Double(min(health.storeFailures - 1, 10))))
        let retryAt = now.addingTimeInterval(wait)
        health.storeRetryAt = retryAt
        return [.emit(.storeUnavailable(reason: "\(error)", retryAt: retryAt))]
    }

    /// A claim committed: after claims the database did not answer, say it answers again.
    mutating func storeAnswered() -> [Action] {
        health.storeRetryAt = nil
        guard health.storeFailures > 0 else { return [] }
        health.storeFailures = 0
        return [.emit(.storeAnswers)]
    }

    /// Statuses to POST /calls that mean the URL serves no such endpoint: 404, 405, 501.
    static let endpointMissingStatuses: Set<Int> = [404, 405, 501]

    /// A POST failed: what it means for the job (recorded with the next claim), the pool and the run.
    mutating func placementFailed(_ started: StartedJob, error: CallingError, now: Date) -> [Action] {
        let (job, intent) = (started.job, started.intent)
        func record(_ kind: AttemptResult.Kind, what: String, then: DispatchEvent? = nil) {
            pending.append(PendingResult(AttemptResult(kind, at: now), phone: job.phone, what: what, then: then))
        }
        var actions: [Action] = []
        switch error {
        case .rejected(let status, let message):
            actions += apiAnswered(placedACall: false)
            if Self.endpointMissingStatuses.contains(status) {
                // POST /calls is not served at this URL: every job would get the same answer. Stop like a
                // refused key, with this job as it was.
                record(.undone(intent), what: "not placed")
                return actions + fail(.endpointRefused(status: status, message: message), now: now)
            }
            if noteRejection(status: status, message: message) >= configuration.repeatedRejectionLimit {
                // The same refusal for several jobs in a row is about the campaign (its prompt, its options,
                // the account), not about one contact: stop before it fails every job.
                record(.undone(intent), what: "not placed")
                return actions
                    + fail(
                        .repeatedRejection(
                            status: status, message: message, jobs: configuration.repeatedRejectionLimit), now: now)
            }
            record(
                .rejected(intent, httpStatus: status, message: message), what: "rejected",
                then: .rejected(jobID: job.id, phone: job.phone, message: message))
        case .interactionNotFound(let message):
            // Not an answer POST /calls gives; read as a refusal, since no interaction exists.
            actions += apiAnswered(placedACall: false)
            record(
                .rejected(intent, httpStatus: 404, message: message), what: "rejected",
                then: .rejected(jobID: job.id, phone: job.phone, message: message))
        case .unauthorized(let status, let message):
            actions += apiAnswered(placedACall: false)
            record(.undone(intent), what: "not placed")
            return actions + fail(.unauthorized(status: status, message: message), now: now)
        case .outOfCredits(let message):
            actions += apiAnswered(placedACall: false)
            record(.undone(intent), what: "not placed")
            return actions + fail(.outOfCredits(message: message), now: now)
        case .rateLimited(let status, let retryAfter) where retryAfter.map({ $0 > RetryAfter.longestPause }) ?? false:
            // Hours, or a date years ahead: not a pause but a stop. The job is left due, no attempt used.
            actions += apiAnswered(placedACall: false)
            record(.undone(intent), what: "not placed")
            let asked = retryAfter ?? RetryAfter.longestPause
            return actions
                + fail(
                    .retryAfterTooLong(
                        status: status, until: now.addingTimeInterval(asked.seconds), capped: asked >= RetryAfter.cap),
                    now: now)
        case .rateLimited(let status, let retryAfter):
            actions += apiAnswered(placedACall: false)
            // Without Retry-After, each 429 in a row doubles the pause (up to 5 minutes).
            health.consecutiveRateLimits += 1
            let refusals = health.consecutiveRateLimits
            let backoff = min(configuration.rateLimitPause.seconds * pow(2, Double(min(refusals - 1, 10))), 300)
            let until = now.addingTimeInterval(retryAfter?.seconds ?? backoff)
            actions += pauseAll(until: until, reason: "the API asked to slow down (HTTP \(status))")
            // The job's own due time too: the pause could end early (a later, shorter one never shortens it,
            // but a restart forgets it), and the job must not be dialled before Retry-After has passed.
            record(
                .notPlaced(
                    intent, httpStatus: status, reason: "refused for now (HTTP \(status)); not counted as an attempt",
                    retryAt: until), what: "not placed")
        case .notSent(let reason):
            actions += apiFailed(at: now)
            let failures = health.consecutiveFailures
            let backoff = min(configuration.connectBackoff.seconds * pow(2, Double(min(failures - 1, 10))), 300)
            actions += pauseAll(
                until: now.addingTimeInterval(backoff), reason: "the API could not be reached: \(reason)")
            record(
                .notPlaced(intent, httpStatus: nil, reason: "request not sent: \(reason)", retryAt: nil),
                what: "not placed")
        case .outcomeUnknown(let status, let reason):
            record(
                .unknown(intent, httpStatus: status, reason: reason), what: "unknown",
                then: .unknown(jobID: job.id, phone: job.phone, reason: reason))
            actions += apiFailed(at: now)
        }
        return actions + slotFreed(ended: false)
    }

    /// The API answered a POST (whatever it said): the run of failures is over and an open breaker closes.
    /// A placed call also ends the runs of 429s and of identical rejections.
    mutating func apiAnswered(placedACall: Bool) -> [Action] {
        if placedACall {
            health.consecutiveRateLimits = 0
            health.lastRejection = nil
        }
        health.consecutiveFailures = 0
        health.probeInFlight = false
        guard health.breakerOpenUntil != nil else { return [] }
        health.breakerOpenUntil = nil
        return [.emit(.circuitClosed)]
    }

    /// A 5xx, a lost answer, or a request that never left: one more in a row; enough open the breaker.
    mutating func apiFailed(at now: Date) -> [Action] {
        health.consecutiveFailures += 1
        let wasProbe = health.probeInFlight
        health.probeInFlight = false
        guard wasProbe || health.consecutiveFailures >= configuration.breakerThreshold else { return [] }
        let until = now.addingTimeInterval(configuration.breakerCooldown.seconds)
        health.breakerOpenUntil = until
        return [.emit(.circuitOpened(until: until, failures: health.consecutiveFailures))]
    }

    /// Counts a rejection of a POST: how many in a row (no call placed in between) had this status and message.
    mutating func noteRejection(status: Int, message: String) -> Int {
        if let last = health.lastRejection, last.status == status, last.message == message {
            health.lastRejection?.count += 1
        } else {
            health.lastRejection = APIHealth.Rejection(status: status, message: message, count: 1)
        }
        return health.lastRejection?.count ?? 1
    }

    /// Pauses every slot until `until` (429, 503 with Retry-After, the API unreachable); a later pause wins.
    mutating func pauseAll(until: Date, reason: String) -> [Action] {
        guard health.pausedUntil.map({ until > $0 }) ?? true else { return [] }
        health.pausedUntil = until
        return [.emit(.paused(until: until, reason: reason))]
    }
}
