import Foundation

/// When calls may start, on the recipient's own calendar and clock: hours for some or all days of the week
/// (`--window 'Mon-Fri 09:00-20:00,Sat 10:00-14:00'`, or `09:00-20:00` for every day), minus whole local dates
/// (`--skip-dates`).
///
/// Computed from the recipient's zone's own offsets at each instant rather than one fixed offset, so the
/// window keeps meaning "9 in the morning, their time" on the days clocks change. Whether an instant is
/// admitted depends on its local wall time alone (date and minute), never on the machine's zone.
public struct CallingWindow: Sendable, Equatable {
    /// The hours of the week; an instant inside any of them is inside the window.
    var hours: [Hours]
    /// Local dates on which no call starts, whatever the hours say.
    public var skipDates: Set<LocalDate>

    init(hours: [Hours], skipDates: Set<LocalDate> = []) {
        self.hours = hours
        self.skipDates = skipDates
    }

    /// The same hours every day.
    /// `--window` and `--skip-dates` as one window (`nil` when neither is given): skip dates alone close
    /// those dates and leave every other day open.
    public static func combining(_ window: CallingWindow?, skipDates: Set<LocalDate>?) -> CallingWindow? {
        guard window != nil || skipDates != nil else { return nil }
        var combined = window ?? CallingWindow(startMinute: 0, endMinute: 24 * 60)
        combined.skipDates = skipDates ?? []
        return combined
    }

    public init(startMinute: Int, endMinute: Int, skipDates: Set<LocalDate> = []) {
        self.init(
            hours: [Hours(days: Set(LocalDate.Weekday.allCases), startMinute: startMinute, endMinute: endMinute)],
            skipDates: skipDates)
    }

    /// Hours on some days of the week, read on the recipient's wall clock.
    struct Hours: Sendable, Equatable {
        /// The days on which the hours open. A range spanning midnight runs on into the next day, whatever it is.
        var days: Set<LocalDate.Weekday>
        /// Minutes after local midnight when the hours open.
        var startMinute: Int
        /// Minutes after local midnight when they close (exclusive). Smaller than `startMinute` for hours that
        /// span midnight.
        var endMinute: Int

        init(days: Set<LocalDate.Weekday>, startMinute: Int, endMinute: Int) {
            self.days = days
            self.startMinute = startMinute
            self.endMinute = endMinute
        }

        /// True when a call may start at local minute-of-day `minute` of a day that is a `weekday`.
        func contains(minute: Int, on weekday: LocalDate.Weekday) -> Bool {
            if startMinute < endMinute {
                return days.contains(weekday) && minute >= startMinute && minute < endMinute
            }
            return (days.contains(weekday) && minute >= startMinute)
                || (days.contains(weekday.previous) && minute < endMinute)
        }
    }

    /// True when a call may start while the recipient's wall clock reads `wallSecond` (seconds since
    /// 1970-01-01 00:00 on that clock).
    func admits(wallSecond: Int) -> Bool {
        let day = Self.floorDivide(wallSecond, 86_400)
        let date = LocalDate(dayNumber: day)
        if skipDates.contains(date) { return false }
        let minute = (wallSecond - day * 86_400) / 60
        let weekday = date.weekday
        return hours.contains { $0.contains(minute: minute, on: weekday) }
    }

    /// True when a call may start at `instant` in `zone`.
    func admits(_ instant: Date, in zone: TimeZone) -> Bool {
        admits(wallSecond: Self.wallSeconds(of: instant, in: zone))
    }

    /// `instant` itself when it is inside the window in `zone`, otherwise the first later instant at which the
    /// recipient's wall clock is inside it.
    ///
    /// Never earlier than `instant`, and never an instant whose local wall time is outside the window: on a
    /// fall-back day the opening time happens twice, and once the first has passed while the clock has been
    /// set back before it, the window opens when the clock reads the opening time the second time, not at
    /// the first (past) one. Worked from the zone's offsets rather than `Calendar`'s "start of day", which a
    /// day that starts twice (Havana falls back at midnight) or late (springs forward at midnight) misleads.
    func nextAllowedStart(at instant: Date, in zone: TimeZone) -> Date {
        if admits(instant, in: zone) { return instant }
        // Whether an instant is admitted depends on its wall time only, and on the wall clock the window only
        // opens at an opening time of its hours or at a midnight (a skipped date ends, a weekday begins).
        // So the window is entered either when the wall clock reaches one of those or when a clock change
        // makes it jump into the window; every instant whose wall clock reads a given time is that wall time
        // minus one of the offsets in force within the horizon.
        let horizon = instant.addingTimeInterval(Self.horizon)
        var offsets: Set<Int> = [zone.secondsFromGMT(for: instant)]
        var best: Date?
        var cursor = instant
        while let change = zone.nextDaylightSavingTimeTransition(after: cursor), change <= horizon {
            if best == nil, change > instant, admits(change, in: zone) { best = change }
            offsets.insert(zone.secondsFromGMT(for: change))
            cursor = change
        }
        let latestOffset = offsets.max()!
        let firstDay = Self.floorDivide(Self.wallSeconds(of: instant, in: zone), 86_400)
        // From the day before: a fall-back at midnight can set the clock back into the previous date.
        for day in (firstDay - 1)...(firstDay + Int(Self.horizon) / 86_400 + 1) {
            // No instant whose wall clock reads a time of `day` comes before this one.
            if let best, Double(day * 86_400 - latestOffset) > best.timeIntervalSince1970 { break }
            let date = LocalDate(dayNumber: day)
            if skipDates.contains(date) { continue }
            var minutes: Set<Int> = [0]
            for hours in self.hours where hours.days.contains(date.weekday) { minutes.insert(hours.startMinute) }
            for minute in minutes {
                for offset in offsets {
                    let candidate = Date(timeIntervalSince1970: Double(day * 86_400 + minute * 60 - offset))
                    guard candidate > instant, candidate <= horizon, best.map({ candidate < $0 }) ?? true,
                        admits(candidate, in: zone)
                    else { continue }
                    best = candidate
                }
            }
        }
        // Fail closed: without an answer (every date of the horizon skipped, or a zone whose rules the horizon
        // does not cover), ask again later.
        return best ?? horizon
    }

    /// How far ahead an opening is looked for: a year and a week, so a weekly window survives a long list of
    /// skipped dates. Days are walked only until the first opening, so a window that opens soon costs little.
    static let horizon: TimeInterval = 373 * 86_400

    /// Seconds since 1970 on the recipient's wall clock (the instant plus the zone's offset then).
    static func wallSeconds(of instant: Date, in zone: TimeZone) -> Int {
        Int(instant.timeIntervalSince1970.rounded(.down)) + zone.secondsFromGMT(for: instant)
    }

    static func floorDivide(_ value: Int, _ divisor: Int) -> Int {
        value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor)
    }
}
