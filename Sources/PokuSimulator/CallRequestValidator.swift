import Foundation

/// Checks a POST /calls body exactly as docs/poku-api.md describes it, so a client that drifts from
/// the contract fails in tests rather than against the real API.
enum CallRequestValidator {
    /// A body that passed validation.
    struct Valid: Sendable {
        var prompt: String
        var to: String
        var from: String?
        var waitForCallEnd: Bool
    }

    /// Why a body was refused: 400 for a malformed request, 422 for a well-formed one with a bad value.
    struct Failure: Error, Sendable {
        var status: Int
        var message: String
        var code: String
    }

    static let languages: Set<String> = [
        "en-US", "de-DE", "es-ES", "hi-IN", "fr-FR", "ja-JP", "pt-PT", "zh-CN", "ru-RU", "it-IT", "ko-KR", "nl-NL",
        "pl-PL", "tr-TR", "vi-VN", "ro-RO", "bg-BG", "ca-ES", "th-TH", "da-DK", "fi-FI", "el-GR", "hu-HU", "id-ID",
        "no-NO", "sk-SK", "sv-SE", "lt-LT", "lv-LV", "cs-CZ", "ms-MY", "af-ZA", "ar-SA", "az-AZ", "bs-BA", "cy-GB",
        "fa-IR", "fil-PH", "gl-ES", "he-IL", "hr-HR", "hy-AM", "is-IS", "kk-KZ", "kn-IN", "mk-MK", "mr-IN", "ne-NP",
        "sl-SI", "sr-RS", "sw-KE", "ta-IN", "ur-IN", "yue-CN", "uk-UA",
    ]
    static let knownFields: Set<String> = ["prompt", "to", "from", "transferTo", "language", "voice", "waitForCallEnd"]

    /// `^\+[1-9]\d{1,14}$`
    static func isE164(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 3, bytes.count <= 16, bytes[0] == UInt8(ascii: "+") else { return false }
        guard (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(bytes[1]) else { return false }
        return bytes.dropFirst(2).allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// The JSON object of a body, if it is one.
    static func object(_ body: Data) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
    }

    static func validate(_ body: Data) -> Result<Valid, Failure> {
        guard let object = object(body) else {
            return .failure(Failure(status: 400, message: "the body is not a JSON object", code: "invalid_json"))
        }
        if let unknown = object.keys.sorted().first(where: { !knownFields.contains($0) }) {
            return .failure(Failure(status: 400, message: "unknown field '\(unknown)'", code: "unknown_field"))
        }
        guard let prompt = object["prompt"] as? String else {
            return .failure(Failure(status: 400, message: "'prompt' is required (string)", code: "missing_prompt"))
        }
        guard let to = object["to"] as? String else {
            return .failure(Failure(status: 400, message: "'to' is required (E.164 string)", code: "missing_to"))
        }
        if prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return .failure(Failure(status: 422, message: "'prompt' is empty", code: "invalid_prompt"))
        }
        guard isE164(to) else {
            return .failure(Failure(status: 422, message: "'to' is not an E.164 number: \(to)", code: "invalid_to"))
        }
        for field in ["from", "transferTo"] {
            guard let value = object[field] else { continue }
            guard let number = value as? String, isE164(number) else {
                return .failure(
                    Failure(status: 422, message: "'\(field)' is not an E.164 number", code: "invalid_\(field)"))
            }
        }
        if let value = object["language"] {
            guard let language = value as? String, languages.contains(language) else {
                return .failure(Failure(status: 422, message: "'language' is not supported", code: "invalid_language"))
            }
        }
        if let value = object["voice"] {
            guard let voice = value as? String, voice == "male" || voice == "female" else {
                return .failure(Failure(status: 422, message: "'voice' must be male or female", code: "invalid_voice"))
            }
        }
        // JSONSerialization turns booleans into numbers; the decoder tells a real JSON boolean apart.
        struct Flag: Decodable { var waitForCallEnd: Bool? }
        guard let flag = try? JSONDecoder().decode(Flag.self, from: body) else {
            return .failure(Failure(status: 400, message: "'waitForCallEnd' must be a boolean", code: "invalid_wait"))
        }
        let waitForCallEnd = flag.waitForCallEnd ?? false
        return .success(Valid(prompt: prompt, to: to, from: object["from"] as? String, waitForCallEnd: waitForCallEnd))
    }

}
