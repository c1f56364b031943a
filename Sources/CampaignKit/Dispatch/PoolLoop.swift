import Foundation

/// Carries out the pool's decisions on the task group: the only owner of the `PoolState`.
///
/// It waits for the next report (a claim committed, a call placed or ended, a timer, a stop), hands it to
/// the state with the time, and does what comes back: a claim or a POST becomes a child task, a follow a
/// task of its own whose report a waiting child relays (`FollowRelay`), a timer a sleeping task, an event a
/// line for the caller.
struct PoolLoop {
    let dispatcher: Dispatcher
    let startedAt: Date
    var state: PoolState
    /// The job counts the progress events show, and when they were read: reading them is a scan of every
    /// job of the campaign, too much to do twice per call on a campaign of 100,000 jobs.
    var shownCounts: (counts: JobCounts, at: Date)?
    /// The calls being followed, in tasks of their own (see `FollowRelay`), and how many have yet to report.
    let follows: FollowRelay
    var followsOutstanding = 0
    /// A child of the group is waiting for the next follow report.
    var relayArmed = false

    init(dispatcher: Dispatcher, startedAt: Date, follows: FollowRelay = FollowRelay()) {
        self.dispatcher = dispatcher
        self.startedAt = startedAt
        self.follows = follows
        state = PoolState(configuration: dispatcher.configuration)
    }

    var clock: any DispatchClock { dispatcher.clock }

    mutating func run(
        group: inout TaskGroup<PoolState.Event>, recovery: Recovery, stopStream: AsyncStream<Void>
    ) async -> Result<RunResult, DispatchError> {
        group.addTask {
            for await _ in stopStream { return .stopRequested }
            return .timer(.distantPast)
        }
        defer { follows.close() }
        let nudges = dispatcher.store.nudges()
        armNudge(nudges, group: &group)
        var actions = state.begin(following: recovery.inProgress)
        actions += noticeStop() + state.decide(now: clock.now())
        while true {
            if let finish = await perform(actions, group: &group) { return await result(finish) }
            guard let event = await group.next() else { return await result(.finished) }
            if event.isFollowReport {
                followsOutstanding -= 1
                relayArmed = false
                armRelay(group: &group)
            }
            if case .nudged(more: true) = event { armNudge(nudges, group: &group) }
            let now = clock.now()
            actions = noticeStop() + state.take(event, now: now) + state.decide(now: now)
        }
    }

    /// Keeps one child waiting for the next nudge (several runners), which cancelling the group ends.
    func armNudge(_ nudges: AsyncStream<Void>?, group: inout TaskGroup<PoolState.Event>) {
        guard let nudges else { return }
        group.addTask {
            var next = nudges.makeAsyncIterator()
            return .nudged(more: await next.next() != nil)
        }
    }

    /// Keeps one child waiting for the next follow report while any follow has yet to report.
    mutating func armRelay(group: inout TaskGroup<PoolState.Event>) {
        guard !relayArmed, followsOutstanding > 0 else { return }
        relayArmed = true
        group.addTask { [follows] in await follows.next() }
    }

    /// A stop asked for, or the run cancelled, is taken in before the next report: a stop asked for while a
    /// claim committed takes effect before that claim's calls are placed, not after the loop next waits.
    mutating func noticeStop() -> [PoolState.Action] {
        guard !state.stopping else { return [] }
        if Task.isCancelled { return state.take(.cancelled, now: clock.now()) }
        if dispatcher.stopRequested { return state.take(.stopRequested, now: clock.now()) }
        return []
    }

    /// Does the actions in order; returns how the run ends when one says it is over.
    mutating func perform(
        _ actions: [PoolState.Action], group: inout TaskGroup<PoolState.Event>
    ) async -> PoolState.Finish? {
        for action in actions {
            switch action {
            case .claim(let limit, let results):
                let now = clock.now()
                group.addTask {
                    [
                        store = dispatcher.store, campaign = dispatcher.campaign, api = dispatcher.client.api,
                        admission = admission(now: now), pressure = dispatcher.configuration.pressure
                    ] in
                    do throws(StoreError) {
                        let claim = try await store.claimDueJobs(
                            campaign: campaign, api: api, now: now, limit: limit, admission: admission,
                            pressure: pressure,
                            recordingFirst: results.map(\.result))
                        return .claimed(claim, limit: limit, results: results)
                    } catch {
                        return .claimFailed(error, results: results)
                    }
                }
            case .place(let started):
                group.addTask { [dispatcher] in await dispatcher.place(started) }
            case .follow(let call):
                follows.start { [dispatcher] in await dispatcher.follow(call) }
                followsOutstanding += 1
                armRelay(group: &group)
            case .armTimer(let at):
                group.addTask { [clock] in
                    try? await clock.sleep(until: at)
                    return .timer(at)
                }
            case .armGrace(let at):
                group.addTask { [clock] in
                    do {
                        try await clock.sleep(until: at)
                        return .graceExpired
                    } catch {
                        return .timer(at)
                    }
                }
            case .emit(let event):
                // The other runners pause with this one at once, not at its next claim.
                switch event {
                case .circuitOpened(let until, _):
                    await dispatcher.store.share(
                        .pause(until: until, reason: "the circuit breaker opened"), campaign: dispatcher.campaign)
                case .paused(let until, let reason):
                    await dispatcher.store.share(.pause(until: until, reason: reason), campaign: dispatcher.campaign)
                default: break
                }
                dispatcher.emit(event)
            case .progress(let inFlight, let endedCalls):
                await emitProgress(inFlight: inFlight, endedCalls: endedCalls)
            case .cancelAll:
                group.cancelAll()
                follows.cancelAll()
            case .finish(let finish):
                if case .failed(let error) = finish {
                    switch error {
                    case .unauthorized, .outOfCredits:
                        await dispatcher.store.share(.halted(reason: "\(error)"), campaign: dispatcher.campaign)
                    default: break
                    }
                }
                return finish
            }
        }
        return nil
    }

    /// The calling window as a claim at `now` asks it, if the run has one.
    func admission(now: Date) -> (any ClaimAdmission)? {
        dispatcher.configuration.window.map { window in
            WindowAdmission(window: window, runZone: dispatcher.configuration.defaultTimeZone, now: now)
        }
    }

    func result(_ finish: PoolState.Finish) async -> Result<RunResult, DispatchError> {
        switch finish {
        case .failed(let error): return .failure(error)
        case .finished: return await counts().map { .finished($0) }
        case .stopped: return await counts().map { .stopped($0) }
        case .waiting(let until): return await counts().map { .waiting(until: until, $0) }
        case .pastDeadline(let deadline): return await counts().map { .pastDeadline(deadline, $0) }
        }
    }

    static let progressCountsInterval: TimeInterval = 0.25

    func counts() async -> Result<JobCounts, DispatchError> {
        do {
            return .success(try await dispatcher.store.jobCounts(campaign: dispatcher.campaign))
        } catch {
            return .failure(.store(error))
        }
    }

    /// Reports progress; while calls are in flight the counts are re-read at most every
    /// `progressCountsInterval` (calls in flight are always current). The summary at the end reads fresh counts.
    mutating func emitProgress(inFlight: Int, endedCalls: Int) async {
        let now = clock.now()
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
