import Foundation

/// What a run reports as it goes, for the CLI's progress line and log.
public enum DispatchEvent: Sendable, Equatable {
    /// State left by an earlier run: `dialing` jobs now unknown, `in_progress` calls followed again.
    case recovered(Recovery)
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

/// How `Dispatcher.run` ended without an error.
public enum RunResult: Sendable, Equatable {
    /// Every job is in an end state.
    case finished(JobCounts)
    /// Only jobs waiting for a retry time or a calling window are left (`noWait`): run again after `until`.
    case waiting(until: Date, JobCounts)
    /// Stopped on request; everything is in the database and the next run continues.
    case stopped(JobCounts)
    /// The deadline (`--until`) passed: no call started after it; queued jobs stay queued.
    case pastDeadline(Date, JobCounts)
}

/// Why a run stopped early.
public enum DispatchError: Error, Sendable, CustomStringConvertible {
    case unauthorized(status: Int, message: String)
    case outOfCredits(message: String)
    case store(StoreError)
    /// 404, 405 or 501 to POST /calls: the API URL is wrong. No job was changed.
    case endpointRefused(status: Int, message: String)
    /// `jobs` POSTs in a row were rejected with this same status and message; the last one was left untouched.
    case repeatedRejection(status: Int, message: String, jobs: Int)
    /// A Retry-After beyond `RetryAfter.longestPause`; `capped` when the server asked for longer than can be said.
    case retryAfterTooLong(status: Int, until: Date, capped: Bool)

    public var description: String {
        switch self {
        case .endpointRefused(let status, let message):
            return "the API URL does not accept POST /calls (HTTP \(status)\(message.isEmpty ? "" : ": \(message)")); "
                + "check --api-url (or POKU_API_URL). No job was changed"
        case .repeatedRejection(let status, let message, let jobs):
            return "the API rejected \(jobs) calls in a row with the same answer (HTTP \(status): \(message)); "
                + "stopped before it fails every job. The rejected jobs are failed: fix the cause, then "
                + "campaign resolve --requeue ID... and run again"
        case .retryAfterTooLong(let status, let until, let capped):
            let when = capped ? "more than 100 years ahead" : "until \(Timestamp.string(until))"
            return "the API asked to wait \(when) (HTTP \(status) with Retry-After), more than the longest pause "
                + "a run waits (1 hour); stopped. The job is due again and used no attempt: run again later"
        case .unauthorized(let status, let message):
            return "the API refused the key (HTTP \(status)\(message.isEmpty ? "" : ": \(message)")); "
                + "check POKU_API_KEY. No job was changed; run again when the key is fixed"
        case .outOfCredits(let message):
            return "the Poku account is out of credits (HTTP 402\(message.isEmpty ? "" : ": \(message)")); "
                + "top up, then run again. No job was changed"
        case .store(let error):
            return "\(error)"
        }
    }
}
