import Foundation

/// The per-call settings a campaign sets as defaults and a row may override.
public struct CallOptions: Sendable, Equatable {
    var language: String?
    var voice: String?
    var from: String?
    var transferTo: String?
    var timezone: String?

    public init(
        language: String? = nil, voice: String? = nil, from: String? = nil, transferTo: String? = nil,
        timezone: String? = nil
    ) {
        self.language = language
        self.voice = voice
        self.from = from
        self.transferTo = transferTo
        self.timezone = timezone
    }

    /// The CSV columns that override a campaign default for one row.
    enum Column: String, CaseIterable, Sendable {
        case language, voice, from
        case transferTo = "transfer_to"
        case timezone
    }

    /// Languages the API accepts (docs/poku-api.md, "Languages and destinations").
    static let languages: Set<String> = [
        "en-US", "de-DE", "es-ES", "hi-IN", "fr-FR", "ja-JP", "pt-PT", "zh-CN", "ru-RU", "it-IT", "ko-KR", "nl-NL",
        "pl-PL", "tr-TR", "vi-VN", "ro-RO", "bg-BG", "ca-ES", "th-TH", "da-DK", "fi-FI", "el-GR", "hu-HU", "id-ID",
        "no-NO", "sk-SK", "sv-SE", "lt-LT", "lv-LV", "cs-CZ", "ms-MY", "af-ZA", "ar-SA", "az-AZ", "bs-BA", "cy-GB",
        "fa-IR", "fil-PH", "gl-ES", "he-IL", "hr-HR", "hy-AM", "is-IS", "kk-KZ", "kn-IN", "mk-MK", "mr-IN", "ne-NP",
        "sl-SI", "sr-RS", "sw-KE", "ta-IN", "ur-IN", "yue-CN", "uk-UA",
    ]
    static let voices: Set<String> = ["male", "female"]

    /// Checks one value of an override column; returns the value to store or what is wrong with it.
    static func validate(
        _ column: Column, _ raw: String, phones: PhoneNormalizer
    ) -> Result<String, OptionProblem> {
        let value = raw.trimmingSpaces
        switch column {
        case .language:
            if languages.contains(value) { return .success(value) }
            if let match = languages.first(where: { $0.lowercased() == value.lowercased() }) {
                return .success(match)
            }
            return .failure(
                OptionProblem("'\(value)' is not a language the API speaks; use a code such as en-US, es-ES or de-DE"))
        case .voice:
            let lower = value.lowercased()
            if voices.contains(lower) { return .success(lower) }
            return .failure(OptionProblem("'\(value)' is not a voice; use male or female"))
        case .from, .transferTo:
            switch phones.normalize(value) {
            case .success(let phone): return .success(phone.e164)
            case .failure(let problem): return .failure(OptionProblem("'\(value)' is \(problem)"))
            }
        case .timezone:
            // Any name the system's zone database resolves (`UTC`, `Etc/GMT-12`, `US/Eastern`), stored as given.
            if ZoneNames.isZoneName(value) { return .success(value) }
            return .failure(
                OptionProblem(
                    "'\(value)' is not an IANA time zone; use a name such as America/New_York or Europe/Berlin"))
        }
    }
}

/// What is wrong with one option value.
public struct OptionProblem: Error, Equatable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
