import Foundation

/// What the pool state machine (`PoolState`) takes in and gives out: the loop reports events, carries out actions.
extension PoolState {
    /// What happened, as the loop reports it.
    enum Event: Sendable {
        /// A claim committed: it recorded `results` (in order, `claim.recorded` says which were written)
        /// and took `claim.started` (their intents durable), from at most `limit`.
        case claimed(Claim, limit: Int, results: [PendingResult])
        /// A claim failed: nothing of it was written, the results it carried included.
        case claimFailed(StoreError, results: [PendingResult])
        /// A POST answered with an interactionId, and the store recorded it: the call is to be followed.
        case placed(StartedJob, FollowedCall)
        /// A POST answered only at the call's end (`waitForCallEnd`): placed and ended at once.
        case placedAtEnd(StartedJob, CallEnd)
        /// A POST answered with an interactionId the store could not record as asked.
        case placedNotRecorded(StartedJob, interactionID: String, problem: PlacedProblem)
        /// A POST failed: what the client said, at that time.
        case placeFailed(StartedJob, CallingError)
        /// The POST was not sent: the store no longer vouches that this run owns the job (a runner whose lease
        /// was not renewed for half a lease). Its intent is undone, as if never claimed.
        case notSentUnfenced(StartedJob)
        /// A followed call ended; its end is recorded with the next claim.
        case callEnded(CallEnd, phone: String)
        /// A followed call's result cannot be learnt (unknown to the API, or past `--max-call-duration`).
        case needsReview(FollowedCall, httpStatus: Int?, reason: String)
        /// Following a call, the API refused the key or the credits ran out: the run stops.
        case followFailed(DispatchError)
        /// A followed call was cancelled (the grace period passed): its job stays `in_progress`.
        case abandoned
        /// A timer the loop armed fired.
        case timer(Date)
        case stopRequested
        /// The run itself was cancelled: no grace period.
        case cancelled
        case graceExpired
        /// Several runners: another runner or verb said something this run may wait for happened (`nudges()`);
        /// `more`: false once no more will come.
        case nudged(more: Bool)

        /// What a follow task returns (`Dispatcher.follow`), and nothing else does.
        var isFollowReport: Bool {
            switch self {
            case .callEnded, .needsReview, .followFailed, .abandoned: true
            default: false
            }
        }
    }

    /// Why a placed call's interactionId is not in the store.
    enum PlacedProblem: Sendable {
        /// The job changed under this run (the write was refused): the call is not followed here.
        case stale
        /// The database failed: the run stops, and the id is only in what is printed.
        case failed(StoreError)
    }

    /// What the loop is to do, in order.
    enum Action: Sendable, Equatable {
        /// Commit `results`, then take up to `limit` due jobs (0: only record), in one transaction.
        case claim(limit: Int, results: [PendingResult])
        /// Place a claimed job's call (its intent is committed).
        case place(StartedJob)
        /// Follow a placed call to its end.
        case follow(FollowedCall)
        /// Report `.timer(at)` at `at`.
        case armTimer(Date)
        /// Report `.graceExpired` at `at`.
        case armGrace(Date)
        case emit(DispatchEvent)
        /// Emit a progress line (the loop reads the counts).
        case progress(inFlight: Int, endedCalls: Int)
        /// Cancel every task (the calls still followed stay `in_progress`).
        case cancelAll
        /// The run is over.
        case finish(Finish)
    }

    enum Finish: Sendable, Equatable {
        case finished
        case stopped
        /// `--no-wait`: nothing can start before `until`.
        case waiting(until: Date)
        /// `--until` passed with nothing in flight.
        case pastDeadline(Date)
        case failed(DispatchError)

        /// Errors compare by what they say (a store error may wrap any error).
        static func == (lhs: Finish, rhs: Finish) -> Bool {
            switch (lhs, rhs) {
            case (.finished, .finished), (.stopped, .stopped): true
            case (.waiting(let a), .waiting(let b)), (.pastDeadline(let a), .pastDeadline(let b)): a == b
            case (.failed(let a), .failed(let b)): a.description == b.description
            default: false
            }
        }
    }
}
