import Foundation

/// A queued job the dispatcher may dial next, with everything its POST needs.
public struct DueJob: Sendable, Equatable {
    var id: Int64
    var phone: String
    /// Attempts already used (before this one).
    var attempts: Int
    /// The request body, with row overrides applied over the campaign defaults.
    var request: CallRequest
    /// The recipient's IANA zone: the row's, else the campaign's; `nil` leaves it to the run's default.
    var timeZone: String?
}

/// What one claim took from the queue, in one transaction.
public struct Claim: Sendable, Equatable {
    /// Jobs whose intent is committed: each must now be placed (or its intent answered otherwise).
    var started: [StartedJob] = []
    /// Jobs outside their calling window, left queued until the date given.
    var postponed: [PostponedJob] = []
    /// For each result recorded first, in order: written, or refused because its job had changed.
    var recorded: [GuardedWrite] = []
    /// When the next queued job is due after the claim (`distantPast`: one is due now); `nil` when none is
    /// queued.
    var nextDue: Date?
    /// Several runners (PostgreSQL): placed calls whose runner stopped, now this run's to follow by their
    /// interactionId (never to redial). Each takes a slot of this run.
    var adopted: [FollowedCall] = []
    /// Several runners: other runners' work may make a job due that this run cannot see coming (a retry after
    /// their call, an import, a freed shared slot): claim again by then. `nil`: nothing left anywhere.
    var recheckAt: Date?
    /// Several runners: another runner met a 401 or 402 (what it said): this one takes nothing and stops too.
    var halted: String?
    /// Several runners: why due jobs were held back when the reason is not another runner's calls (unknown jobs
    /// holding slots), for the run to say once.
    var heldBack: String?
    /// Several runners: due jobs were left queued because the campaign's shared limit was full (other runners' calls).
    var limitReached = false
}

struct StartedJob: Sendable, Equatable {
    var job: DueJob
    var intent: AttemptIntent
}

struct PostponedJob: Sendable, Equatable {
    var job: DueJob
    var until: Date
    var reason: Reason = .window

    enum Reason: Sendable, Equatable {
        /// Outside its calling window, or its zone unknown on this host.
        case window
        /// The number was called too often or too recently (`ContactPressure`), in any campaign.
        case contactPressure
    }
}

/// The row written before a POST: the proof that a call may be under way.
public struct AttemptIntent: Sendable, Equatable {
    var jobID: Int64
    var attemptID: Int64
    /// The job's attempt count including this one (what retry policy counts).
    var attemptNumber: Int
    /// The job's `last_attempt_at` before the intent, restored if the intent is undone.
    var previousLastAttemptAt: String?
    /// The job's `updated_at` before the intent, restored with it: an undone intent leaves no trace on the job.
    var previousUpdatedAt: String? = nil
    /// The job's `next_attempt_at` before the intent (a retry's due time), restored with it.
    var previousNextAttemptAt: String? = nil
    /// PostgreSQL: the job's `runner_id` before the intent (the runner of its previous attempt), restored with it.
    var previousRunnerID: Int64? = nil

    var attempt: AttemptRef { AttemptRef(jobID: jobID, attemptID: attemptID, attemptNumber: attemptNumber) }
}

/// A placed call being followed by its interactionId.
public struct FollowedCall: Sendable, Equatable {
    public internal(set) var jobID: Int64
    var attemptID: Int64
    var attemptNumber: Int
    var phone: String
    var interactionID: String
    /// When its intent was committed: `--max-call-duration` counts from here.
    var startedAt: Date

    var attempt: AttemptRef { AttemptRef(jobID: jobID, attemptID: attemptID, attemptNumber: attemptNumber) }
}

/// Which attempt of which job a write is about: what every write after a POST is guarded on.
struct AttemptRef: Sendable, Equatable {
    var jobID: Int64
    var attemptID: Int64
    var attemptNumber: Int
}

/// Whether a guarded write found the job as its writer left it (`applied`), or found it changed by someone
/// else and changed nothing (`stale`): a stale write is logged, never applied and never retried blindly.
public enum GuardedWrite: Sendable, Equatable {
    case applied
    case stale
}

/// What `recoverAtStart` found from an earlier run.
public struct Recovery: Sendable, Equatable {
    /// Jobs found in `dialing`: the process died between the intent and the POST's answer. Now `unknown`.
    public var unknownJobIDs: [Int64]
    /// Jobs found `in_progress`, to follow again by interactionId (never to redial).
    public var inProgress: [FollowedCall]
    /// `in_progress` calls placed through another API than this run's (by API): not followed here, never
    /// redialled; a run on that API follows them.
    public var placedElsewhere: [String: Int] = [:]
}

/// How an ended call leaves its job.
public enum EndDisposition: Sendable, Equatable {
    case completed
    case retry(at: Date)
    /// Attempts used up on a retryable outcome.
    case failed(reason: String)

    /// The job's columns this disposition writes at `stamp`, as every store writes them.
    func jobColumns(stamp: String) -> (status: JobStatus, nextAttempt: String?, completedAt: String?, error: String?) {
        switch self {
        case .completed: (.completed, nil, stamp, nil)
        case .retry(let at): (.queued, Timestamp.string(at), nil, nil)
        case .failed(let reason): (.failed, nil, stamp, reason)
        }
    }
}

/// A call's end as the dispatcher records it: the attempt's result and the job's next state.
struct CallEnd: Sendable, Equatable {
    var jobID: Int64
    var attemptID: Int64
    /// The job's attempt count this call was placed as (the guard of every write about it).
    var attemptNumber: Int
    var result: EndedCall
    var disposition: EndDisposition
    var at: Date
    /// The POST's answer when it came only at the call's end (`waitForCallEnd`): recorded with the end, so
    /// the job goes from `dialing` to its end state in one commit.
    var placed: PlacedAnswer?

    init(
        jobID: Int64, attemptID: Int64, attemptNumber: Int, result: EndedCall, disposition: EndDisposition, at: Date,
        placed: PlacedAnswer? = nil
    ) {
        self.jobID = jobID
        self.attemptID = attemptID
        self.attemptNumber = attemptNumber
        self.result = result
        self.disposition = disposition
        self.at = at
        self.placed = placed
    }
}

/// The answer to a POST: the call's interactionId and the JSON as received.
struct PlacedAnswer: Sendable, Equatable {
    var interactionID: String
    var rawJSON: String?

    init(interactionID: String, rawJSON: String?) {
        self.interactionID = interactionID
        self.rawJSON = rawJSON
    }
}

/// The result fields of an ended call.
struct EndedCall: Sendable, Equatable {
    var outcome: String
    var summary: String?
    var recordingURL: String?
    var rawJSON: String?

    init(outcome: String, summary: String?, recordingURL: String?, rawJSON: String?) {
        self.outcome = outcome
        self.summary = summary
        self.recordingURL = recordingURL
        self.rawJSON = rawJSON
    }
}

/// What became of one attempt after its intent, as the run records it. Every such write goes through one
/// path (`CampaignStore.record(_:)`, or first in a claim's transaction), each as a compare-and-set on the
/// job's status, attempt count and latest attempt.
public struct AttemptResult: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// The call ended: a followed call, or the POST's answer at the call's end (`waitForCallEnd`).
        case ended(CallEnd)
        /// The API refused the call (400, 422, …): none was placed; the job fails with the API's message.
        case rejected(AttemptIntent, httpStatus: Int, message: String)
        /// Refused before any call was placed (429, 503, a request not sent): the attempt is given back and
        /// the job is due again at `retryAt` (`nil`: now).
        case notPlaced(AttemptIntent, httpStatus: Int?, reason: String, retryAt: Date?)
        /// The POST's answer was lost: a call may be ringing, so the job is `unknown` for a person.
        case unknown(AttemptIntent, httpStatus: Int?, reason: String)
        /// Never sent, or refused for the whole run (401, 402, a wrong URL): the job is left exactly as it
        /// was before the intent.
        case undone(AttemptIntent)
        /// A placed call whose result cannot be learnt: `unknown` with its interactionId, for a person.
        case needsReview(FollowedCall, httpStatus: Int?, reason: String)
    }

    var kind: Kind
    /// When it happened (the time written).
    var at: Date

    init(_ kind: Kind, at: Date) {
        self.kind = kind
        self.at = at
    }

    static func ended(_ end: CallEnd) -> AttemptResult { AttemptResult(.ended(end), at: end.at) }

    var jobID: Int64 {
        switch kind {
        case .ended(let end): end.jobID
        case .rejected(let intent, _, _), .notPlaced(let intent, _, _, _), .unknown(let intent, _, _),
            .undone(let intent):
            intent.jobID
        case .needsReview(let call, _, _): call.jobID
        }
    }
}
