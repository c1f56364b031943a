import Foundation
import Synchronization

/// The worker pool of `campaign run`: places the campaign's due calls, at most `maxParallel` at a time,
/// follows each to its end and writes every outcome back as it happens.
///
/// A task per call being placed or followed (placed in the loop's task group, followed in tasks of their own
/// relayed to it, see `FollowRelay`); the moment one reports, the loop
/// (`PoolLoop`) hands the report to the pool's decisions (`PoolState`) and carries out what they say:
/// claim due jobs, place or follow a call, arm a timer. Call tasks only report; they share no state with
/// the loop. Everything that must survive a crash is in the database before it matters, so a run can stop
/// at any point and the next one continues.
public final class Dispatcher: Sendable {
    let store: any DispatchStore
    let campaign: CampaignRecord
    let client: any CallingClient
    let configuration: DispatchConfiguration
    let clock: any DispatchClock
    let random: @Sendable () -> Double
    let onEvent: @Sendable (DispatchEvent) -> Void
    /// A stop asked for from outside (a signal handler's queue), and where to say it while the run lives.
    private let stop = Mutex(StopRequest())

    struct StopRequest: Sendable {
        var requested = false
        var continuation: AsyncStream<Void>.Continuation?
    }

    /// - Parameters:
    ///   - random: numbers in `0..<1` for retry and poll jitter (injected so tests are exact).
    ///   - onEvent: called from any task as things happen; must not block.
    public init(
        store: any DispatchStore, campaign: CampaignRecord, client: any CallingClient,
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
        let continuation = stop.withLock { stop -> AsyncStream<Void>.Continuation? in
            stop.requested = true
            return stop.continuation
        }
        continuation?.yield()
    }

    /// Whether a stop was asked for: the loop looks before it acts on each report, so a stop asked for
    /// while a claim committed takes effect before that claim's calls are placed.
    var stopRequested: Bool { stop.withLock { $0.requested } }

    /// Works the campaign until every job is in an end state, a stop is asked for, or (with `noWait`)
    /// only retries and calling windows are left to wait for. Call it once per `Dispatcher` (a stop asked
    /// for stays asked for); the caller must hold the database's `RunLock`.
    ///
    /// Throws when the run cannot go on (the key refused, no credits, the database failing); jobs are
    /// left as they were, and calls in flight are followed for the grace period first.
    public func run() async throws(DispatchError) -> RunResult {
        let recovery: Recovery
        do {
            recovery = try await store.recoverAtStart(campaign: campaign, api: client.api, now: clock.now())
        } catch {
            throw .store(error)
        }
        if !recovery.unknownJobIDs.isEmpty || !recovery.inProgress.isEmpty || !recovery.placedElsewhere.isEmpty {
            onEvent(.recovered(recovery))
        }
        let (stopStream, stopContinuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let stopEarly = stop.withLock { stop -> Bool in
            stop.continuation = stopContinuation
            return stop.requested
        }
        if stopEarly { stopContinuation.yield() }
        defer {
            stop.withLock { $0.continuation = nil }
            stopContinuation.finish()
        }
        // The calls followed run in tasks of their own (see FollowRelay), not as children of the group:
        // cancelling the run cancels them here.
        let follows = FollowRelay()
        let outcome = await withTaskCancellationHandler {
            await withTaskGroup(of: PoolState.Event.self, returning: Result<RunResult, DispatchError>.self) {
                group in
                var loop = PoolLoop(dispatcher: self, startedAt: clock.now(), follows: follows)
                let result = await loop.run(group: &group, recovery: recovery, stopStream: stopStream)
                // Children that only wait (the stop, the next nudge) end with the run.
                group.cancelAll()
                return result
            }
        } onCancel: {
            follows.cancelAll()
        }
        return try outcome.get()
    }

    func emit(_ event: DispatchEvent) { onEvent(event) }

    // MARK: - One call

    /// Places one call whose intent is committed, and records its interactionId before it is followed.
    func place(_ started: StartedJob) async -> PoolState.Event {
        let (job, intent) = (started.job, started.intent)
        var request = job.request
        if configuration.waitForCallEnd { request.waitForCallEnd = true }
        // Several runners: a runner frozen between its claim and here (a machine asleep, a SIGSTOP) may have been
        // reaped meanwhile and its job made `unknown`; it sends nothing once its lease is not known to be held.
        guard store.mayPlaceCalls else { return .notSentUnfenced(started) }
        let postedAt = clock.now()
        let placed: PlacedCall
        do {
            placed = try await client.placeCall(request)
        } catch {
            return .placeFailed(started, error)
        }
        let call = FollowedCall(
            jobID: job.id, attemptID: intent.attemptID, attemptNumber: intent.attemptNumber, phone: job.phone,
            interactionID: placed.interactionID, startedAt: postedAt)
        if configuration.waitForCallEnd {
            // The answer came at the call's end: placed and ended are written in one commit.
            return .placedAtEnd(
                started,
                ended(
                    call, completion: placed.completion, rawJSON: placed.rawJSON,
                    placed: PlacedAnswer(interactionID: placed.interactionID, rawJSON: placed.rawJSON)))
        }
        do {
            let write = try await store.recordPlaced(
                intent, interactionID: placed.interactionID, rawJSON: placed.rawJSON, now: clock.now())
            guard write == .applied else {
                return .placedNotRecorded(started, interactionID: placed.interactionID, problem: .stale)
            }
        } catch {
            return .placedNotRecorded(started, interactionID: placed.interactionID, problem: .failed(error))
        }
        return .placed(started, call)
    }

    /// Polls a placed call until it ends. A cancelled follow leaves the job `in_progress`: the next run
    /// follows it again by its interactionId.
    func follow(_ call: FollowedCall) async -> PoolState.Event {
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
                return .needsReview(call, httpStatus: nil, reason: reason)
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
                    return .needsReview(call, httpStatus: 404, reason: reason)
                case .unauthorized(let status, let message):
                    return .followFailed(.unauthorized(status: status, message: message))
                case .outOfCredits(let message):
                    return .followFailed(.outOfCredits(message: message))
                case .rateLimited(_, let retryAfter):
                    // A Retry-After beyond the longest pause is read as that pause: polls are safe to repeat.
                    let asked = min(retryAfter ?? configuration.rateLimitPause, RetryAfter.longestPause)
                    wait = max(wait, asked.seconds)
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
                return .callEnded(ended(call, completion: completion, rawJSON: report.rawJSON), phone: call.phone)
            }
        }
    }

    /// Labels an ended call and decides its retry. The loop records it, in the same commit as the next
    /// claim (with the POST's answer when `placed` carries it).
    func ended(
        _ call: FollowedCall, completion: CallCompletion?, rawJSON: String?, placed: PlacedAnswer? = nil
    ) -> CallEnd {
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
        return CallEnd(
            jobID: call.jobID, attemptID: call.attemptID, attemptNumber: call.attemptNumber, result: result,
            disposition: disposition, at: now, placed: placed)
    }
}
