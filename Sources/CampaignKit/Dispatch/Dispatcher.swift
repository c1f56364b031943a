import Foundation
import Synchronization

/// The worker pool of `campaign run`: places the campaign's due calls, at most `maxParallel` at a time,
/// follows each to its end and writes every outcome back as it happens.
///
/// One task group holds a task per call in flight; the moment one finishes, the loop claims the next due
/// job and fills the slot. The loop alone decides what starts; call tasks report the API's health
/// (pauses, the circuit breaker) through a small lock-protected state. Everything that must survive a
/// crash is in the database before it matters, so a run can stop at any point and the next one continues.
public final class Dispatcher: Sendable {
    let store: CampaignStore
    let campaign: CampaignRecord
    let client: any CallingClient
    let configuration: DispatchConfiguration
    let clock: any DispatchClock
    let random: @Sendable () -> Double
    let onEvent: @Sendable (DispatchEvent) -> Void
    private let shared = Mutex(PoolHealth())

    /// - Parameters:
    ///   - random: numbers in `0..<1` for retry and poll jitter (injected so tests are exact).
    ///   - onEvent: called from any task as things happen; must not block.
    public init(
        store: CampaignStore, campaign: CampaignRecord, client: any CallingClient,
        configuration: DispatchConfiguration, clock: any DispatchClock = SystemDispatchClock(),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        onEvent: @escaping @Sendable (DispatchEvent) -> Void = { _ in }
    ) {
        self.store = store
        self.campaign = campaign
        self.client = client
        self.configuration = configuration
        self.clock = clock
        self.random = random
        self.onEvent = onEvent
    }

    /// Asks a running `run()` to stop placing calls at once and to follow the calls in flight for the
    /// grace period. Safe from any thread (a signal handler's queue); asking before `run()` starts stops
    /// it before its first call.
    public func requestStop() {
        let continuation = shared.withLock { health -> AsyncStream<Void>.Continuation? in
            health.stopRequested = true
            return health.stopContinuation
        }
        continuation?.yield()
    }

    /// Works the campaign until every job is in an end state, a stop is asked for, or (with `noWait`)
    /// only retries and calling windows are left to wait for. Call it once per `Dispatcher` (a stop asked
    /// for stays asked for); the caller must hold the database's `RunLock`.
    ///
    /// Throws when the run cannot go on (the key refused, no credits, the database failing); jobs are
    /// left as they were, and calls in flight are followed for the grace period first.
    public func run() async throws(DispatchError) -> RunResult {
        let recovery: Recovery
        do {
            recovery = try store.recoverAtStart(campaign: campaign, api: client.api, now: clock.now())
        } catch {
            throw .store(error)
        }
        if !recovery.unknownJobIDs.isEmpty || !recovery.inProgress.isEmpty || !recovery.placedElsewhere.isEmpty {
            onEvent(.recovered(recovery))
        }
        let (stopStream, stopContinuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let stopEarly = shared.withLock { health -> Bool in
            health.stopContinuation = stopContinuation
            return health.stopRequested
        }
        if stopEarly { stopContinuation.yield() }
        defer {
            shared.withLock { $0.stopContinuation = nil }
            stopContinuation.finish()
        }
        let outcome = await withTaskGroup(of: SlotEvent.self, returning: Result<RunResult, DispatchError>.self) {
            group in
            var loop = PoolLoop(dispatcher: self, startedAt: clock.now())
            return await loop.run(group: &group, recovery: recovery, stopStream: stopStream)
        }
        return try outcome.get()
    }

    func emit(_ event: DispatchEvent) { onEvent(event) }

    // MARK: - Health shared by the call tasks and the loop

    func withHealth<T>(_ body: (inout PoolHealth) -> T) -> T { shared.withLock { body(&$0) } }

    /// The API answered a POST (whatever it said): the run of failures is over and an open breaker closes.
    func noteAPIAnswered() {
        let closed = withHealth { health -> Bool in
            health.consecutiveFailures = 0
            health.probeInFlight = false
            defer { health.breakerOpenUntil = nil }
            return health.breakerOpenUntil != nil
        }
        if closed { emit(.circuitClosed) }
    }

    /// A 5xx, a lost answer, or a request that never left: one more in a row; enough open the breaker.
    func noteAPIFailure(at now: Date) {
        let cooldown = configuration.breakerCooldown.seconds
        let opened = withHealth { health -> (Date, Int)? in
            health.consecutiveFailures += 1
            let wasProbe = health.probeInFlight
            health.probeInFlight = false
            if wasProbe || health.consecutiveFailures >= configuration.breakerThreshold {
                let until = now.addingTimeInterval(cooldown)
                health.breakerOpenUntil = until
                return (until, health.consecutiveFailures)
            }
            return nil
        }
        if let (until, failures) = opened { emit(.circuitOpened(until: until, failures: failures)) }
    }

    /// Statuses to POST /calls that mean the URL serves no such endpoint: 404, 405, 501.
    static let endpointMissingStatuses: Set<Int> = [404, 405, 501]

    /// Counts a rejection of a POST: how many in a row (no call placed in between) had this status and message.
    func noteRejection(status: Int, message: String) -> Int {
        withHealth { health in
            if let last = health.lastRejection, last.status == status, last.message == message {
                health.lastRejection?.count += 1
            } else {
                health.lastRejection = (status, message, 1)
            }
            return health.lastRejection?.count ?? 1
        }
    }

    /// Pauses every slot until `until` (429, 503 with Retry-After, the API unreachable).
    func pauseAll(until: Date, reason: String) {
        let later = withHealth { health -> Bool in
            guard health.pausedUntil.map({ until > $0 }) ?? true else { return false }
            health.pausedUntil = until
            return true
        }
        if later { emit(.paused(until: until, reason: reason)) }
    }

    // MARK: - One call

    /// Places one call whose intent is committed, then follows it to its end.
    func placeAndFollow(_ job: DueJob, intent: AttemptIntent) async -> SlotEvent {
        var request = job.request
        if configuration.waitForCallEnd { request.waitForCallEnd = true }
        let postedAt = clock.now()
        let placed: PlacedCall
        do {
            placed = try await client.placeCall(request)
        } catch {
            return await placementFailed(job, intent: intent, error: error)
        }
        noteAPIAnswered()
        withHealth {
            $0.consecutiveRateLimits = 0
            $0.lastRejection = nil
        }
        let call = FollowedCall(
            jobID: job.id, attemptID: intent.attemptID, attemptNumber: intent.attemptNumber, phone: job.phone,
            interactionID: placed.interactionID, startedAt: postedAt)
        if configuration.waitForCallEnd {
            // The answer came at the call's end: placed and ended are written in one commit.
            emit(.placed(jobID: job.id, phone: job.phone, attempt: intent.attemptNumber))
            return finish(
                call, completion: placed.completion, rawJSON: placed.rawJSON,
                placed: PlacedAnswer(interactionID: placed.interactionID, rawJSON: placed.rawJSON))
        }
        do {
            let write = try await store.recordPlaced(
                intent, interactionID: placed.interactionID, rawJSON: placed.rawJSON, now: clock.now())
            guard write == .applied else {
                emit(
                    .staleWrite(
                        jobID: job.id, phone: job.phone, what: "the call placed", interactionID: placed.interactionID))
                return .callFinished(ended: false)
            }
        } catch {
            // The call is ringing and only this process knows its id: say it before the run stops.
            emit(
                .notRecorded(
                    jobID: job.id, phone: job.phone, interactionID: placed.interactionID, reason: "\(error)"))
            return .fatal(.store(error))
        }
        emit(.placed(jobID: job.id, phone: job.phone, attempt: intent.attemptNumber))
        return await follow(call)
    }

    private func placementFailed(_ job: DueJob, intent: AttemptIntent, error: CallingError) async -> SlotEvent {
        let now = clock.now()
        do {
            switch error {
            case .rejected(let status, let message):
                noteAPIAnswered()
                if Self.endpointMissingStatuses.contains(status) {
                    // POST /calls is not served at this URL: every job would get the same answer. Stop
                    // like a refused key, with this job as it was.
                    try await guarded(store.undoAttemptIntent(intent, now: now), job, "not placed")
                    return .fatal(.endpointRefused(status: status, message: message))
                }
                if noteRejection(status: status, message: message) >= configuration.repeatedRejectionLimit {
                    // The same refusal for several jobs in a row is about the campaign (its prompt, its
                    // options, the account), not about one contact: stop before it fails every job.
                    try await guarded(store.undoAttemptIntent(intent, now: now), job, "not placed")
                    return .fatal(
                        .repeatedRejection(status: status, message: message, jobs: configuration.repeatedRejectionLimit)
                    )
                }
                try await guarded(
                    store.recordRejected(intent, httpStatus: status, message: message, now: now), job, "rejected")
                emit(.rejected(jobID: job.id, phone: job.phone, message: message))
                return .callFinished(ended: false)
            case .interactionNotFound(let message):
                // Not an answer POST /calls gives; read as a refusal, since no interaction exists.
                noteAPIAnswered()
                try await guarded(
                    store.recordRejected(intent, httpStatus: 404, message: message, now: now), job, "rejected")
                emit(.rejected(jobID: job.id, phone: job.phone, message: message))
                return .callFinished(ended: false)
            case .unauthorized(let status, let message):
                noteAPIAnswered()
                try await guarded(store.undoAttemptIntent(intent, now: now), job, "not placed")
                return .fatal(.unauthorized(status: status, message: message))
            case .outOfCredits(let message):
                noteAPIAnswered()
                try await guarded(store.undoAttemptIntent(intent, now: now), job, "not placed")
                return .fatal(.outOfCredits(message: message))
            case .rateLimited(let status, let retryAfter)
            where retryAfter.map({ $0 > RetryAfter.longestPause }) ?? false:
                // Hours, or a date years ahead: not a pause but a stop. The job is left due, no attempt used.
                noteAPIAnswered()
                try await guarded(store.undoAttemptIntent(intent, now: now), job, "not placed")
                let asked = retryAfter ?? RetryAfter.longestPause
                return .fatal(
                    .retryAfterTooLong(
                        status: status, until: now.addingTimeInterval(asked.seconds),
                        capped: asked >= RetryAfter.cap))
            case .rateLimited(let status, let retryAfter):
                noteAPIAnswered()
                // Without Retry-After, each 429 in a row doubles the pause (up to 5 minutes).
                let refusals = withHealth { health -> Int in
                    health.consecutiveRateLimits += 1
                    return health.consecutiveRateLimits
                }
                let backoff = min(configuration.rateLimitPause.seconds * pow(2, Double(min(refusals - 1, 10))), 300)
                let wait = retryAfter ?? .milliseconds(Int64(backoff * 1000))
                let until = now.addingTimeInterval(wait.seconds)
                // The pause first and the job's own due time too: requeued "due now", the loop could claim it
                // again between the requeue and the pause and redial it before Retry-After had passed.
                pauseAll(until: until, reason: "the API asked to slow down (HTTP \(status))")
                try await guarded(
                    store.recordNotPlaced(
                        intent, httpStatus: status,
                        reason: "refused for now (HTTP \(status)); not counted as an attempt", retryAt: until, now: now),
                    job, "not placed")
                return .callFinished(ended: false)
            case .notSent(let reason):
                // The failure and the pause first, as for 429: the job is requeued due now, and a claim
                // committed right after the requeue must already see the pool paused.
                noteAPIFailure(at: now)
                let failures = withHealth { $0.consecutiveFailures }
                let backoff = min(configuration.connectBackoff.seconds * pow(2, Double(min(failures - 1, 10))), 300)
                pauseAll(until: now.addingTimeInterval(backoff), reason: "the API could not be reached: \(reason)")
                try await guarded(
                    store.recordNotPlaced(
                        intent, httpStatus: nil, reason: "request not sent: \(reason)", retryAt: nil, now: now),
                    job, "not placed")
                return .callFinished(ended: false)
            case .outcomeUnknown(let status, let reason):
                try await guarded(
                    store.recordUnknown(intent, httpStatus: status, reason: reason, now: now), job, "unknown")
                noteAPIFailure(at: now)
                emit(.unknown(jobID: job.id, phone: job.phone, reason: reason))
                return .callFinished(ended: false)
            }
        } catch {
            return .fatal(.store(error))
        }
    }

    /// Logs a write the store refused because the job changed under this run (never applied, never retried).
    func guarded(_ write: GuardedWrite, _ job: DueJob, _ what: String, interactionID: String? = nil) {
        if write == .stale {
            emit(.staleWrite(jobID: job.id, phone: job.phone, what: what, interactionID: interactionID))
        }
    }

    /// Polls a placed call until it ends. A cancelled follow leaves the job `in_progress`: the next run
    /// follows it again by its interactionId.
    func follow(_ call: FollowedCall) async -> SlotEvent {
        var transientFailures = 0
        var wait = configuration.pollInterval.seconds
        let deadline = call.startedAt.addingTimeInterval(configuration.maxCallDuration.seconds)
        var lastSeen = "pending"
        while true {
            let jitter = configuration.pollJitter * (2 * random() - 1)
            do {
                let next = clock.now().addingTimeInterval(max(0, wait * (1 + jitter)))
                try await clock.sleep(until: min(next, max(deadline, clock.now())))
            } catch {
                return .abandoned
            }
            if Task.isCancelled { return .abandoned }
            if clock.now() >= deadline {
                // Followed for as long as any call may last: the slot is freed and a person decides.
                let reason =
                    "the call was still \(lastSeen) after the longest a call may last "
                    + "(\(Int(configuration.maxCallDuration.seconds.rounded()))s; interaction \(call.interactionID)); "
                    + "check it, then campaign resolve"
                return await needsReview(call, httpStatus: nil, reason: reason)
            }
            wait = configuration.pollInterval.seconds
            let report: CallStatusReport
            do {
                report = try await client.status(of: call.interactionID)
            } catch {
                if Task.isCancelled { return .abandoned }
                switch error {
                case .interactionNotFound, .rejected:
                    let reason =
                        "Poku does not know interaction \(call.interactionID) (\(error)); "
                        + "the call was placed but its result cannot be read"
                    return await needsReview(call, httpStatus: 404, reason: reason)
                case .unauthorized(let status, let message):
                    return .fatal(.unauthorized(status: status, message: message))
                case .outOfCredits(let message):
                    return .fatal(.outOfCredits(message: message))
                case .rateLimited(_, let retryAfter):
                    wait = max(wait, retryAfter?.seconds ?? configuration.rateLimitPause.seconds)
                    lastSeen = "refused for now (HTTP 429)"
                case .notSent, .outcomeUnknown:
                    // A status request is safe to repeat; back off so a struggling API is not hammered.
                    transientFailures += 1
                    wait *= min(pow(2, Double(min(transientFailures, 6))), 60)
                    lastSeen = "unreadable (\(error))"
                }
                continue
            }
            transientFailures = 0
            switch report.state {
            case .pending:
                lastSeen = "pending"
                continue
            case .ended(let completion):
                return finish(call, completion: completion, rawJSON: report.rawJSON)
            }
        }
    }

    /// A placed call whose result cannot be learnt becomes `unknown` for a person, with its interactionId.
    private func needsReview(_ call: FollowedCall, httpStatus: Int?, reason: String) async -> SlotEvent {
        do {
            let write = try await store.markNeedsReview(call, httpStatus: httpStatus, reason: reason, now: clock.now())
            guard write == .applied else {
                emit(
                    .staleWrite(
                        jobID: call.jobID, phone: call.phone, what: "needs review", interactionID: call.interactionID))
                return .callFinished(ended: false)
            }
        } catch {
            emit(
                .notRecorded(
                    jobID: call.jobID, phone: call.phone, interactionID: call.interactionID, reason: "\(error)"))
            return .fatal(.store(error))
        }
        emit(.needsReview(jobID: call.jobID, phone: call.phone, reason: reason))
        return .callFinished(ended: false)
    }

    /// Labels an ended call and decides its retry. The loop records it, in the same commit as the next
    /// claim (with the POST's answer when `placed` carries it).
    func finish(
        _ call: FollowedCall, completion: CallCompletion?, rawJSON: String?, placed: PlacedAnswer? = nil
    ) -> SlotEvent {
        let now = clock.now()
        let outcome = configuration.outcomeRules.label(for: completion)
        let disposition: EndDisposition
        switch configuration.retry.nextAttempt(
            after: now, outcome: outcome, attempt: call.attemptNumber, randomUnit: random())
        {
        case .done: disposition = .completed
        case .retry(let at): disposition = .retry(at: at)
        case .exhausted:
            disposition = .failed(reason: "\(outcome) on every one of \(call.attemptNumber) attempts")
        }
        let result = EndedCall(
            outcome: outcome, summary: completion?.summary, recordingURL: completion?.recordingURL,
            rawJSON: completion?.rawJSON ?? rawJSON)
        let end = CallEnd(
            jobID: call.jobID, attemptID: call.attemptID, attemptNumber: call.attemptNumber, result: result,
            disposition: disposition, at: now,
            placed: placed)
        return .callEnded(SlotEnd(end: end, phone: call.phone))
    }
}

/// A call that ended, waiting for the loop to record it.
struct SlotEnd: Sendable {
    var end: CallEnd
    var phone: String
}

/// The API's health as the call tasks observe it, read by the loop before it starts a call.
struct PoolHealth: Sendable {
    var pausedUntil: Date?
    var consecutiveFailures = 0
    /// 429s in a row without a call placed in between, for the back-off when no Retry-After is given.
    var consecutiveRateLimits = 0
    /// The last rejection of a POST and how many POSTs in a row got exactly it; cleared by a placed call.
    var lastRejection: (status: Int, message: String, count: Int)?
    /// While set, no call starts before it; after it, one probe call may start.
    var breakerOpenUntil: Date?
    var probeInFlight = false
    var stopRequested = false
    var stopContinuation: AsyncStream<Void>.Continuation?
}

/// What a child task of the pool reports when it ends.
enum SlotEvent: Sendable {
    /// A call slot is free again (a call that never ran, or whose end is already recorded).
    case callFinished(ended: Bool)
    /// A call ran to its end: its slot is free, and its end is to be recorded with the next claim.
    case callEnded(SlotEnd)
    /// A call slot is free and the run must stop.
    case fatal(DispatchError)
    /// A followed call was cancelled; its job stays `in_progress` for the next run.
    case abandoned
    /// A claim was committed: the jobs to place now (their intents are durable), from at most `limit`.
    case claimed(Claim, limit: Int, ends: [SlotEnd])
    case claimFailed(StoreError, ends: [SlotEnd])
    case timer(Date)
    case stopRequested
    case graceExpired
}

/// The loop that owns the task group: decides what starts, when to wait and when the run is over.
struct PoolLoop {
    let dispatcher: Dispatcher
    let startedAt: Date
    var inFlight = 0
    var endedCalls = 0
    var lastStart: Date?
    var stopping = false
    var stoppedOnRequest = false
    var fatal: DispatchError?
    var armedTimers: Set<Date> = []
    /// A claim is being committed by a child task. At most one runs at a time, so the slots that free up
    /// meanwhile are all taken by the next one, in one transaction: at hundreds of slots, claiming after
    /// each call's end, one commit at a time, could not keep the slots full.
    var claimInFlight = false
    /// Whether a queued job may be due now. Cleared when a claim found fewer due jobs than it could take;
    /// set again when a call ends (its job may be queued again) and when a timer fires.
    var mayBeDue = true
    var signalledSinceClaim = false
    /// When the earliest queued job is due, as the last short claim saw it (`nil`: nothing queued).
    var nextDue: Date?
    /// Calls that ended and whose ends the next claim records (in its transaction).
    var pendingEnds: [SlotEnd] = []
    /// The job counts the progress events show, and when they were read: reading them is a scan of every
    /// job of the campaign, too much to do twice per call on a campaign of 100,000 jobs.
    var shownCounts: (counts: JobCounts, at: Date)?

    var configuration: DispatchConfiguration { dispatcher.configuration }
    var store: CampaignStore { dispatcher.store }
    var campaign: CampaignRecord { dispatcher.campaign }

    mutating func run(
        group: inout TaskGroup<SlotEvent>, recovery: Recovery, stopStream: AsyncStream<Void>
    ) async -> Result<RunResult, DispatchError> {
        group.addTask {
            for await _ in stopStream { return .stopRequested }
            return .timer(.distantPast)
        }
        for call in recovery.inProgress {
            group.addTask { [dispatcher] in await dispatcher.follow(call) }
            inFlight += 1
        }
        await emitProgress()
        while true {
            checkForStop(group: &group)
            if stopping {
                if inFlight == 0 && !claimInFlight && pendingEnds.isEmpty { break }
                if !claimInFlight && !pendingEnds.isEmpty {
                    launchClaim(limit: 0, now: dispatcher.clock.now(), group: &group)
                }
                await handle(await group.next(), group: &group)
                continue
            }
            let now = dispatcher.clock.now()
            let gate = startGate(now: now)
            let mayStart = mayBeDue && inFlight < configuration.maxParallel && gate.map { $0 <= now } ?? false
            if !claimInFlight && (mayStart || !pendingEnds.isEmpty) {
                launchClaim(limit: mayStart ? claimLimit() : 0, now: now, group: &group)
            }
            let idle = inFlight == 0 && !claimInFlight && pendingEnds.isEmpty
            if idle && !mayBeDue && nextDue == nil { break }
            if configuration.noWait, idle, mayBeDue, let gate,
                gate.timeIntervalSince(now) > configuration.noWaitPauseLimit.seconds
            {
                // A long pause with nothing in flight: --no-wait does not sleep through it either.
                group.cancelAll()
                return await counts().map { .waiting(until: gate, $0) }
            }
            // Nothing more can start now: wait for a claim or a call to end, a stop, or the next instant
            // something may start.
            var wake: Date? = nil
            if !claimInFlight, inFlight < configuration.maxParallel, let gate {
                if mayBeDue {
                    if gate > now { wake = gate }
                } else if let nextDue {
                    wake = max(nextDue, gate)
                }
            }
            if idle, !mayBeDue, let wake, let nextDue, nextDue >= wake, nextDue > now {
                if configuration.noWait {
                    group.cancelAll()
                    return await counts().map { .waiting(until: wake, $0) }
                }
                dispatcher.emit(.sleeping(until: wake))
            }
            if let wake, !armedTimers.contains(where: { $0 <= wake }) {
                armedTimers.insert(wake)
                group.addTask { [clock = dispatcher.clock] in
                    try? await clock.sleep(until: wake)
                    return .timer(wake)
                }
            }
            await handle(await group.next(), group: &group)
        }
        group.cancelAll()
        if let fatal { return .failure(fatal) }
        return await counts().map { stoppedOnRequest ? .stopped($0) : .finished($0) }
    }

    /// The earliest instant a new call may start given pauses, the breaker and the rate; `nil` while a
    /// breaker probe is in flight (wait for it to end).
    mutating func startGate(now: Date) -> Date? {
        let health = dispatcher.withHealth { $0 }
        var gate = now
        if let paused = health.pausedUntil { gate = max(gate, paused) }
        if let open = health.breakerOpenUntil {
            // With nothing in flight the probe has been accounted for; never wait for a call that is not there.
            if health.probeInFlight && inFlight > 0 { return nil }
            gate = max(gate, open)
        }
        if let rate = configuration.rate { gate = max(gate, rate.nextStart(after: lastStart, now: now)) }
        return gate
    }

    /// Starts a claim (a child task): it records the calls that ended since the last one, then takes up to
    /// `limit` due jobs (0: only records), all in one commit.
    mutating func launchClaim(limit: Int, now: Date, group: inout TaskGroup<SlotEvent>) {
        let ends = pendingEnds
        pendingEnds = []
        claimInFlight = true
        signalledSinceClaim = false
        group.addTask { [store, campaign, api = dispatcher.client.api, admit = windowCheck(now: now)] in
            do throws(StoreError) {
                let claim = try await store.claimDueJobs(
                    campaign: campaign, api: api, now: now, limit: limit, admit: admit, recordingFirst: ends.map(\.end))
                return .claimed(claim, limit: limit, ends: ends)
            } catch {
                return .claimFailed(error, ends: ends)
            }
        }
    }

    /// How many jobs the next claim may take: every free slot, but one at a time while `--rate` spaces the
    /// starts or the breaker allows a single probe.
    func claimLimit() -> Int {
        if configuration.rate != nil || dispatcher.withHealth({ $0.breakerOpenUntil != nil }) { return 1 }
        return configuration.maxParallel - inFlight
    }

    /// The calling window as the claim asks it: when a job may start, if not now.
    func windowCheck(now: Date) -> @Sendable (DueJob) -> Date? {
        guard let window = configuration.window else { return { _ in nil } }
        let admission = WindowAdmission(window: window, runZone: configuration.defaultTimeZone, now: now)
        return { job in admission.until(zoneNamed: job.timeZone) }
    }

    /// Starts the task of a claimed job, whose intent is committed.
    mutating func start(_ started: StartedJob, group: inout TaskGroup<SlotEvent>) {
        dispatcher.withHealth { health in
            if health.breakerOpenUntil != nil { health.probeInFlight = true }
        }
        // When the call starts, not when its claim began: `--rate` spaces the POSTs themselves.
        lastStart = dispatcher.clock.now()
        inFlight += 1
        group.addTask { [dispatcher] in await dispatcher.placeAndFollow(started.job, intent: started.intent) }
    }

    mutating func handle(_ event: SlotEvent?, group: inout TaskGroup<SlotEvent>) async {
        guard let event else { return }
        switch event {
        case .callFinished(let ended):
            inFlight -= 1
            if ended { endedCalls += 1 }
            dueSignal()
            await emitProgress()
        case .abandoned:
            inFlight -= 1
        case .fatal(let error):
            inFlight -= 1
            if fatal == nil { fatal = error }
            beginStop(group: &group)
        case .callEnded(let ended):
            inFlight -= 1
            endedCalls += 1
            pendingEnds.append(ended)
            dueSignal()
        case .claimed(let claim, let limit, let ends):
            claimInFlight = false
            for stale in claim.staleEnds {
                dispatcher.emit(
                    .staleWrite(
                        jobID: stale.jobID, phone: ends.first { $0.end == stale }?.phone ?? "",
                        what: "the call's end (\(stale.result.outcome))", interactionID: stale.placed?.interactionID))
            }
            for ended in ends where !claim.staleEnds.contains(ended.end) {
                dispatcher.emit(
                    .ended(
                        jobID: ended.end.jobID, phone: ended.phone, outcome: ended.end.result.outcome,
                        disposition: ended.end.disposition))
            }
            let placed = limit > 0 ? await started(claim, limit: limit, group: &group) : 0
            if placed > 0 || !ends.isEmpty { await emitProgress() }
        case .claimFailed(let error, let ends):
            claimInFlight = false
            // A call that ended with its POST's answer (`waitForCallEnd`) has its interactionId only here.
            for ended in ends {
                guard let placed = ended.end.placed else { continue }
                dispatcher.emit(
                    .notRecorded(
                        jobID: ended.end.jobID, phone: ended.phone, interactionID: placed.interactionID,
                        reason: "\(error)"))
            }
            if fatal == nil { fatal = .store(error) }
            beginStop(group: &group)
        case .timer(let at):
            armedTimers.remove(at)
            dueSignal()
        case .stopRequested:
            stoppedOnRequest = true
            beginStop(group: &group)
        case .graceExpired:
            // Calls still ringing stay `in_progress`; the next run follows them by interactionId.
            group.cancelAll()
        }
    }

    /// Something may have become due: a job queued again, or a time passed.
    mutating func dueSignal() {
        mayBeDue = true
        signalledSinceClaim = true
    }

    /// Notices a stop asked for or a cancelled run. Checked before each claim and again before a claim's
    /// calls are placed, as well as by the listener task, so that a stop takes effect before the next call
    /// is placed, not after the loop next waits.
    mutating func checkForStop(group: inout TaskGroup<SlotEvent>) {
        guard !stopping else { return }
        if Task.isCancelled {
            // The caller cancelled the run itself: no grace period, calls in flight stay `in_progress`.
            stoppedOnRequest = true
            beginStop(group: &group)
            group.cancelAll()
        } else if dispatcher.withHealth({ $0.stopRequested }) {
            stoppedOnRequest = true
            beginStop(group: &group)
        }
    }

    /// Places the calls a claim committed, as far as the run still allows. The claim took a commit's time,
    /// during which a stop may have been asked for, a 429 may have paused the pool or the breaker may have
    /// opened: what may not start now is handed back (its intent undone, the job as it was), never dialled.
    /// Returns how many calls it started.
    mutating func started(_ claim: Claim, limit: Int, group: inout TaskGroup<SlotEvent>) async -> Int {
        for postponed in claim.postponed {
            let job = postponed.job
            if WindowAdmission.zone(named: job.timeZone, runZone: configuration.defaultTimeZone) == nil {
                dispatcher.emit(
                    .zoneUnknown(jobID: job.id, phone: job.phone, zone: job.timeZone, until: postponed.until))
            } else {
                dispatcher.emit(.outsideWindow(jobID: job.id, phone: job.phone, until: postponed.until))
            }
        }
        checkForStop(group: &group)
        var allowed = 0
        if !stopping {
            let now = dispatcher.clock.now()
            if let gate = startGate(now: now), gate <= now {
                // An open breaker lets one probe through.
                allowed = dispatcher.withHealth { $0.breakerOpenUntil != nil } ? 1 : claim.started.count
            }
        }
        let handedBack = claim.started.dropFirst(allowed)
        if !handedBack.isEmpty {
            do {
                let writes = try await store.undoAttemptIntents(handedBack.map(\.intent), now: dispatcher.clock.now())
                for (started, write) in zip(handedBack, writes) {
                    dispatcher.guarded(write, started.job, "handed back, not placed")
                }
            } catch {
                if fatal == nil { fatal = .store(error) }
                beginStop(group: &group)
                return 0
            }
        }
        if stopping { return 0 }
        for started in claim.started.prefix(allowed) { start(started, group: &group) }
        if claim.started.count < limit && handedBack.isEmpty && !signalledSinceClaim {
            mayBeDue = false
            nextDue = claim.nextDue
        } else {
            mayBeDue = true
        }
        return allowed
    }

    /// Stops starting calls; calls in flight are followed until they end or the grace period passes.
    mutating func beginStop(group: inout TaskGroup<SlotEvent>) {
        guard !stopping else { return }
        stopping = true
        dispatcher.emit(.stopping(inFlight: inFlight, grace: configuration.gracePeriod))
        guard inFlight > 0 else { return }
        let deadline = dispatcher.clock.now().addingTimeInterval(configuration.gracePeriod.seconds)
        group.addTask { [clock = dispatcher.clock] in
            do {
                try await clock.sleep(until: deadline)
                return .graceExpired
            } catch {
                return .timer(deadline)
            }
        }
    }

    static let progressCountsInterval: TimeInterval = 0.25

    func counts() async -> Result<JobCounts, DispatchError> {
        do {
            return .success(try await store.jobCounts(campaign: campaign))
        } catch {
            return .failure(.store(error))
        }
    }

    /// Reports progress; while calls are in flight the counts are re-read at most every
    /// `progressCountsInterval` (calls in flight are always current). The summary at the end reads fresh counts.
    mutating func emitProgress() async {
        let now = dispatcher.clock.now()
        let counts: JobCounts
        // With nothing in flight the line stays up while the run waits or ends: it must be current.
        if let shown = shownCounts, inFlight > 0, now.timeIntervalSince(shown.at) < Self.progressCountsInterval {
            counts = shown.counts
        } else {
            guard case .success(let fresh) = await self.counts() else { return }
            shownCounts = (fresh, now)
            counts = fresh
        }
        let minutes = now.timeIntervalSince(startedAt) / 60
        var rate: Double? = nil
        var eta: Date? = nil
        if endedCalls > 0, minutes > 0 {
            let perMinute = Double(endedCalls) / minutes
            rate = perMinute
            let left = counts.queued + counts.active
            eta = now.addingTimeInterval(Double(left) / perMinute * 60)
        }
        dispatcher.emit(
            .progress(DispatchProgress(counts: counts, inFlight: inFlight, callsPerMinute: rate, estimatedEnd: eta)))
    }
}
