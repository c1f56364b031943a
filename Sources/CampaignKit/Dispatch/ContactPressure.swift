import Foundation

/// How often one person may be called, across every campaign of the database: at most `cap.calls` call
/// starts in any `cap.period` (`--max-calls-per-number 2/24h`), and at least `minGap` between two starts
/// (`--min-gap 4h`).
///
/// Counted from the attempts that may have rung someone (being placed, placed, ended, unknown), never from
/// those refused before a call existed. A job over a limit waits until the limit allows it; it is not failed.
public struct ContactPressure: Sendable, Equatable {
    public struct Cap: Sendable, Equatable {
        var calls: Int
        var period: Duration

        init(calls: Int, period: Duration) {
            self.calls = calls
            self.period = period
        }
    }

    var cap: Cap?
    var minGap: Duration?

    public init(cap: Cap? = nil, minGap: Duration? = nil) {
        self.cap = cap
        self.minGap = minGap
    }

    /// The limits the flags give, or `nil` when they give none (`--max-calls-per-number`, `--min-gap`).
    public static func given(cap: Cap?, minGap: Duration?) -> ContactPressure? {
        cap == nil && minGap == nil ? nil : ContactPressure(cap: cap, minGap: minGap)
    }

    /// How far back the starts of a number matter.
    var lookBack: Duration { max(cap?.period ?? .zero, minGap ?? .zero) }

    /// `nil` when a call to a number may start at `now`, else the earliest instant it may; `starts` are the
    /// number's call starts within `lookBack` of `now`, in any order.
    func until(starts: [Date], now: Date) -> Date? {
        var earliest = now
        let newestFirst = starts.sorted(by: >)
        if let minGap, let last = newestFirst.first {
            earliest = max(earliest, last.addingTimeInterval(minGap.seconds))
        }
        if let cap {
            let inPeriod = newestFirst.filter { $0 > now.addingTimeInterval(-cap.period.seconds) }
            if inPeriod.count >= cap.calls {
                // The oldest start that must leave the period before one more fits.
                earliest = max(earliest, inPeriod[cap.calls - 1].addingTimeInterval(cap.period.seconds))
            }
        }
        return earliest > now ? earliest : nil
    }
}

extension ContactPressure.Cap {
    /// Reads `N/PERIOD` (`2/24h`, `5/7d`, `1/30m`): N from 1 to 1,000, the period from 1 minute to 90 days.
    public init(parsing text: String) throws(ContactPressureError) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let calls = Int(parts[0]), let period = try? DurationParser().parse(String(parts[1]))
        else { throw .badCap(text) }
        guard (1...1000).contains(calls), (Duration.seconds(60)...Duration.seconds(90 * 86_400)).contains(period) else {
            throw .capOutOfRange(text)
        }
        self.init(calls: calls, period: period)
    }
}

/// A `--max-calls-per-number` or `--min-gap` value that cannot be used.
public enum ContactPressureError: Error, Sendable, Equatable, CustomStringConvertible {
    case badCap(String)
    case capOutOfRange(String)

    public var description: String {
        switch self {
        case .badCap(let text):
            return "'\(text)' is not a cap; write calls per period as N/PERIOD (e.g. 2/24h, 5/7d)"
        case .capOutOfRange(let text):
            return "'\(text)' is out of range; accepted: 1 to 1000 calls per 1m to 90d"
        }
    }
}
