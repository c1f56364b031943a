import Foundation
import Testing

@testable import CampaignKit
import TestSupport

private let everyDay = Set(LocalDate.Weekday.allCases)
private let workdays: Set<LocalDate.Weekday> = [.monday, .tuesday, .wednesday, .thursday, .friday]

/// Windows by day of the week (`--window 'Mon-Fri 09:00-20:00,Sat 10:00-14:00'`) and skipped local dates
/// (`--skip-dates`), on fixed instants, in the recipient's own calendar.
@Suite("CallingWindow days of the week and skip dates")
struct WeekdayWindowTests {
    static func zone(_ name: String) -> TimeZone { TimeZone(identifier: name)! }
    static func date(_ text: String) -> LocalDate { LocalDate(parsing: text)! }

    // MARK: - Reading --window

    @Test(
        "parsing days and hours",
        arguments: [
            (
                "Mon-Fri 09:00-20:00,Sat 10:00-14:00",
                [
                    CallingWindow.Hours(days: workdays, startMinute: 540, endMinute: 1200),
                    CallingWindow.Hours(days: [.saturday], startMinute: 600, endMinute: 840),
                ]
            ),
            ("mon-FRI 09:00-20:00", [CallingWindow.Hours(days: workdays, startMinute: 540, endMinute: 1200)]),
            (
                "Fri-Mon 10:00-12:00",
                [CallingWindow.Hours(days: [.friday, .saturday, .sunday, .monday], startMinute: 600, endMinute: 720)]
            ),
            ("SUN 22:00-02:00", [CallingWindow.Hours(days: [.sunday], startMinute: 1320, endMinute: 120)]),
            ("Wed-Wed 08:00-09:00", [CallingWindow.Hours(days: [.wednesday], startMinute: 480, endMinute: 540)]),
            (
                " 09:00-12:00 ,  Sat  14:00 - 16:00 ",
                [
                    CallingWindow.Hours(days: everyDay, startMinute: 540, endMinute: 720),
                    CallingWindow.Hours(days: [.saturday], startMinute: 840, endMinute: 960),
                ]
            ),
            ("Sat 00:00-24:00", [CallingWindow.Hours(days: [.saturday], startMinute: 0, endMinute: 1440)]),
        ])
    func parse(text: String, hours: [CallingWindow.Hours]) throws {
        #expect(try CallingWindow(parsing: text) == CallingWindow(hours: hours))
    }

    @Test("the plain form still means every day")
    func plain() throws {
        #expect(
            try CallingWindow(parsing: "09:00-20:00")
                == CallingWindow(hours: [CallingWindow.Hours(days: everyDay, startMinute: 540, endMinute: 1200)]))
    }

    @Test(
        "bad windows name what is wrong and the accepted form",
        arguments: [
            ("Mon-Xyz 09:00-10:00", "'Xyz' is not a day"),
            ("Monday 09:00-10:00", "'Monday' is not a day"),
            ("Mon-Fri", "'Mon-Fri', which is not [DAYS ]HH:MM-HH:MM"),
            ("Mon-Fri 09:00-20:00,", "has an empty part"),
            (",09:00-20:00", "has an empty part"),
            ("Mon-Fri 9-20", "'Mon-Fri 9-20', which is not"),
            ("Mon-Tue-Wed 09:00-10:00", "'Mon-Tue-Wed', which is not"),
            ("Mon-Fri09:00-20:00", "'Mon-Fri09:00-20:00', which is not"),
            ("09:00-20:00,Sat 25:00-26:00", "'Sat 25:00-26:00', which is not"),
            ("Sat 10:00-10:00", "opens and closes at the same time"),
            ("Mon - Fri 09:00-20:00", "'Mon - Fri 09:00-20:00', which is not"),
            ("9-20", "is not a time range"),
        ])
    func bad(text: String, message: String) {
        do {
            _ = try CallingWindow(parsing: text)
            Issue.record("'\(text)' was accepted")
        } catch {
            #expect(error.description.contains(message), "\(error)")
            if case .empty = error { return }
            #expect(error.description.contains("'Mon-Fri 09:00-20:00,Sat 10:00-14:00'"), "\(error)")
            #expect(error.description.contains("Mon Tue Wed Thu Fri Sat Sun"), "\(error)")
        }
    }

    // MARK: - Reading --skip-dates

    @Test("skip dates: a comma-separated list")
    func skipList() throws {
        #expect(
            try CallingWindow.skipDates(parsing: "2026-12-25, 2027-01-01,2026-12-25")
                == [Self.date("2026-12-25"), Self.date("2027-01-01")])
        #expect(try CallingWindow.skipDates(parsing: "2028-02-29") == [LocalDate(year: 2028, month: 2, day: 29)!])
    }

    @Test(
        "bad skip dates are named",
        arguments: ["2026-13-01", "2026-02-29", "2026-12-25,", "25/12/2026", "2026-1-5", "", "2026-12-25T00:00"])
    func badSkipDate(text: String) {
        #expect(throws: CallingWindowError.self) { try CallingWindow.skipDates(parsing: text) }
        do {
            _ = try CallingWindow.skipDates(parsing: text)
        } catch {
            #expect(error.description.contains("YYYY-MM-DD"), "\(error)")
            #expect(error.description.contains("is not a date"), "\(error)")
        }
    }

    @Test("skip dates: @FILE with one date a line, comments and blank lines; a bad line is named by number")
    func skipFile() throws {
        let folder = TemporaryFolder()
        folder.write(
            "holidays.txt", "# Holidays 2026/27\r\n2026-12-25  # Christmas\r\n\r\n   \n2027-01-01\n#2027-01-02\n")
        #expect(
            try CallingWindow.skipDates(parsing: "@" + folder.path("holidays.txt"))
                == [Self.date("2026-12-25"), Self.date("2027-01-01")])
        folder.write("empty.txt", "# none this year\n\n")
        #expect(try CallingWindow.skipDates(parsing: "@" + folder.path("empty.txt")) == [])

        folder.write("bad.txt", "2026-12-25\n# New Year\n2027-01-32\n")
        #expect(throws: CallingWindowError.badDate("2027-01-32", file: folder.path("bad.txt"), line: 3)) {
            try CallingWindow.skipDates(parsing: "@" + folder.path("bad.txt"))
        }
        let message = CallingWindowError.badDate("2027-01-32", file: "bad.txt", line: 3).description
        #expect(
            message
                == "--skip-dates @bad.txt line 3: '2027-01-32' is not a date; write one YYYY-MM-DD date a line "
                + "(# starts a comment)"
        )
        do {
            _ = try CallingWindow.skipDates(parsing: "@" + folder.path("missing.txt"))
            Issue.record("a missing file was accepted")
        } catch {
            #expect(error.description.contains("cannot read the file"), "\(error)")
        }
    }

    // MARK: - Local dates

    @Test("local dates: day numbers, weekdays, text, and Calendar agrees over four centuries")
    func localDates() throws {
        #expect(Self.date("1970-01-01").dayNumber == 0)
        #expect(Self.date("1970-01-01").weekday == .thursday)
        #expect(Self.date("1969-12-31").dayNumber == -1)
        #expect(Self.date("1969-12-29").weekday == .monday)
        #expect(Self.date("2026-12-25").weekday == .friday)
        #expect(Self.date("2000-02-29").description == "2000-02-29")
        #expect(LocalDate(parsing: "1900-02-29") == nil)
        #expect(LocalDate(parsing: "0000-01-01") == nil)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var random = SeededGenerator(seed: 0xDA7E)
        for _ in 0..<2000 {
            let day = Int.random(in: -40_000...120_000, using: &random)
            let parts = calendar.dateComponents(
                [.year, .month, .day, .weekday], from: Date(timeIntervalSince1970: Double(day) * 86_400))
            let date = LocalDate(dayNumber: day)
            #expect(date.components == (parts.year!, parts.month!, parts.day!), "\(day)")
            #expect(LocalDate(year: parts.year!, month: parts.month!, day: parts.day!) == date, "\(day)")
            #expect(LocalDate(parsing: date.description) == date, "\(day)")
            #expect(date.weekday.rawValue == (parts.weekday! + 5) % 7, "\(day)")
        }
    }

    // MARK: - Fixed instants

    @Test(
        "weekday boundaries in New York: Mon-Fri 09:00-20:00, Sat 10:00-14:00",
        arguments: [
            // Friday 19:59 EDT: inside.
            ("2026-06-05T23:59:00.000Z", "2026-06-05T23:59:00.000Z"),
            // Friday 20:00 EDT: closed until Saturday 10:00 EDT.
            ("2026-06-06T00:00:00.000Z", "2026-06-06T14:00:00.000Z"),
            // Saturday 12:00 EDT: inside.
            ("2026-06-06T16:00:00.000Z", "2026-06-06T16:00:00.000Z"),
            // Saturday 14:00 EDT: closed until Monday 09:00 EDT.
            ("2026-06-06T18:00:00.000Z", "2026-06-08T13:00:00.000Z"),
            // Sunday 10:00 EDT (Saturday's hours, not Sunday's): Monday 09:00.
            ("2026-06-07T14:00:00.000Z", "2026-06-08T13:00:00.000Z"),
            // Monday 08:59 EDT: a minute later.
            ("2026-06-08T12:59:00.000Z", "2026-06-08T13:00:00.000Z"),
            // Friday 09:30 in UTC is Friday 05:30 in New York: 09:00 there.
            ("2026-06-05T09:30:00.000Z", "2026-06-05T13:00:00.000Z"),
            // Sunday 2026-03-08 (spring forward): Monday 09:00 EDT.
            ("2026-03-08T05:00:00.000Z", "2026-03-09T13:00:00.000Z"),
            // Saturday 2026-10-31 15:00 EDT: Monday 09:00 EST, after the fall back on Sunday.
            ("2026-10-31T19:00:00.000Z", "2026-11-02T14:00:00.000Z"),
        ])
    func weekdays(now: String, expected: String) throws {
        let window = try CallingWindow(parsing: "Mon-Fri 09:00-20:00,Sat 10:00-14:00")
        let zone = Self.zone("America/New_York")
        #expect(window.nextAllowedStart(at: Date(utc: now), in: zone) == Date(utc: expected))
        #expect(window.admits(Date(utc: now), in: zone) == (now == expected))
    }

    @Test(
        "a range that wraps past Sunday, and hours that run on past midnight into the next day",
        arguments: [
            // Fri-Mon 10:00-12:00: Tuesday 11:00 waits for Friday; Monday and Sunday are inside.
            ("Fri-Mon 10:00-12:00", "2026-06-02T11:00:00.000Z", "2026-06-05T10:00:00.000Z"),
            ("Fri-Mon 10:00-12:00", "2026-06-08T11:00:00.000Z", "2026-06-08T11:00:00.000Z"),
            ("Fri-Mon 10:00-12:00", "2026-06-07T10:00:00.000Z", "2026-06-07T10:00:00.000Z"),
            // Fri 22:00-02:00: Saturday 01:00 is Friday night's; Saturday 03:00 waits a week; Thursday night
            // is not Friday night.
            ("Fri 22:00-02:00", "2026-06-06T01:00:00.000Z", "2026-06-06T01:00:00.000Z"),
            ("Fri 22:00-02:00", "2026-06-06T03:00:00.000Z", "2026-06-12T22:00:00.000Z"),
            ("Fri 22:00-02:00", "2026-06-04T23:00:00.000Z", "2026-06-05T22:00:00.000Z"),
            // Sun 22:00-02:00 runs into Monday: Monday 01:59 inside, Monday 02:00 waits for Sunday.
            ("Sun 22:00-02:00", "2026-06-08T01:59:00.000Z", "2026-06-08T01:59:00.000Z"),
            ("Sun 22:00-02:00", "2026-06-08T02:00:00.000Z", "2026-06-14T22:00:00.000Z"),
        ])
    func wrapAround(window: String, now: String, expected: String) throws {
        let window = try CallingWindow(parsing: window)
        #expect(window.nextAllowedStart(at: Date(utc: now), in: Self.zone("UTC")) == Date(utc: expected))
    }

    @Test(
        "a skip date that is a DST-change day closes all of that local day, 23 or 25 hours long",
        arguments: [
            // New York, Sunday 2026-11-01 (fall back, 25 hours: 04:00Z to 05:00Z the next day), skipped alone.
            ("America/New_York", nil, "2026-11-01", "2026-11-01T03:59:00.000Z", "2026-11-01T03:59:00.000Z"),
            ("America/New_York", nil, "2026-11-01", "2026-11-01T04:00:00.000Z", "2026-11-02T05:00:00.000Z"),
            // 01:30 the second time round (06:30Z) is still the skipped date.
            ("America/New_York", nil, "2026-11-01", "2026-11-01T06:30:00.000Z", "2026-11-02T05:00:00.000Z"),
            ("America/New_York", nil, "2026-11-01", "2026-11-02T04:59:00.000Z", "2026-11-02T05:00:00.000Z"),
            // New York, Sunday 2026-03-08 (spring forward) with 09:00-20:00: Monday 09:00 EDT.
            ("America/New_York", "09:00-20:00", "2026-03-08", "2026-03-08T05:00:00.000Z", "2026-03-09T13:00:00.000Z"),
            // London, Sunday 2026-03-29 (spring forward, 23 hours: 00:00Z to 23:00Z), skipped alone.
            ("Europe/London", nil, "2026-03-29", "2026-03-29T12:00:00.000Z", "2026-03-29T23:00:00.000Z"),
            ("Europe/London", nil, "2026-03-29", "2026-03-28T23:59:00.000Z", "2026-03-28T23:59:00.000Z"),
            // London, Sunday 2026-10-25 (fall back) with 09:00-17:00: from Saturday 17:30 BST to Monday 09:00 GMT.
            ("Europe/London", "09:00-17:00", "2026-10-25", "2026-10-24T16:30:00.000Z", "2026-10-26T09:00:00.000Z"),
        ])
    func skipDSTDay(zone: String, window: String?, skip: String, now: String, expected: String) throws {
        var calling =
            try window.map { text throws in try CallingWindow(parsing: text) }
            ?? CallingWindow(startMinute: 0, endMinute: 1440)
        calling.skipDates = [Self.date(skip)]
        #expect(calling.nextAllowedStart(at: Date(utc: now), in: Self.zone(zone)) == Date(utc: expected))
    }

    @Test("skip dates at the year end, on weekdays: 2026-12-31 and 2027-01-01 with Mon-Fri hours wait for Monday")
    func yearEnd() throws {
        var window = try CallingWindow(parsing: "Mon-Fri 09:00-17:00")
        window.skipDates = try CallingWindow.skipDates(parsing: "2026-12-31,2027-01-01")
        let utc = Self.zone("UTC")
        #expect(
            window.nextAllowedStart(at: Date(utc: "2026-12-30T18:00:00.000Z"), in: utc)
                == Date(utc: "2027-01-04T09:00:00.000Z"))
        #expect(window.admits(Date(utc: "2026-12-30T16:59:00.000Z"), in: utc))
        // In Tokyo (+9) the year has already turned while it is 2026-12-31 in UTC.
        #expect(
            window.nextAllowedStart(at: Date(utc: "2026-12-31T20:00:00.000Z"), in: Self.zone("Asia/Tokyo"))
                == Date(utc: "2027-01-04T00:00:00.000Z"))
    }

    @Test("far from UTC: the recipient's date and weekday, not UTC's, at +14 (Kiritimati) and -11 (Pago Pago)")
    func farFromUTC() throws {
        let kiritimati = Self.zone("Pacific/Kiritimati")
        let pagoPago = Self.zone("Pacific/Pago_Pago")
        var christmas = try CallingWindow(parsing: "09:00-20:00")
        christmas.skipDates = [Self.date("2026-12-25")]
        // Kiritimati's 2026-12-25 is 2026-12-24T10:00Z to 2026-12-25T10:00Z.
        #expect(christmas.admits(Date(utc: "2026-12-24T05:00:00.000Z"), in: kiritimati))
        #expect(
            christmas.nextAllowedStart(at: Date(utc: "2026-12-24T09:00:00.000Z"), in: kiritimati)
                == Date(utc: "2026-12-25T19:00:00.000Z"))
        // Pago Pago's 2026-12-25 is 2026-12-25T11:00Z to 2026-12-26T11:00Z: the whole of UTC's Christmas evening.
        #expect(christmas.admits(Date(utc: "2026-12-25T06:00:00.000Z"), in: pagoPago))
        #expect(
            christmas.nextAllowedStart(at: Date(utc: "2026-12-25T20:00:00.000Z"), in: pagoPago)
                == Date(utc: "2026-12-26T20:00:00.000Z"))
        #expect(
            christmas.nextAllowedStart(at: Date(utc: "2026-12-25T10:59:00.000Z"), in: pagoPago)
                == Date(utc: "2026-12-26T20:00:00.000Z"))

        // Friday 20:00Z is Saturday 10:00 in Kiritimati and Friday 09:00 in Pago Pago.
        let weekdays = try CallingWindow(parsing: "Mon-Fri 09:00-17:00")
        let friday = Date(utc: "2026-06-05T20:00:00.000Z")
        #expect(weekdays.admits(friday, in: pagoPago))
        #expect(weekdays.nextAllowedStart(at: friday, in: kiritimati) == Date(utc: "2026-06-07T19:00:00.000Z"))
    }

    @Test("fails closed: with every date of the horizon skipped the answer is the horizon, never an admitted instant")
    func everyDateSkipped() throws {
        let now = Date(utc: "2026-06-01T12:00:00.000Z")
        let first = Self.date("2026-06-01").dayNumber
        let window = CallingWindow(
            startMinute: 0, endMinute: 1440, skipDates: Set((first - 1...first + 400).map(LocalDate.init(dayNumber:))))
        let next = window.nextAllowedStart(at: now, in: Self.zone("Europe/Paris"))
        #expect(next == now.addingTimeInterval(CallingWindow.horizon))
        #expect(!window.admits(next, in: Self.zone("Europe/Paris")))
    }

    @Test("a weekly window with a month of skipped dates still finds its first opening")
    func longSkip() throws {
        var window = try CallingWindow(parsing: "Wed 10:00-11:00")
        let first = Self.date("2026-12-01").dayNumber
        window.skipDates = Set((first...first + 30).map(LocalDate.init(dayNumber:)))
        // Tuesday 2026-12-01: the first Wednesday after December is 2027-01-06.
        #expect(
            window.nextAllowedStart(at: Date(utc: "2026-12-01T12:00:00.000Z"), in: Self.zone("UTC"))
                == Date(utc: "2027-01-06T10:00:00.000Z"))
    }
}
