/// A job's status, stored as its raw text in `jobs.status` (the schema's CHECK lists exactly these).
public enum JobStatus: String, Sendable, CaseIterable, Codable {
    /// Waiting to be called (now, or at `next_attempt_at`).
    case queued
    /// Its intent is committed and its POST may be under way: a call may be ringing.
    case dialing
    /// Placed, with an interactionId: followed until it ends.
    case inProgress = "in_progress"
    case completed
    /// Rejected by the API, or attempts used up.
    case failed
    /// A call may have been placed but its result is unknown: never redialled without a person.
    case unknown
    case cancelled
    /// On the do-not-call list: never dialled.
    case suppressed

    /// Nothing more happens to a job in these without a person.
    var isFinal: Bool {
        switch self {
        case .completed, .failed, .unknown, .cancelled, .suppressed: true
        case .queued, .dialing, .inProgress: false
        }
    }
}

/// An attempt's state, stored as its raw text in `attempts.state` (the schema's CHECK lists exactly these).
enum AttemptState: String, Sendable, CaseIterable, Codable {
    /// The intent, committed before the POST.
    case dialing
    /// The POST answered with an interactionId.
    case placed
    case ended
    case rejected
    case unknown
    /// Refused before any call was placed (429, 503, not sent): no attempt used.
    case notPlaced = "not_placed"
}
