import Foundation

/// What the simulator does with one request instead of (or on top of) answering it normally.
///
/// Written in scripts as `kind[:key=value,...]`, e.g. `"429:retry-after=2"`,
/// `"429:retry-after-date=5"`, `"503:retry-after=1"`, `"drop-after-place"`, `"slow:delay=1.5"`.
/// Any fault takes an optional `delay=SECONDS` applied before the answer.
public struct SimulatedFault: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Answer normally.
        case ok
        /// Answer with this HTTP status and a JSON error body; no call is placed.
        case httpError(status: Int)
        /// Place the call, then close the connection without answering.
        case dropAfterPlace
        /// Close the connection without answering and without placing a call.
        case dropBeforePlace
        /// Place the call and answer 200 with a body that is not valid JSON.
        case malformedBody
        /// Place the call normally, but answer 404 to every status request for it.
        case statusNotFound
    }

    /// How a `Retry-After` header is written.
    public enum RetryAfter: Sendable, Equatable {
        /// Delta-seconds form: `Retry-After: 2`.
        case seconds(Int)
        /// HTTP-date form, this many seconds after the answer: `Retry-After: Tue, 24 Nov 2026 16:00:02 GMT`.
        case date(secondsFromNow: Int)
    }

    public var kind: Kind
    public var retryAfter: RetryAfter?
    /// Seconds to wait before answering (a slow API).
    public var delay: Double
    /// The text the fault was written as, kept for the ledger.
    public var description: String

    public static let ok = SimulatedFault(kind: .ok, retryAfter: nil, delay: 0, description: "ok")

    public init(kind: Kind, retryAfter: RetryAfter? = nil, delay: Double = 0, description: String? = nil) {
        self.kind = kind
        self.retryAfter = retryAfter
        self.delay = delay
        self.description = description ?? "\(kind)"
    }

    /// Parses the script notation described on the type.
    public init(parsing text: String) throws(SimulatorScriptError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: ":", maxSplits: 1).map(String.init)
        guard let head = parts.first?.lowercased(), !head.isEmpty else { throw .badFault(text, "empty fault") }
        var retryAfter: RetryAfter?
        var delay = 0.0
        if parts.count == 2 {
            for option in parts[1].split(separator: ",") {
                let pair = option.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2 else { throw .badFault(text, "option '\(option)' is not key=value") }
                switch pair[0].lowercased() {
                case "retry-after":
                    guard let seconds = Int(pair[1]), seconds >= 0 else { throw .badFault(text, "bad retry-after") }
                    retryAfter = .seconds(seconds)
                case "retry-after-date":
                    guard let seconds = Int(pair[1]) else { throw .badFault(text, "bad retry-after-date") }
                    retryAfter = .date(secondsFromNow: seconds)
                case "delay":
                    guard let seconds = Double(pair[1]), seconds >= 0 else { throw .badFault(text, "bad delay") }
                    delay = seconds
                default:
                    throw .badFault(text, "unknown option '\(pair[0])'")
                }
            }
        }
        let kind: Kind
        switch head {
        case "ok", "slow": kind = .ok
        case "drop-after-place": kind = .dropAfterPlace
        case "drop-before-place", "drop": kind = .dropBeforePlace
        case "malformed", "malformed-json": kind = .malformedBody
        case "status-404": kind = .statusNotFound
        default:
            guard let status = Int(head), (400...599).contains(status) else {
                throw .badFault(text, "unknown fault kind '\(head)'")
            }
            kind = .httpError(status: status)
        }
        if head == "slow" && delay == 0 { delay = 1 }
        self.init(kind: kind, retryAfter: retryAfter, delay: delay, description: trimmed)
    }
}

/// A fault script that cannot be used.
public enum SimulatorScriptError: Error, Sendable, Equatable, CustomStringConvertible {
    case badFault(String, String)
    case badOutcome(String)
    case unreadable(String)

    public var description: String {
        switch self {
        case .badFault(let text, let reason): "fault '\(text)' in the simulator script: \(reason)"
        case .badOutcome(let text):
            "outcome '\(text)' in the simulator script: use answered, voicemail, busy or no-answer"
        case .unreadable(let reason): "the simulator script is not readable: \(reason)"
        }
    }
}
