import Foundation

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
