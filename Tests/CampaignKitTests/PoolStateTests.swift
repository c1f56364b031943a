import Foundation
import Testing

@testable import CampaignKit

/// The pool's decisions on their own: no SQLite, no clock, no tasks. Each test feeds events with the time
/// and reads the actions.
@Suite("PoolState")
struct PoolStateTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func configuration(_ maxParallel: Int = 3, _ change: (inout DispatchConfiguration) -> Void = { _ in })
        -> DispatchConfiguration
    {
        var configuration = DispatchConfiguration(
            maxParallel: maxParallel, pollInterval: .seconds(5), defaultTimeZone: TimeZone(identifier: "UTC")!)
        change(&configuration)
        return configuration
    }

    static func started(_ id: Int64) -> StartedJob {
        let phone = "+44207946000\(id)"
        return StartedJob(
            job: DueJob(
                id: id, phone: phone, attempts: 0, request: CallRequest(prompt: "hi", to: phone), timeZone: nil),
            intent: AttemptIntent(jobID: id, attemptID: id * 10, attemptNumber: 1, previousLastAttemptAt: nil))
    }

    static func call(_ id: Int64, at: Date) -> FollowedCall {
        FollowedCall(
            jobID: id, attemptID: id * 10, attemptNumber: 1, phone: started(id).job.phone, interactionID: "call-\(id)",
            startedAt: at)
    }

    static func end(_ id: Int64, at: Date, _ disposition: EndDisposition = .completed) -> CallEnd {
        CallEnd(
            jobID: id, attemptID: id * 10, attemptNumber: 1,
            result: EndedCall(outcome: "answered", summary: nil, recordingURL: nil, rawJSON: nil),
            disposition: disposition, at: at)
    }

    static func claim(_ ids: [Int64], recorded: Int = 0, nextDue: Date? = .distantPast) -> Claim {
        Claim(started: ids.map(started), recorded: Array(repeating: .applied, count: recorded), nextDue: nextDue)
    }

    static func claims(_ actions: [PoolState.Action]) -> [(limit: Int, results: [PendingResult])] {
        actions.compactMap { if case .claim(let limit, let results) = $0 { (limit, results) } else { nil } }
    }

    static func placed(_ actions: [PoolState.Action]) -> [Int64] {
        actions.compactMap { if case .place(let started) = $0 { started.job.id } else { nil } }
    }

    static func finish(_ actions: [PoolState.Action]) -> PoolState.Finish? {
        actions.lazy.compactMap { if case .finish(let how) = $0 { how } else { nil } }.first
    }

    static func emitted(_ actions: [PoolState.Action]) -> [DispatchEvent] {
        actions.compactMap { if case .emit(let event) = $0 { event } else { nil } }
    }

    @Test("the first decision claims every free slot; a claim's calls are placed; no second claim while one commits")
    func claimsEveryFreeSlot() {
        var state = PoolState(configuration: configuration(3))
        let first = state.begin(following: []) + state.decide(now: start)
        #expect(Self.claims(first).map(\.limit) == [3])
        #expect(Self.claims(state.decide(now: start)).isEmpty, "one claim at a time")
        let actions = state.handle(.claimed(Self.claim([1, 2, 3]), limit: 3, results: []), now: start)
        #expect(Self.placed(actions) == [1, 2, 3])
        #expect(state.inFlight == 3)
        #expect(Self.claims(actions).isEmpty, "no free slot")
    }

    @Test("several runners: adopted calls take slots and are followed; a recheck keeps an idle runner; a halt stops it")
    func runnerClaims() {
        var state = PoolState(configuration: configuration(3))
        _ = state.begin(following: []) + state.decide(now: start)
        var claim = Self.claim([], nextDue: nil)
        claim.adopted = [Self.call(9, at: start)]
        claim.recheckAt = start + 2
        let actions = state.handle(.claimed(claim, limit: 3, results: []), now: start)
        #expect(actions.contains(.follow(Self.call(9, at: start))))
        #expect(state.inFlight == 1)
        #expect(Self.finish(actions) == nil)
        // Its call ended, nothing queued: it waits for the recheck instead of finishing.
        _ = state.handle(.callEnded(Self.end(9, at: start + 1), phone: "+1"), now: start + 1)
        let idle = state.handle(.claimed(Self.claim([], nextDue: nil), limit: 3, results: []), now: start + 1)
        #expect(Self.finish(idle) == .finished, "no recheck asked for: nothing left anywhere")
        var halted = PoolState(configuration: configuration(3))
        _ = halted.begin(following: []) + halted.decide(now: start)
        var stop = Self.claim([], nextDue: nil)
        stop.halted = "the API refused the key (HTTP 401)"
        let stopped = halted.handle(.claimed(stop, limit: 3, results: []), now: start)
        #expect(Self.finish(stopped) == .failed(.haltedByAnotherRunner(reason: "the API refused the key (HTTP 401)")))
    }

    /// Found by review: `--no-wait` left as soon as the shared limit held due jobs back, though they are due now.
    @Test("--no-wait waits while the shared limit holds due jobs back, and leaves once only later ones are left")
    func noWaitWaitsForTheSharedLimit() {
        var state = PoolState(configuration: configuration(3) { $0.noWait = true })
        _ = state.begin(following: []) + state.decide(now: start)
        var held = Self.claim([], nextDue: start + 1)
        held.limitReached = true
        held.recheckAt = start + 2
        let waiting = state.handle(.claimed(held, limit: 3, results: []), now: start)
        #expect(Self.finish(waiting) == nil)
        #expect(waiting.contains(.armTimer(start + 1)))
        let again = Self.claims(state.handle(.timer(start + 1), now: start + 1))
        #expect(again.map(\.limit) == [3])
        var later = Self.claim([], nextDue: start + 600)
        later.recheckAt = start + 3
        let done = state.handle(.claimed(later, limit: 3, results: []), now: start + 1)
        #expect(Self.finish(done) == .waiting(until: start + 600))
    }

    @Test("recovered calls take their slots first and are followed, never placed")
    func recoveredCallsTakeSlots() {
        var state = PoolState(configuration: configuration(3))
        let actions = state.begin(following: [Self.call(7, at: start)]) + state.decide(now: start)
        #expect(actions.contains(.follow(Self.call(7, at: start))))
        #expect(Self.claims(actions).map(\.limit) == [2])
    }

    @Test("ends wait for the next claim and are recorded first in it; their events come once it committed")
    func endsRideWithTheNextClaim() {
        var state = PoolState(configuration: configuration(2))
        _ = state.begin(following: []) + state.decide(now: start)
        _ = state.handle(.claimed(Self.claim([1, 2]), limit: 2, results: []), now: start)
        _ = state.handle(.placed(Self.started(1), Self.call(1, at: start)), now: start)
        let ended = state.handle(.callEnded(Self.end(1, at: start + 30), phone: "p1"), now: start + 30)
        let claim = Self.claims(ended)
        #expect(claim.map(\.limit) == [1])
        #expect(claim.first?.results.map(\.result) == [.ended(Self.end(1, at: start + 30))])
        #expect(!Self.emitted(ended).contains { if case .ended = $0 { true } else { false } })
        var committed = Self.claim([3], recorded: 1)
        committed.recorded = [.applied]
        let after = state.handle(.claimed(committed, limit: 1, results: claim[0].results), now: start + 31)
        #expect(
            Self.emitted(after).contains(.ended(jobID: 1, phone: "p1", outcome: "answered", disposition: .completed)))
        #expect(Self.placed(after) == [3])
    }

    @Test("a result whose job changed meanwhile is reported stale, not as done")
    func staleResultReported() {
        var state = PoolState(configuration: configuration(1))
        _ = state.begin(following: []) + state.decide(now: start)
        _ = state.handle(.claimed(Self.claim([1]), limit: 1, results: []), now: start)
        let failed = state.handle(.placeFailed(Self.started(1), .rejected(status: 422, message: "bad")), now: start)
        let results = Self.claims(failed)[0].results
        var committed = Self.claim([], nextDue: nil)
        committed.recorded = [.stale]
        let after = state.handle(.claimed(committed, limit: 1, results: results), now: start)
        #expect(
            Self.emitted(after).contains(
                .staleWrite(jobID: 1, phone: Self.started(1).job.phone, what: "rejected", interactionID: nil)))
        #expect(!Self.emitted(after).contains { if case .rejected = $0 { true } else { false } })
    }

    /// Three calls in flight; the first ends, so a claim for its slot starts committing: the state the
    /// next two tests change while that claim commits.
    func threeInFlightAndAClaimCommitting(_ settings: DispatchConfiguration) -> PoolState {
        var state = PoolState(configuration: settings)
        _ = state.begin(following: []) + state.decide(now: start)
        _ = state.handle(.claimed(Self.claim([1, 2, 3]), limit: 3, results: []), now: start)
        for id in Int64(1)...3 { _ = state.handle(.placed(Self.started(id), Self.call(id, at: start)), now: start) }
        let ended = state.handle(.callEnded(Self.end(1, at: start), phone: ""), now: start)
        #expect(Self.claims(ended).map(\.limit) == [1])
        return state
    }

    @Test("a 429 that arrives while a claim commits holds back its calls until the pause is over")
    func pauseDuringClaim() {
        var state = threeInFlightAndAClaimCommitting(configuration(3))
        let refused = state.handle(
            .placeFailed(Self.started(2), .rateLimited(status: 429, retryAfter: .seconds(40))), now: start)
        #expect(
            Self.emitted(refused).contains { if case .paused(let until, _) = $0 { until == start + 40 } else { false } }
        )
        let handedBack = state.handle(.claimed(Self.claim([4], recorded: 1), limit: 1, results: []), now: start + 1)
        #expect(Self.placed(handedBack).isEmpty)
        let record = Self.claims(handedBack)
        #expect(record.map(\.limit) == [0], "the hand-back and the 429 are recorded at once, nothing taken")
        #expect(
            record.first?.results.map(\.result.kind) == [
                .notPlaced(
                    Self.started(2).intent, httpStatus: 429,
                    reason: "refused for now (HTTP 429); not counted as an attempt", retryAt: start + 40),
                .undone(Self.started(4).intent),
            ])
        let waiting = state.handle(
            .claimed(Self.claim([], recorded: 2), limit: 0, results: record[0].results), now: start + 1)
        #expect(waiting.contains(.armTimer(start + 40)))
        #expect(Self.claims(waiting).isEmpty)
        #expect(Self.claims(state.handle(.timer(start + 40), now: start + 40)).map(\.limit) == [2])
    }

    @Test("a breaker that opens while a claim commits lets one probe through, after its cool-down")
    func breakerDuringClaim() {
        let settings = configuration(3) { $0.breakerThreshold = 1 }
        var state = threeInFlightAndAClaimCommitting(settings)
        let failed = state.handle(
            .placeFailed(Self.started(2), .outcomeUnknown(status: 502, reason: "bad gateway")), now: start)
        let reopen = start + settings.breakerCooldown.seconds
        #expect(Self.emitted(failed).contains(.circuitOpened(until: reopen, failures: 1)))
        let handedBack = state.handle(.claimed(Self.claim([4], recorded: 1), limit: 1, results: []), now: start)
        #expect(Self.placed(handedBack).isEmpty)
        let record = Self.claims(handedBack)
        let waiting = state.handle(
            .claimed(Self.claim([], recorded: 2), limit: 0, results: record[0].results), now: start)
        #expect(waiting.contains(.armTimer(reopen)))
        #expect(state.claimLimit() == 1, "one probe at a time")
        // At the end of the cool-down one probe goes; no second call until it answers.
        let probe = state.handle(.timer(reopen), now: reopen)
        #expect(Self.claims(probe).map(\.limit) == [1])
        let probing = state.handle(.claimed(Self.claim([4]), limit: 1, results: []), now: reopen)
        #expect(Self.placed(probing) == [4])
        #expect(state.startGate(now: reopen) == nil, "wait for the probe")
        let closed = state.handle(.placed(Self.started(4), Self.call(4, at: reopen)), now: reopen)
        #expect(Self.emitted(closed).contains(.circuitClosed))
        #expect(state.claimLimit() == 1, "two calls in flight of three")
    }

    @Test("404, 405 and 501 to POST stop the run with the job undone; 3 identical rejections stop it too")
    func refusalsThatStopTheRun() {
        for status in [404, 405, 501] {
            var state = PoolState(configuration: configuration(1))
            _ = state.begin(following: []) + state.decide(now: start)
            _ = state.handle(.claimed(Self.claim([1]), limit: 1, results: []), now: start)
            let stop = state.handle(.placeFailed(Self.started(1), .rejected(status: status, message: "no")), now: start)
            #expect(Self.claims(stop).first?.results.map(\.result.kind) == [.undone(Self.started(1).intent)])
            let done = state.handle(.claimed(Self.claim([], recorded: 1), limit: 0, results: []), now: start)
            #expect(Self.finish(done) == .failed(.endpointRefused(status: status, message: "no")))
        }
        var state = PoolState(configuration: configuration(1))
        _ = state.begin(following: []) + state.decide(now: start)
        var last: [PoolState.Action] = []
        for id in Int64(1)...3 {
            _ = state.handle(.claimed(Self.claim([id], recorded: id == 1 ? 0 : 1), limit: 1, results: []), now: start)
            last = state.handle(
                .placeFailed(Self.started(id), .rejected(status: 422, message: "bad prompt")), now: start)
        }
        #expect(state.stopping)
        #expect(Self.claims(last).first?.results.last?.result.kind == .undone(Self.started(3).intent))
    }

    @Test("a placed call between two identical rejections starts the count again")
    func placedCallResetsRejections() {
        var state = PoolState(configuration: configuration(1))
        _ = state.begin(following: []) + state.decide(now: start)
        for (id, placed) in [(Int64(1), false), (2, false), (3, true), (4, false), (5, false)] {
            _ = state.handle(.claimed(Self.claim([id]), limit: 1, results: []), now: start)
            if placed {
                _ = state.handle(.placed(Self.started(id), Self.call(id, at: start)), now: start)
                _ = state.handle(.callEnded(Self.end(id, at: start), phone: ""), now: start)
            } else {
                _ = state.handle(.placeFailed(Self.started(id), .rejected(status: 422, message: "bad")), now: start)
            }
        }
        #expect(!state.stopping)
    }

    @Test("with nothing due, the pool sleeps until the next due job; --no-wait finishes instead")
    func sleepsUntilNextDue() {
        let later = start + 600
        for noWait in [false, true] {
            var state = PoolState(configuration: configuration(2) { $0.noWait = noWait })
            _ = state.begin(following: []) + state.decide(now: start)
            let idle = state.handle(.claimed(Self.claim([], nextDue: later), limit: 2, results: []), now: start)
            if noWait {
                #expect(Self.finish(idle) == .waiting(until: later))
            } else {
                #expect(Self.emitted(idle) == [.sleeping(until: later)])
                #expect(idle.contains(.armTimer(later)))
                #expect(Self.claims(state.handle(.timer(later), now: later)).map(\.limit) == [2])
            }
        }
    }

    @Test("nothing queued and nothing in flight: the run is finished")
    func finishesWhenNothingIsLeft() {
        var state = PoolState(configuration: configuration(2))
        _ = state.begin(following: []) + state.decide(now: start)
        let done = state.handle(.claimed(Self.claim([], nextDue: nil), limit: 2, results: []), now: start)
        #expect(Self.finish(done) == .finished)
        #expect(done.contains(.cancelAll))
    }

    @Test("--no-wait ends the run during a long pause with nothing in flight, not a short one")
    func noWaitDuringPause() {
        for (seconds, ends) in [(30.0, false), (120.0, true)] {
            var state = PoolState(configuration: configuration(1) { $0.noWait = true })
            _ = state.begin(following: []) + state.decide(now: start)
            _ = state.handle(.claimed(Self.claim([1]), limit: 1, results: []), now: start)
            let refused = state.handle(
                .placeFailed(Self.started(1), .rateLimited(status: 429, retryAfter: .seconds(seconds))), now: start)
            // The refusal is recorded first; then the pool is idle with a pause ahead.
            let results = Self.claims(refused)[0].results
            let after = state.handle(.claimed(Self.claim([], recorded: 1), limit: 0, results: results), now: start)
            #expect((Self.finish(after) == .waiting(until: start + seconds)) == ends, "\(seconds)s: \(after)")
        }
    }

    @Test("--rate: one job per claim, and the next start waits for the spacing")
    func rateSpacesStarts() throws {
        var state = PoolState(configuration: configuration(5) { $0.rate = try? RatePacer(parsing: "6/min") })
        let first = state.begin(following: []) + state.decide(now: start)
        #expect(Self.claims(first).map(\.limit) == [1])
        let placed = state.handle(.claimed(Self.claim([1]), limit: 1, results: []), now: start)
        #expect(Self.placed(placed) == [1])
        #expect(Self.claims(placed).isEmpty)
        #expect(placed.contains(.armTimer(start + 10)))
    }

    @Test("a stop follows the calls in flight for the grace period, records their ends, then finishes")
    func stopWithGrace() {
        var state = PoolState(configuration: configuration(2) { $0.gracePeriod = .seconds(60) })
        _ = state.begin(following: []) + state.decide(now: start)
        _ = state.handle(.claimed(Self.claim([1, 2]), limit: 2, results: []), now: start)
        _ = state.handle(.placed(Self.started(1), Self.call(1, at: start)), now: start)
        let stop = state.handle(.stopRequested, now: start + 1)
        #expect(Self.emitted(stop) == [.stopping(inFlight: 2, grace: .seconds(60))])
        #expect(stop.contains(.armGrace(start + 61)))
        // The second POST answered after the stop: its call is followed, not abandoned.
        let late = state.handle(.placed(Self.started(2), Self.call(2, at: start)), now: start + 2)
        #expect(late.contains(.follow(Self.call(2, at: start))))
        let ended = state.handle(.callEnded(Self.end(1, at: start + 5), phone: ""), now: start + 5)
        #expect(Self.claims(ended).map(\.limit) == [0], "a stopping pool records, never claims")
        _ = state.handle(.claimed(Self.claim([], recorded: 1), limit: 0, results: []), now: start + 6)
        let expired = state.handle(.graceExpired, now: start + 61)
        #expect(expired.contains(.cancelAll))
        let over = state.handle(.abandoned, now: start + 61)
        #expect(Self.finish(over) == .stopped)
    }

    @Test("a claim that commits after a stop places none of its calls and hands them back")
    func claimAfterStop() {
        var state = PoolState(configuration: configuration(2))
        _ = state.begin(following: []) + state.decide(now: start)
        _ = state.take(.stopRequested, now: start)
        let actions = state.handle(.claimed(Self.claim([1, 2]), limit: 2, results: []), now: start)
        #expect(Self.placed(actions).isEmpty)
        #expect(
            Self.claims(actions).first?.results.map(\.result.kind) == [
                .undone(Self.started(1).intent), .undone(Self.started(2).intent),
            ])
        let done = state.handle(.claimed(Self.claim([], recorded: 2), limit: 0, results: []), now: start)
        #expect(Self.finish(done) == .stopped)
    }

    @Test("a database failure while claiming stops the run and names the ids only this process knows")
    func claimFailure() {
        var state = PoolState(configuration: configuration(1) { $0.waitForCallEnd = true })
        _ = state.begin(following: []) + state.decide(now: start)
        _ = state.handle(.claimed(Self.claim([1]), limit: 1, results: []), now: start)
        var end = Self.end(1, at: start + 9)
        end.placed = PlacedAnswer(interactionID: "call-1", rawJSON: nil)
        let ended = state.handle(.placedAtEnd(Self.started(1), end), now: start + 9)
        let results = Self.claims(ended)[0].results
        let failed = state.handle(
            .claimFailed(.database(CocoaError(.fileWriteOutOfSpace)), results: results), now: start + 9)
        #expect(
            Self.emitted(failed).contains {
                if case .notRecorded(1, _, "call-1", _) = $0 { true } else { false }
            })
        #expect(state.stopping)
    }

    /// Calls in flight are followed meanwhile; the wait doubles from 0.5 s.
    @Test("a lost database connection while claiming starts no call: the claim and its results are tried again")
    func claimConnectionLost() {
        let lost = StoreError.postgres(.cannotConnect(location: "postgres://u@h/db", reason: "connection reset"))
        var state = PoolState(configuration: configuration(2))
        _ = state.begin(following: []) + state.decide(now: start)
        _ = state.handle(.claimed(Self.claim([1, 2]), limit: 2, results: []), now: start)
        _ = state.handle(.placed(Self.started(1), Self.call(1, at: start)), now: start)
        _ = state.handle(.placed(Self.started(2), Self.call(2, at: start)), now: start)
        let ended = state.handle(.callEnded(Self.end(1, at: start + 5), phone: "+1"), now: start + 5)
        let results = Self.claims(ended)[0].results
        #expect(results.count == 1)

        let failed = state.handle(.claimFailed(lost, results: results), now: start + 5)
        #expect(!state.stopping, "a lost connection does not stop the run")
        #expect(Self.claims(failed).isEmpty && Self.placed(failed).isEmpty, "nothing is claimed or placed at once")
        #expect(failed.contains(.armTimer(start + 5.5)))
        #expect(Self.emitted(failed).contains(.storeUnavailable(reason: "\(lost)", retryAt: start + 5.5)))
        // The other call ends meanwhile: no claim before the retry, the call's end waits with the first.
        let second = state.handle(.callEnded(Self.end(2, at: start + 5.2), phone: "+2"), now: start + 5.2)
        #expect(Self.claims(second).isEmpty)

        let retried = state.handle(.timer(start + 5.5), now: start + 5.5)
        #expect(Self.claims(retried).map(\.results.count) == [2], "both ends go with the retried claim")
        let again = state.handle(.claimFailed(lost, results: Self.claims(retried)[0].results), now: start + 5.5)
        #expect(again.contains(.armTimer(start + 6.5)), "the wait doubles")

        let back = state.handle(.timer(start + 6.5), now: start + 6.5)
        let answered = state.handle(
            .claimed(
                Self.claim([3], recorded: 2), limit: Self.claims(back)[0].limit, results: Self.claims(back)[0].results),
            now: start + 6.5)
        #expect(Self.emitted(answered).contains(.storeAnswers))
        #expect(Self.placed(answered) == [3])
    }

    @Test("a lost run lock while claiming stops the run: another run may hold it now")
    func claimLockLost() {
        var state = PoolState(configuration: configuration(1))
        _ = state.begin(following: []) + state.decide(now: start)
        _ = state.handle(.claimFailed(.postgres(.runLockLost(location: "db")), results: []), now: start)
        #expect(state.stopping)
    }

    @Test("no call starts at or after the deadline: a claim then is handed back, and the run ends past it")
    func deadline() {
        let deadline = start + 100
        var state = PoolState(configuration: configuration(2) { $0.deadline = deadline })
        _ = state.begin(following: []) + state.decide(now: start)
        _ = state.handle(.claimed(Self.claim([1]), limit: 2, results: []), now: start)
        _ = state.handle(.placed(Self.started(1), Self.call(1, at: start)), now: start)
        // The job's call goes on past the deadline; a claim committed after it places nothing.
        let ended = state.handle(.callEnded(Self.end(1, at: deadline + 5), phone: ""), now: deadline + 5)
        #expect(Self.claims(ended).map(\.limit) == [0], "records the end, takes nothing")
        let over = state.handle(.claimed(Self.claim([], recorded: 1), limit: 0, results: []), now: deadline + 5)
        #expect(Self.finish(over) == .pastDeadline(deadline))
    }

    @Test("waiting for a job due after the deadline wakes at the deadline and ends the run")
    func deadlineBeforeNextDue() {
        let deadline = start + 100
        var state = PoolState(configuration: configuration(2) { $0.deadline = deadline })
        _ = state.begin(following: []) + state.decide(now: start)
        let idle = state.handle(.claimed(Self.claim([], nextDue: start + 600), limit: 2, results: []), now: start)
        #expect(idle.contains(.armTimer(deadline)))
        #expect(!idle.contains(.armTimer(start + 600)))
        let over = state.handle(.timer(deadline), now: deadline)
        #expect(Self.finish(over) == .pastDeadline(deadline))
    }

    @Test("a claim that commits after the deadline hands its jobs back")
    func claimAfterDeadline() {
        let deadline = start + 1
        var state = PoolState(configuration: configuration(2) { $0.deadline = deadline })
        _ = state.begin(following: []) + state.decide(now: start)
        let late = state.handle(.claimed(Self.claim([1, 2]), limit: 2, results: []), now: deadline)
        #expect(Self.placed(late).isEmpty)
        #expect(
            Self.claims(late).first?.results.map(\.result.kind) == [
                .undone(Self.started(1).intent), .undone(Self.started(2).intent),
            ])
    }

    @Test("a job held back by a per-number cap is reported as such")
    func capWaitReported() {
        var state = PoolState(configuration: configuration(2))
        _ = state.begin(following: []) + state.decide(now: start)
        var claim = Self.claim([], nextDue: start + 3600)
        claim.postponed = [PostponedJob(job: Self.started(1).job, until: start + 3600, reason: .contactPressure)]
        let actions = state.handle(.claimed(claim, limit: 2, results: []), now: start)
        #expect(
            Self.emitted(actions).contains(
                .contactPressure(jobID: 1, phone: Self.started(1).job.phone, until: start + 3600)))
    }
}
