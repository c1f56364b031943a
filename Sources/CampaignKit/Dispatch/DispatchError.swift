import Foundation

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
    /// Several runners: another runner of the campaign met a 401 or 402 and stopped them all.
    case haltedByAnotherRunner(reason: String)

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
        case .haltedByAnotherRunner(let reason):
            return "another runner of this campaign stopped every runner: \(reason)"
        }
    }
}
