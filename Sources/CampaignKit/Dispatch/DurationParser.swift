import Foundation

/// Reads the durations the command line accepts (`250ms`, `5s`, `30m`, `2h`, `1d`, or plain seconds).
///
/// A value type with one pure function so every flag that takes a duration (`--retry-delay`,
/// `--poll-interval`, …) reads it the same way and fails with the same words.
public struct DurationParser: Sendable {
    public init() {}

    /// The duration `text` names; fractional amounts (`1.5h`) are allowed, negative ones are not.
    public func parse(_ text: String) throws(DurationParseError) -> Duration {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !trimmed.isEmpty else { throw .init(text: text) }
        let units: [(suffix: String, seconds: Double)] = [
            ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400),
        ]
        var number = Substring(trimmed)
        var scale = 1.0
        for unit in units where trimmed.hasSuffix(unit.suffix) {
            number = trimmed.dropLast(unit.suffix.count)
            scale = unit.seconds
            break
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            let value = Double(number), value.isFinite, value >= 0
        else { throw .init(text: text) }
        let millis = (value * scale * 1000).rounded()
        guard millis < Double(Int64.max) else { throw .init(text: text) }
        return .milliseconds(Int64(millis))
    }

    /// The duration `text` names for the flag `option`, refused unless it lies in `range`: every duration a
    /// run accepts has bounds, so no value can push a date past what the store and the clock can hold.
    public func parse(
        _ text: String, option: String, within range: ClosedRange<Duration>
    ) throws(DurationParseError) -> Duration {
        let value: Duration
        do {
            value = try parse(text)
        } catch {
            throw DurationParseError(text: text, option: option, range: range)
        }
        guard range.contains(value) else { throw DurationParseError(text: text, option: option, range: range) }
        return value
    }
}

/// A duration the user wrote that is not one, or is out of the flag's range.
public struct DurationParseError: Error, Sendable, Equatable, CustomStringConvertible {
    var text: String
    /// The flag, when the value was read for one.
    var option: String?
    /// The durations the flag accepts, when it has bounds.
    var range: ClosedRange<Duration>?

    init(text: String, option: String? = nil, range: ClosedRange<Duration>? = nil) {
        self.text = text
        self.option = option
        self.range = range
    }

    public var description: String {
        let how = "write a number with a unit: 250ms, 5s, 30m, 2h, 1d (a plain number is seconds)"
        guard let option, let range else { return "'\(text)' is not a duration; \(how)" }
        return "\(option) '\(text)' is not a duration in the accepted range, \(Self.text(range.lowerBound)) to "
            + "\(Self.text(range.upperBound)); \(how)"
    }

    /// `10ms`, `90s`, `30m`, `7d`: the largest whole unit.
    static func text(_ duration: Duration) -> String {
        let millis = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        where millis >= size && millis % size == 0 {
            return "\(millis / size)\(unit)"
        }
        return millis == 0 ? "0s" : "\(millis)ms"
    }
}

extension Duration {
    /// The duration in seconds as a `Double`, for date arithmetic.
    public var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
