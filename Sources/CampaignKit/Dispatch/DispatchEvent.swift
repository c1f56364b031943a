import Foundation

/// What a run reports as it goes, for the CLI's progress line and log.
public enum DispatchEvent: Sendable, Equatable {
    /// State left by an earlier run: `dialing` jobs now unknown, `in_progress` calls followed again.
    case recovered(Recovery)
    /// Several runners: calls placed by a runner that stopped, now followed by this one (never redialled).
    case adopted([FollowedCall])
    /// Several runners: due jobs wait for a reason a person may not guess (unknown jobs holding slots).
    case heldBack(reason: String)
    case placed(jobID: Int64, phone: String, attempt: Int)
    case ended(jobID: Int64, phone: String, outcome: String, disposition: EndDisposition)
    case rejected(jobID: Int64, phone: String, message: String)
    /// A call may have been placed but its answer was lost: the job is `unknown`, never redialled automatically.
    case unknown(jobID: Int64, phone: String, reason: String)
    case needsReview(jobID: Int64, phone: String, reason: String)
    case outsideWindow(jobID: Int64, phone: String, until: Date)
    /// The number was called too often or too recently (in any campaign): the job waits until `until`.
    case contactPressure(jobID: Int64, phone: String, until: Date)
    /// A write about this job was refused: the job had changed under this run (a person resolved it, another
    /// process took it). Nothing was written; `interactionID` is the call's, when one was placed.
    case staleWrite(jobID: Int64, phone: String, what: String, interactionID: String?)
    /// A call was placed but its interactionId could not be stored (the database failed): the id is only here.
    /// The run stops; the job is found `dialing` by the next run and becomes `unknown`, never redialled.
    case notRecorded(jobID: Int64, phone: String, interactionID: String, reason: String)
    /// With a calling window, a job whose zone this host does not know (or that names none and the run gave
    /// none) is not called; it waits until `until`, when it is looked at again.
    case zoneUnknown(jobID: Int64, phone: String, zone: String?, until: Date)
    /// No call starts before `until` (429, 503 with Retry-After, or the API unreachable).
    case paused(until: Date, reason: String)
    case circuitOpened(until: Date, failures: Int)
    case circuitClosed
    /// The database did not answer a claim (its connection was lost): no call starts, and the claim with the
    /// results it carried is tried again at `retryAt`; calls in flight are followed meanwhile.
    case storeUnavailable(reason: String, retryAt: Date)
    /// A claim committed after the database had not answered.
    case storeAnswers
    /// Nothing is due: the run sleeps until a retry or a calling window.
    case sleeping(until: Date)
    /// A stop was asked for: no new calls; calls in flight are followed for `grace`.
    case stopping(inFlight: Int, grace: Duration)
    case progress(DispatchProgress)
}

/// Counts for the live progress line.
public struct DispatchProgress: Sendable, Equatable {
    public var counts: JobCounts
    public var inFlight: Int
    /// Calls ended per minute since the run started.
    public var callsPerMinute: Double?
    /// When the jobs left would be done at that rate (an estimate, ignoring retries not yet due).
    public var estimatedEnd: Date?
}
