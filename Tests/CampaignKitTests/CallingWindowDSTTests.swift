import Foundation
import Testing

@testable import CampaignKit
import TestSupport

/// The calling window on the days clocks change, where a wall-clock time happens twice (fall back) or never
/// (spring forward). Failing closed means no instant is ever admitted whose local wall time is outside the
/// window, and no opening is put before the instant asked about.
@Suite("CallingWindow across DST changes")
struct CallingWindowDSTTests {
    static func zone(_ name: String) -> TimeZone { TimeZone(identifier: name)! }

    @Test(
        "in the repeated hour after a fall-back, the window opens when the wall clock next reads its opening time",
        arguments: [
            // New York, 2026-11-01: 02:00 EDT becomes 01:00 EST at 06:00Z. 06:10Z is 01:10 EST, the second time
            // round; 01:30 EDT (05:30Z) is already past, so the window opens at 01:30 EST (06:30Z).
            ("America/New_York", "01:30-03:00", "2026-11-01T06:10:00.000Z", "2026-11-01T06:30:00.000Z"),
            // London, 2026-10-25: 02:00 BST becomes 01:00 GMT at 01:00Z.
            ("Europe/London", "01:30-03:00", "2026-10-25T01:10:00.000Z", "2026-10-25T01:30:00.000Z"),
            // Lord Howe Island falls back half an hour, 2026-04-05 02:00 (+11) to 01:30 (+10:30) at 15:00Z.
            // 15:05Z is 01:35 the second time round; 01:45 comes again at 15:15Z.
            ("Australia/Lord_Howe", "01:45-05:00", "2026-04-04T15:05:00.000Z", "2026-04-04T15:15:00.000Z"),
            // Havana falls back at midnight: 2026-11-01 01:00 CDT becomes 00:00 CST at 05:00Z, so the day
            // starts twice. 05:10Z is 00:10 CST; 00:30 comes again at 05:30Z.
            ("America/Havana", "00:30-06:00", "2026-11-01T05:10:00.000Z", "2026-11-01T05:30:00.000Z"),
        ])
    func fallBack(zone: String, window: String, now: String, expected: String) throws {
        let window = try CallingWindow(parsing: window)
        let next = window.nextAllowedStart(at: Date(utc: now), in: Self.zone(zone))
        #expect(next == Date(utc: expected))
        #expect(next >= Date(utc: now))
    }

    @Test("a day that starts after a spring-forward gap at midnight opens at its first instant, not a day late")
    func havanaSpringForward() throws {
        // Havana, 2026-03-08: 00:00 CST becomes 01:00 CDT at 05:00Z; 00:30 never happens that day. At 23:00 CST
        // the evening before, the window 00:30-06:00 next opens as the clock jumps to 01:00 (05:00Z).
        let window = try CallingWindow(parsing: "00:30-06:00")
        #expect(
            window.nextAllowedStart(at: Date(utc: "2026-03-08T04:00:00.000Z"), in: Self.zone("America/Havana"))
                == Date(utc: "2026-03-08T05:00:00.000Z"))
    }

    /// Zones the property test draws from: every zone the system lists, and aliases it does not list.
    static let zones: [String] =
        TimeZone.knownTimeZoneIdentifiers + ["UTC", "Etc/UTC", "Etc/GMT-12", "Etc/GMT+12", "Etc/GMT-14", "US/Eastern"]

    @Test("property: random day ranges, skip dates, zones, instants near DST changes: admitted iff inside; next first")
    func property() throws {
        var random = SeededGenerator(seed: 0x15_0A11_BAC4)
        var checked = 0
        for _ in 0..<400 {
            let name = Self.zones.randomElement(using: &random)!
            guard let zone = TimeZone(identifier: name) else { continue }
            // Quarter hours: every zone in use today is offset by a multiple of 15 minutes, so scanning the
            // quarter hours between `now` and the answer finds any earlier opening.
            let base = Date(timeIntervalSince1970: Double.random(in: 1_577_836_800..<2_082_758_400, using: &random))
            let anchor = zone.nextDaylightSavingTimeTransition(after: base) ?? base
            // Half the cases just after a clock change (in a repeated hour, when the clocks went back) with a
            // window opening in the next 90 minutes of wall time; the others anywhere in three days around it.
            let nearChange = Bool.random(using: &random)
            let now =
                nearChange
                ? anchor.addingTimeInterval(Double(Int.random(in: 0..<3600, using: &random)))
                : anchor.addingTimeInterval(Double(Int.random(in: -36 * 3600...36 * 3600, using: &random)))
            let window = Self.randomWindow(now: now, anchor: anchor, zone: zone, nearChange: nearChange, &random)
            let next = window.nextAllowedStart(at: now, in: zone)
            let context = "\(name) \(window) now \(now) next \(next)"
            #expect(window.admits(now, in: zone) == Self.open(window, now, zone), "\(context)")
            #expect(next >= now, "\(context)")
            #expect(Self.open(window, next, zone), "\(context)")
            #expect(window.admits(next, in: zone), "\(context)")
            var probe = (now.timeIntervalSince1970 / 900).rounded(.up) * 900
            while probe < next.timeIntervalSince1970 {
                let instant = Date(timeIntervalSince1970: probe)
                #expect(!Self.open(window, instant, zone), "\(context): open at \(instant)")
                #expect(!window.admits(instant, in: zone), "\(context): admitted at \(instant)")
                probe += 900
            }
            checked += 1
        }
        #expect(checked > 350)
    }

    /// A window of one to three parts, each on every day, one day or a range of days (wrapping past Sunday
    /// too), quarter-hour hours; and up to four skip dates among the local dates around `now` (the day of the
    /// clock change among them half the time).
    static func randomWindow(
        now: Date, anchor: Date, zone: TimeZone, nearChange: Bool, _ random: inout SeededGenerator
    ) -> CallingWindow {
        var hours: [CallingWindow.Hours] = []
        for part in 0..<Int.random(in: 1...3, using: &random) {
            let start =
                nearChange && part == 0
                ? ((Self.wallMinute(now, zone) / 15 + Int.random(in: 1...6, using: &random)) * 15) % 1440
                : Int.random(in: 0..<96, using: &random) * 15
            var end = Int.random(in: 1...96, using: &random) * 15
            if end % 1440 == start { end = (start + 15) % 1440 == 0 ? 1440 : (start + 15) % 1440 }
            let first = Int.random(in: 0..<7, using: &random)
            let length = [7, 1, Int.random(in: 2...6, using: &random)].randomElement(using: &random)!
            let days = Set((0..<length).map { LocalDate.Weekday(rawValue: (first + $0) % 7)! })
            hours.append(CallingWindow.Hours(days: days, startMinute: start, endMinute: end))
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var skipped: Set<LocalDate> = []
        for _ in 0..<Int.random(in: 0...4, using: &random) {
            let day =
                Bool.random(using: &random)
                ? anchor : now.addingTimeInterval(Double(Int.random(in: -1...8, using: &random) * 86_400))
            let parts = calendar.dateComponents([.year, .month, .day], from: day)
            skipped.insert(LocalDate(year: parts.year!, month: parts.month!, day: parts.day!)!)
        }
        return CallingWindow(hours: hours, skipDates: skipped)
    }

    /// Whether the wall clock at `instant` is inside `window`, worked out with `Calendar` (not by the code
    /// under test): the local date is not skipped, and some part's hours hold on its weekday, or on the day
    /// before for hours that span midnight.
    static func open(_ window: CallingWindow, _ instant: Date, _ zone: TimeZone) -> Bool {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: instant)
        let skipped = window.skipDates.map { "\($0)" }
        let date = String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
        if skipped.contains(date) { return false }
        let minute = wallMinute(instant, zone)
        // Calendar's weekday is 1 for Sunday; the window's days count from Monday = 0.
        let weekday = (parts.weekday! + 5) % 7
        let yesterday = (weekday + 6) % 7
        return window.hours.contains { hours in
            let days = Set(hours.days.map(\.rawValue))
            if hours.startMinute < hours.endMinute {
                return days.contains(weekday) && minute >= hours.startMinute && minute < hours.endMinute
            }
            return (days.contains(weekday) && minute >= hours.startMinute)
                || (days.contains(yesterday) && minute < hours.endMinute)
        }
    }

    /// The wall clock's minute of the day, computed by `Calendar` (not by the code under test).
    static func wallMinute(_ instant: Date, _ zone: TimeZone) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.hour, .minute], from: instant)
        return parts.hour! * 60 + parts.minute!
    }
}
