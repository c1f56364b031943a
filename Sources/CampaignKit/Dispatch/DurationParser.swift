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
}

/// A duration the user wrote that is not one.
public struct DurationParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var text: String

    public var description: String {
        "'\(text)' is not a duration; write a number with a unit: 250ms, 5s, 30m, 2h, 1d (a plain number is seconds)"
    }
}

extension Duration {
    /// The duration in seconds as a `Double`, for date arithmetic.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
