import Foundation

/// Spaces call starts so no more than `callsPerMinute` begin in any minute (`--rate N/min`).
public struct RatePacer: Sendable, Equatable {
    var callsPerMinute: Double

    init(callsPerMinute: Double) {
        self.callsPerMinute = callsPerMinute
    }

    /// One call start every `interval` seconds (a campaign's shared rate, as stored).
    public init(interval: TimeInterval) {
        self.init(callsPerMinute: 60 / interval)
    }

    /// Reads `N/min`, `N/s` or `N/h` (a bare `N` is per minute).
    public init(parsing text: String) throws(RatePacerError) {
        let parts = text.trimmingCharacters(in: .whitespaces).lowercased().split(separator: "/")
        guard (1...2).contains(parts.count), let count = Double(parts[0]), count.isFinite, count > 0 else {
            throw .badFormat(text)
        }
        let perMinute: Double
        switch parts.count == 2 ? String(parts[1]) : "min" {
        case "s", "sec", "second": perMinute = count * 60
        case "m", "min", "minute": perMinute = count
        case "h", "hour": perMinute = count / 60
        default: throw .badFormat(text)
        }
        guard Self.accepted.contains(perMinute) else { throw .outOfRange(text) }
        self.init(callsPerMinute: perMinute)
    }

    /// Calls per minute `--rate` accepts, 1/h to 1000/s: a slower rate would space calls past any date a
    /// run can wait for, a faster one is no cap at all.
    static let accepted: ClosedRange<Double> = (1.0 / 60)...60_000

    /// The gap between two call starts.
    public var interval: TimeInterval { 60 / callsPerMinute }

    /// The earliest instant the next call may start, given the previous start.
    func nextStart(after previousStart: Date?, now: Date) -> Date {
        guard let previousStart else { return now }
        return max(now, previousStart.addingTimeInterval(interval))
    }
}

/// A `--rate` value that cannot be used.
public enum RatePacerError: Error, Sendable, Equatable, CustomStringConvertible {
    case badFormat(String)
    case outOfRange(String)

    public var description: String {
        switch self {
        case .badFormat(let text):
            return "--rate '\(text)' is not a rate; write calls per minute as N/min (e.g. 30/min), or N/s, N/h"
        case .outOfRange(let text):
            return "--rate '\(text)' is out of range; accepted: 1/h to 1000/s (60000/min)"
        }
    }
}
