import Foundation

/// The hours of the day, in the recipient's own time zone, when calls may start (`--window 09:00-20:00`).
///
/// Computed from the recipient's zone's own offsets at each instant rather than one fixed offset, so the
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

    /// `instant` itself when it is inside the window in `zone`, otherwise the first later instant at which the
    /// recipient's wall clock is inside it.
    ///
    /// Never earlier than `instant`, and never an instant whose local wall time is outside the window: on a
    /// fall-back day the opening time happens twice, and once the first has passed while the clock has been
    /// set back before it, the window opens when the clock reads the opening time the second time, not at
    /// the first (past) one. Worked from the zone's offsets rather than `Calendar`'s "start of day", which a
    /// day that starts twice (Havana falls back at midnight) or late (springs forward at midnight) misleads.
    public func nextAllowedStart(at instant: Date, in zone: TimeZone) -> Date {
        if contains(minute: Self.wallMinute(of: instant, in: zone)) { return instant }
        // The window is entered either when the wall clock reaches the opening time or when a clock change
        // makes it jump into the window; within three days one of them happens for any window that is open
        // at all (the longest day of any zone is 25 hours, the window at least a minute).
        let horizon = instant.addingTimeInterval(Self.horizon)
        var candidates: [Date] = []
        var offsets: Set<Int> = [zone.secondsFromGMT(for: instant)]
        var cursor = instant
        while let change = zone.nextDaylightSavingTimeTransition(after: cursor), change <= horizon {
            candidates.append(change)
            offsets.insert(zone.secondsFromGMT(for: change))
            cursor = change
        }
        // Every instant in the horizon whose wall clock reads the opening time is wall-time minus one of the
        // offsets in force then.
        let firstDay = Self.floorDivide(Self.wallSeconds(of: instant, in: zone), 86_400)
        for day in firstDay...(firstDay + 3) {
            let wall = Double(day * 86_400 + startMinute * 60)
            for offset in offsets { candidates.append(Date(timeIntervalSince1970: wall - Double(offset))) }
        }
        let opening = candidates.filter { $0 > instant && contains(minute: Self.wallMinute(of: $0, in: zone)) }.min()
        // Fail closed: without an answer (a zone whose rules the horizon does not cover), ask again later.
        return opening ?? horizon
    }

    /// How far ahead an opening is looked for.
    static let horizon: TimeInterval = 3 * 86_400

    /// Seconds since 1970 on the recipient's wall clock (the instant plus the zone's offset then).
    static func wallSeconds(of instant: Date, in zone: TimeZone) -> Int {
        Int(instant.timeIntervalSince1970.rounded(.down)) + zone.secondsFromGMT(for: instant)
    }

    /// The minute of the day the recipient's wall clock shows at `instant`.
    static func wallMinute(of instant: Date, in zone: TimeZone) -> Int {
        let second = wallSeconds(of: instant, in: zone)
        return (second - floorDivide(second, 86_400) * 86_400) / 60
    }

    static func floorDivide(_ value: Int, _ divisor: Int) -> Int {
        value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor)
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
