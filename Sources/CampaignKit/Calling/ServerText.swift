import Foundation

/// Text that came from the API (error messages, summaries, ids, status words) made safe to print and
/// store: a server, or a stranger's words in a call summary, must not be able to send terminal escape
/// sequences to the user's screen or forge lines in a log.
enum ServerText {
    /// For text shown on one line (an error, an id): every control character (C0, DEL, C1) becomes a space.
    static func line(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { isControl($0) ? " " : $0 }))
    }

    /// For text that may span lines (a call summary): TAB and LF stay, every other control character goes.
    static func text(_ text: String) -> String {
        func drop(_ scalar: Unicode.Scalar) -> Bool { isControl(scalar) && scalar != "\t" && scalar != "\n" }
        guard text.unicodeScalars.contains(where: drop) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.filter { !drop($0) }))
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}

/// The one pass every error text goes through before it leaves the client: the API key is cut out
/// (an HTTP library may quote the `Authorization` header it refused; a server may echo it) and
/// control characters are made harmless.
struct SecretRedactor: Sendable {
    /// The key as given and as trimmed: either may appear in a library's message.
    private let secrets: [String]

    init(secret: String) {
        let trimmed = secret.trimmingCharacters(in: .whitespacesAndNewlines)
        secrets = Array(Set([secret, trimmed].filter { !$0.isEmpty })).sorted { $0.count > $1.count }
    }

    func redact(_ text: String) -> String {
        var text = text
        for secret in secrets where text.contains(secret) {
            text = text.replacingOccurrences(of: secret, with: "***")
        }
        return ServerText.line(text)
    }

    func clean(_ error: CallingError) -> CallingError {
        switch error {
        case .rejected(let status, let message): return .rejected(status: status, message: redact(message))
        case .unauthorized(let status, let message): return .unauthorized(status: status, message: redact(message))
        case .outOfCredits(let message): return .outOfCredits(message: redact(message))
        case .rateLimited: return error
        case .notSent(let reason): return .notSent(reason: redact(reason))
        case .outcomeUnknown(let status, let reason): return .outcomeUnknown(status: status, reason: redact(reason))
        case .interactionNotFound(let id): return .interactionNotFound(redact(id))
        }
    }
}
