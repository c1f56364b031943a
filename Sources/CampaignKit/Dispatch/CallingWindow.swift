import Foundation

/// The hours of the day, in the recipient's own time zone, when calls may start (`--window 09:00-20:00`).
///
/// Computed with `Calendar` in the recipient's zone rather than by adding fixed offsets, so the
/// window keeps meaning "9 in the morning, their time" on the days clocks change.
public struct CallingWindow: Sendable, Equatable {
    /// Minutes after local midnight when the window opens.
    public var startMinute: Int
    /// Minutes after local midnight when it closes (exclusive). Smaller than `startMinute` for a window
    /// that spans midnight.
    public var endMinute: Int

    public init(startMinute: Int, endMinute: Int) {
        self.startMinute = startMinute
        self.endMinute = endMinute
    }

    /// Reads `HH:MM-HH:MM`.
    public init(parsing text: String) throws(CallingWindowError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        func minutes(_ part: Substring) -> Int? {
            let fields = part.trimmingCharacters(in: .whitespaces).split(
                separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 2, fields.allSatisfy({ !$0.isEmpty && $0.count <= 2 }),
                let hour = Int(fields[0]), let minute = Int(fields[1]),
                (0...24).contains(hour), (0..<60).contains(minute), hour * 60 + minute <= 24 * 60
            else { return nil }
            return hour * 60 + minute
        }
        guard parts.count == 2, let start = minutes(parts[0]), let end = minutes(parts[1]) else {
            throw .badFormat(text)
        }
        guard start != end else { throw .empty(text) }
        self.init(startMinute: start % (24 * 60), endMinute: end)
    }

    /// True when a call may start at local minute-of-day `minute`.
    func contains(minute: Int) -> Bool {
        if startMinute < endMinute { return minute >= startMinute && minute < endMinute }
        return minute >= startMinute || minute < endMinute
    }

    /// `instant` itself when it is inside the window in `zone`, otherwise the next instant the window opens.
    public func nextAllowedStart(at instant: Date, in zone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.hour, .minute], from: instant)
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        if contains(minute: minute) { return instant }
        let today = calendar.startOfDay(for: instant)
        let day: Date
        if minute < startMinute {
            day = today
        } else {
            day = calendar.date(byAdding: .day, value: 1, to: today) ?? today.addingTimeInterval(86_400)
        }
        return opening(on: day, calendar: calendar)
    }

    /// The window's opening on the local day starting at `dayStart`; on a spring-forward day whose gap
    /// swallows the opening time, the first instant after the gap.
    private func opening(on dayStart: Date, calendar: Calendar) -> Date {
        let matching = DateComponents(hour: startMinute / 60, minute: startMinute % 60, second: 0)
        if startMinute == 0 { return dayStart }
        return calendar.nextDate(
            after: dayStart, matching: matching, matchingPolicy: .nextTime, direction: .forward)
            ?? dayStart.addingTimeInterval(Double(startMinute * 60))
    }
}

/// A `--window` value that cannot be used.
public enum CallingWindowError: Error, Sendable, Equatable, CustomStringConvertible {
    case badFormat(String)
    case empty(String)

    public var description: String {
        switch self {
        case .badFormat(let text):
            return "--window '\(text)' is not a time range; write HH:MM-HH:MM in the recipient's local time, "
                + "e.g. 09:00-20:00"
        case .empty(let text):
            return "--window '\(text)' opens and closes at the same time, so no call could ever start"
        }
    }
}
