import Foundation

/// The pool's decisions, as one value owned by the run's loop alone: events in, actions out (both in
/// `PoolState+EventsAndActions.swift`).
///
/// Nothing here waits, reads a clock or touches the database: the loop (`PoolLoop`) passes the time with
/// each event and carries out the actions (claims, call tasks, timers). Call tasks only report what
/// happened; every decision that follows (a pause, the breaker, a stop, what to record) is taken here, in
/// the order the events arrive. So the gate, the claim limit, due tracking, `--no-wait`, the breaker,
/// pauses and the grace period are tested on this value alone (`PoolStateTests`).
struct PoolState {
    /// The settings the decisions read.
    let configuration: DispatchConfiguration

    /// Call slots taken: calls being placed or followed.
    private(set) var inFlight = 0
    private(set) var endedCalls = 0
    private var lastStart: Date?
    private(set) var stopping = false
    private var stoppedOnRequest = false
    private var fatal: DispatchError?
    private var finished = false
    private var armedTimers: Set<Date> = []
    /// A claim is being committed. At most one at a time, so the slots that free up meanwhile are all
    /// taken by the next one, in one transaction: at hundreds of slots, claiming after each call's end, one
    /// commit at a time, could not keep the slots full.
    private(set) var claimInFlight = false
    /// Whether a queued job may be due now. Cleared when a claim found fewer due jobs than it could take;
    /// set again when a call ends (its job may be queued again) and when a timer fires.
    private var mayBeDue = true
    private var signalledSinceClaim = false
    /// When the earliest queued job is due, as the last short claim saw it (`nil`: nothing queued).
    private var nextDue: Date?
    /// Several runners: when to claim again though nothing this run knows of is due (`Claim.recheckAt`).
    private var recheckAt: Date?
    /// Several runners: the last claim left due jobs queued because the campaign's shared limit was full. Even
    /// `--no-wait` waits for those: they are due now, only the slots are another runner's.
    private var heldByLimit = false
    /// Several runners: the wait last announced (`sleeping`), so a runner looking again every few seconds does
    /// not say it again each time.
    private var announcedSleep: Date?
    /// Several runners: the hold last announced (`heldBack`).
    private var announcedHold: String?
    /// Results waiting to be recorded, by the next claim, in its transaction.
    var pending: [PendingResult] = []
    var health = APIHealth()

    init(configuration: DispatchConfiguration) {
        self.configuration = configuration
    }

    /// The run starts following `recovered` calls left `in_progress` by an earlier run.
    mutating func begin(following recovered: [FollowedCall]) -> [Action] {
        inFlight += recovered.count
        return recovered.map { .follow($0) } + [progress]
    }

    private var progress: Action { .progress(inFlight: inFlight, endedCalls: endedCalls) }

    // MARK: - Events

    /// Takes in one event at `now`; returns what to do about it, then what the pool decides next.
    mutating func handle(_ event: Event, now: Date) -> [Action] {
        take(event, now: now) + decide(now: now)
    }

    /// Takes in one event at `now`: what to do about it, without deciding what comes next.
    mutating func take(_ event: Event, now: Date) -> [Action] {
        var actions: [Action] = []
        switch event {
        case .claimed(let claim, let limit, let results):
            claimInFlight = false
            actions += storeAnswered()
            actions += reportRecorded(results, writes: claim.recorded)
            let placed = limit > 0 ? startClaimed(claim, limit: limit, now: now, into: &actions) : 0
            if placed > 0 || !results.isEmpty { actions.append(progress) }
        case .claimFailed(let error, let results):
            claimInFlight = false
            if !stopping, error.isTransient {
                actions += storeDidNotAnswer(error, results: results, now: now)
                break
            }
            // A call that ended with its POST's answer (`waitForCallEnd`) has its interactionId only here.
            for result in results {
                guard case .ended(let end) = result.result.kind, let placed = end.placed else { continue }
                actions.append(
                    .emit(
                        .notRecorded(
                            jobID: end.jobID, phone: result.phone, interactionID: placed.interactionID,
                            reason: "\(error)")))
            }
            if fatal == nil { fatal = .store(error) }
            actions += beginStop(now: now)
        case .placed(let started, let call):
            actions += apiAnswered(placedACall: true)
            actions.append(.emit(.placed(jobID: started.job.id, phone: started.job.phone, attempt: call.attemptNumber)))
            actions.append(.follow(call))
        case .placedAtEnd(let started, let end):
            actions += apiAnswered(placedACall: true)
            actions.append(.emit(.placed(jobID: started.job.id, phone: started.job.phone, attempt: end.attemptNumber)))
            actions += take(.callEnded(end, phone: started.job.phone), now: now)
        case .placedNotRecorded(let started, let interactionID, let problem):
            actions += apiAnswered(placedACall: true)
            let job = started.job
            switch problem {
            case .stale:
                actions.append(
                    .emit(
                        .staleWrite(
                            jobID: job.id, phone: job.phone, what: "the call placed", interactionID: interactionID)))
                actions += slotFreed(ended: false)
            case .failed(let error):
                // The call is ringing and only this process knows its id: say it before the run stops.
                actions.append(
                    .emit(
                        .notRecorded(jobID: job.id, phone: job.phone, interactionID: interactionID, reason: "\(error)"))
                )
                actions += fail(.store(error), now: now)
            }
        case .notSentUnfenced(let started):
            pending.append(
                PendingResult(
                    AttemptResult(.undone(started.intent), at: now), phone: started.job.phone,
                    what: "handed back, not placed: this runner's lease was not renewed in time"))
            actions += slotFreed(ended: false)
        case .placeFailed(let started, let error):
            actions += placementFailed(started, error: error, now: now)
        case .callEnded(let end, let phone):
            inFlight -= 1
            endedCalls += 1
            pending.append(.ended(end, phone: phone))
            dueSignal()
        case .needsReview(let call, let httpStatus, let reason):
            pending.append(
                PendingResult(
                    AttemptResult(.needsReview(call, httpStatus: httpStatus, reason: reason), at: now),
                    phone: call.phone, what: "needs review", interactionID: call.interactionID,
                    then: .needsReview(jobID: call.jobID, phone: call.phone, reason: reason)))
            actions += slotFreed(ended: false)
        case .followFailed(let error):
            actions += fail(error, now: now)
        case .abandoned:
            inFlight -= 1
        case .timer(let at):
            armedTimers.remove(at)
            dueSignal()
        case .nudged(let more):
            if more { dueSignal() }
        case .stopRequested:
            stoppedOnRequest = true
            actions += beginStop(now: now)
        case .cancelled:
            // The caller cancelled the run itself: no grace period, calls in flight stay `in_progress`.
            stoppedOnRequest = true
            actions += beginStop(now: now)
            actions.append(.cancelAll)
        case .graceExpired:
            // Calls still ringing stay `in_progress`; the next run follows them by interactionId.
            actions.append(.cancelAll)
        }
        return actions
    }

    /// A call slot is free and the run must stop (the error is kept if it is the first).
    mutating func fail(_ error: DispatchError, now: Date) -> [Action] {
        inFlight -= 1
        if fatal == nil { fatal = error }
        return beginStop(now: now)
    }

    mutating func slotFreed(ended: Bool) -> [Action] {
        inFlight -= 1
        if ended { endedCalls += 1 }
        dueSignal()
        return [progress]
    }

    /// Something may have become due: a job queued again, or a time passed.
    private mutating func dueSignal() {
        mayBeDue = true
        signalledSinceClaim = true
    }

    /// What the recorded results say, now that their commit is done: each one's event, or that it was
    /// refused because its job changed meanwhile.
    private func reportRecorded(_ results: [PendingResult], writes: [GuardedWrite]) -> [Action] {
        zip(results, writes).compactMap { result, write in
            if write == .stale {
                return .emit(
                    .staleWrite(
                        jobID: result.result.jobID, phone: result.phone, what: result.what,
                        interactionID: result.interactionID))
            }
            return result.then.map { .emit($0) }
        }
    }

    // MARK: - Starting calls

    /// Starts the calls a claim committed, as far as the run still allows. The claim took a commit's time,
    /// during which a stop may have been asked for, a 429 may have paused the pool or the breaker may have
    /// opened: what may not start now is handed back (its intent undone with the next claim, the job as it
    /// was), never dialled. Returns how many calls it started.
    private mutating func startClaimed(_ claim: Claim, limit: Int, now: Date, into actions: inout [Action]) -> Int {
        for postponed in claim.postponed {
            let job = postponed.job
            if postponed.reason == .contactPressure {
                actions.append(.emit(.contactPressure(jobID: job.id, phone: job.phone, until: postponed.until)))
            } else if WindowAdmission.zone(named: job.timeZone, runZone: configuration.defaultTimeZone) == nil {
                actions.append(
                    .emit(.zoneUnknown(jobID: job.id, phone: job.phone, zone: job.timeZone, until: postponed.until)))
            } else {
                actions.append(.emit(.outsideWindow(jobID: job.id, phone: job.phone, until: postponed.until)))
            }
        }
        if !claim.adopted.isEmpty {
            // Calls a stopped runner placed: followed here (never redialled), each in a slot of this run.
            inFlight += claim.adopted.count
            actions.append(.emit(.adopted(claim.adopted)))
            actions += claim.adopted.map { .follow($0) }
        }
        if let reason = claim.heldBack, reason != announcedHold {
            announcedHold = reason
            actions.append(.emit(.heldBack(reason: reason)))
        }
        if let reason = claim.halted, !stopping {
            if fatal == nil { fatal = .haltedByAnotherRunner(reason: reason) }
            actions += beginStop(now: now)
        }
        // --no-wait does not wait for other runners either.
        // (Due jobs held back by the shared limit are not "nothing due": it waits for those.)
        recheckAt = configuration.noWait && !claim.limitReached ? nil : claim.recheckAt
        heldByLimit = claim.limitReached
        var allowed = 0
        if !stopping, let gate = startGate(now: now), gate <= now {
            // An open breaker lets one probe through.
            allowed = health.breakerOpenUntil != nil ? 1 : claim.started.count
        }
        let handedBack = claim.started.dropFirst(allowed)
        for started in handedBack {
            pending.append(
                PendingResult(
                    AttemptResult(.undone(started.intent), at: now), phone: started.job.phone,
                    what: "handed back, not placed"))
        }
        for started in claim.started.prefix(allowed) {
            if health.breakerOpenUntil != nil { health.probeInFlight = true }
            // When the call starts, not when its claim began: `--rate` spaces the POSTs themselves.
            lastStart = now
            inFlight += 1
            actions.append(.place(started))
        }
        if stopping { return allowed }
        if claim.started.count + claim.adopted.count < limit && handedBack.isEmpty && !signalledSinceClaim {
            mayBeDue = false
            nextDue = claim.nextDue
        } else {
            mayBeDue = true
        }
        return allowed
    }

    /// The earliest instant a new call may start given pauses, the breaker and the rate; `nil` while a
    /// breaker probe is in flight (wait for it to end).
    func startGate(now: Date) -> Date? {
        // Past the deadline nothing starts again.
        if let deadline = configuration.deadline, now >= deadline { return .distantFuture }
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

    /// How many jobs the next claim may take: every free slot, but one at a time while `--rate` spaces the
    /// starts or the breaker allows a single probe.
    func claimLimit() -> Int {
        if configuration.rate != nil || health.breakerOpenUntil != nil { return 1 }
        return configuration.maxParallel - inFlight
    }

    // MARK: - What next

    /// After an event: whether to claim, to wait (and until when), or whether the run is over.
    mutating func decide(now: Date) -> [Action] {
        guard !finished else { return [] }
        if stopping {
            if inFlight == 0 && !claimInFlight && pending.isEmpty {
                return finish(stoppedOnRequest ? .stopped : .finished)
            }
            if !claimInFlight && !pending.isEmpty { return [launchClaim(limit: 0)] }
            return []
        }
        var actions: [Action] = []
        let gate = startGate(now: now)
        let mayStart = mayBeDue && inFlight < configuration.maxParallel && gate.map { $0 <= now } ?? false
        let storeRetry = health.storeRetryAt.flatMap { $0 > now ? $0 : nil }
        if !claimInFlight && storeRetry == nil && (mayStart || !pending.isEmpty) {
            actions.append(launchClaim(limit: mayStart ? claimLimit() : 0))
        }
        let idle = inFlight == 0 && !claimInFlight && pending.isEmpty
        if idle && !mayBeDue && nextDue == nil && recheckAt == nil { return actions + finish(.finished) }
        if idle, let deadline = configuration.deadline, now >= deadline {
            return actions + finish(.pastDeadline(deadline))
        }
        if configuration.noWait, idle, mayBeDue, let gate,
            gate.timeIntervalSince(now) > configuration.noWaitPauseLimit.seconds
        {
            // A long pause with nothing in flight: --no-wait does not sleep through it either.
            return actions + finish(.waiting(until: gate))
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
            if !mayBeDue, let recheckAt { wake = max(min(wake ?? recheckAt, recheckAt), gate) }
        }
        if let storeRetry, !claimInFlight { wake = min(wake ?? storeRetry, storeRetry) }
        if let deadline = configuration.deadline, let later = wake, later > deadline {
            // Nothing may start after the deadline: wake at it, to end the run then.
            wake = inFlight == 0 ? max(deadline, now) : nil
        }
        if idle, !mayBeDue, let wake, let nextDue, nextDue >= wake, nextDue > now {
            if configuration.noWait && !heldByLimit { return actions + finish(.waiting(until: wake)) }
            if let recheckAt {
                // One of several runners: it wakes to look again every few seconds; a real wait is said once.
                let until = max(nextDue, gate ?? nextDue)
                if until > recheckAt, announcedSleep != until {
                    announcedSleep = until
                    actions.append(.emit(.sleeping(until: until)))
                }
            } else {
                actions.append(.emit(.sleeping(until: wake)))
            }
        }
        if let wake, !armedTimers.contains(where: { $0 <= wake }) {
            armedTimers.insert(wake)
            actions.append(.armTimer(wake))
        }
        return actions
    }

    private mutating func launchClaim(limit: Int) -> Action {
        let results = pending
        pending = []
        claimInFlight = true
        signalledSinceClaim = false
        return .claim(limit: limit, results: results)
    }

    private mutating func finish(_ how: Finish) -> [Action] {
        finished = true
        return [.cancelAll, .finish(fatal.map { .failed($0) } ?? how)]
    }

    /// Stops starting calls; calls in flight are followed until they end or the grace period passes.
    private mutating func beginStop(now: Date) -> [Action] {
        guard !stopping else { return [] }
        stopping = true
        var actions: [Action] = [.emit(.stopping(inFlight: inFlight, grace: configuration.gracePeriod))]
        if inFlight > 0 { actions.append(.armGrace(now.addingTimeInterval(configuration.gracePeriod.seconds))) }
        return actions
    }
}
