import ArgumentParser
import CampaignKit
import Foundation

/// A duration given on the command line: its value, and the text the user wrote, which messages repeat.
struct DurationArgument: Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    let text: String
    let value: Duration

    var description: String { text }

    /// A default written in the source (`"30m"`); one that is not a duration is a mistake in the code.
    init(stringLiteral text: String) {
        guard let value = try? DurationParser().parse(text) else { preconditionFailure("not a duration: \(text)") }
        self.init(text: text, value: value)
    }

    private init(text: String, value: Duration) {
        self.text = text
        self.value = value
    }

    /// Reads `option`'s value as the command line is parsed (`@Option(transform:)`): a value that is not a
    /// duration in `range` exits 2 with the accepted range, before anything is opened. Every duration a run
    /// accepts has bounds, so no value can push a date past what the store and the clock can hold.
    static func parser(
        _ option: String, within range: ClosedRange<Duration>
    ) -> @Sendable (String) throws -> DurationArgument {
        { text in DurationArgument(text: text, value: try DurationParser().parse(text, option: option, within: range)) }
    }
}

/// Readers for `run`'s other typed flag values, used as `@Option(transform:)`: ArgumentParser names the flag
/// and the value, the reader's error says what is wrong with it.
enum FlagValue {
    static func rate(_ text: String) throws -> RatePacer { try RatePacer(parsing: text) }

    static func window(_ text: String) throws -> CallingWindow { try CallingWindow(parsing: text) }

    static func skipDates(_ text: String) throws -> Set<LocalDate> { try CallingWindow.skipDates(parsing: text) }

    static func outcomes(_ text: String) throws -> Set<String> { try RetryPolicy.outcomes(fromList: text) }

    static func cap(_ text: String) throws -> ContactPressure.Cap { try ContactPressure.Cap(parsing: text) }

    /// `--until`: a date-time with its offset, or a duration from now (1 minute to 90 days). A time without
    /// an offset is refused: in whose zone it is would be a guess.
    static func deadline(_ text: String) throws -> Date {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let duration = try? DurationParser().parse(trimmed) {
            guard (Duration.seconds(60)...Duration.seconds(90 * 86_400)).contains(duration) else {
                throw RunOptionError("'\(text)' is out of range; accepted: a duration of 1m to 90d, or a date-time")
            }
            return Date().addingTimeInterval(Double(duration.components.seconds))
        }
        let formats: [Date.ISO8601FormatStyle] = [
            .iso8601, Date.ISO8601FormatStyle(includingFractionalSeconds: true),
        ]
        guard let date = formats.lazy.compactMap({ try? Date(trimmed, strategy: $0) }).first
        else {
            throw RunOptionError(
                "'\(text)' is neither a duration (8h) nor a date-time with its offset (2026-12-24T18:00:00-05:00)")
        }
        guard date > Date() else { throw RunOptionError("'\(text)' has passed: no call could start") }
        return date
    }

    /// An IANA zone this host knows (`--timezone`); never the machine's own as a fallback.
    static func timeZone(_ name: String) throws -> TimeZone {
        guard let zone = ZoneNames.zone(named: name) else {
            throw RunOptionError("'\(name)' is not an IANA time zone (e.g. America/New_York)")
        }
        return zone
    }
}

/// A flag value `run` cannot use.
struct RunOptionError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
