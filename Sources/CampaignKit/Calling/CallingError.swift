/// A failed request, classified as docs/poku-api.md ("How every answer is classified") says.
public enum CallingError: Error, Sendable, Equatable {
    /// 400 or 422: the request was invalid; no call was placed. The job fails, not retried.
    case rejected(status: Int, message: String)
    /// 401 or 403: bad or missing key. Stop the run; jobs untouched.
    case unauthorized(status: Int, message: String)
    /// 402: out of credits. Stop the run; jobs untouched.
    case outOfCredits(message: String)
    /// 429, or 503 with Retry-After: refused for now; no call was placed, no attempt is used up.
    case rateLimited(status: Int, retryAfter: Duration?)
    /// The request never left (connection refused, DNS failure, connect timeout): no call was placed.
    case notSent(reason: String)
    /// A call may have been placed (5xx, timeout or reset after sending, unreadable answer).
    case outcomeUnknown(status: Int?, reason: String)
    /// 404 from the status endpoint: the API does not know this interaction.
    case interactionNotFound(String)
}
