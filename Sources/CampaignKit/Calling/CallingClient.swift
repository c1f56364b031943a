import Foundation

/// The seam between the dispatcher and Poku: the real HTTP client and test doubles plug in here.
/// Every failure is a `CallingError`, classified by whether a call may have been placed.
public protocol CallingClient: Sendable {
    /// Which API this client talks to (its base URL, without credentials): recorded on each attempt, so that
    /// a call is only ever followed on the API that placed it.
    var api: String { get }
    /// POST /calls. With `waitForCallEnd` the answer comes when the call has ended.
    func placeCall(_ request: CallRequest) async throws(CallingError) -> PlacedCall
    /// GET /interactions/{id}/status.
    func status(of interactionID: String) async throws(CallingError) -> CallStatusReport
}

/// The body of POST /calls (docs/poku-api.md). Unset optional fields are omitted from the JSON.
public struct CallRequest: Sendable, Equatable, Codable {
    var prompt: String
    var to: String
    var from: String?
    var transferTo: String?
    var language: String?
    var voice: String?
    var waitForCallEnd: Bool?

    init(
        prompt: String, to: String, from: String? = nil, transferTo: String? = nil, language: String? = nil,
        voice: String? = nil, waitForCallEnd: Bool? = nil
    ) {
        self.prompt = prompt
        self.to = to
        self.from = from
        self.transferTo = transferTo
        self.language = language
        self.voice = voice
        self.waitForCallEnd = waitForCallEnd
    }
}

/// What a call produced when it ended with a result (a `completionEvent`, or the answer of a
/// `waitForCallEnd` POST).
struct CallCompletion: Sendable, Equatable {
    var summary: String?
    var recordingURL: String?
    /// The whole JSON object as received, unknown fields included.
    var rawJSON: String

    init(summary: String?, recordingURL: String?, rawJSON: String) {
        self.summary = summary
        self.recordingURL = recordingURL
        self.rawJSON = rawJSON
    }
}

/// The answer to POST /calls.
public struct PlacedCall: Sendable, Equatable {
    var interactionID: String
    /// Present only for `waitForCallEnd` calls.
    var completion: CallCompletion?
    var rawJSON: String

    init(interactionID: String, completion: CallCompletion?, rawJSON: String) {
        self.interactionID = interactionID
        self.completion = completion
        self.rawJSON = rawJSON
    }
}

/// The answer to GET /interactions/{id}/status.
public struct CallStatusReport: Sendable, Equatable {
    enum State: Sendable, Equatable {
        case pending
        /// Ended; `nil` completion means the call produced no result (no answer, or the window expired).
        case ended(CallCompletion?)
    }

    var state: State
    var rawJSON: String

    init(state: State, rawJSON: String) {
        self.state = state
        self.rawJSON = rawJSON
    }
}

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
