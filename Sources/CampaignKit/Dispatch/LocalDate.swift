import Foundation

/// A date on a recipient's own calendar (`2026-12-25`), with no zone: the same date is a different span of
/// instants in each zone, which is the point of `--skip-dates`.
///
/// Held as the number of days since 1970-01-01 in the proleptic Gregorian calendar, so that the calling window
/// can find an instant's local date from its wall-clock seconds with integer arithmetic alone.
public struct LocalDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Days since 1970-01-01 (negative before it).
    let dayNumber: Int

    init(dayNumber: Int) { self.dayNumber = dayNumber }

    /// `nil` unless `month` and `day` name a real date of `year` (1...9999).
    init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...Self.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        // Days from civil (Howard Hinnant's algorithm), with March as the first month of the year.
        let shifted = month <= 2 ? year - 1 : year
        let era = CallingWindow.floorDivide(shifted, 400)
        let yearOfEra = shifted - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        self.init(dayNumber: era * 146_097 + dayOfEra - 719_468)
    }

    /// Reads exactly `YYYY-MM-DD`; `nil` for anything else, or a date that does not exist (`2026-02-30`).
    init?(parsing text: String) {
        let fields = text.split(separator: "-", omittingEmptySubsequences: false)
        guard fields.count == 3, fields[0].count == 4, fields[1].count == 2, fields[2].count == 2,
            fields.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let year = Int(fields[0]), let month = Int(fields[1]), let day = Int(fields[2])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The day of the week.
    var weekday: Weekday {
        // 1970-01-01 was a Thursday.
        Weekday(rawValue: dayNumber - CallingWindow.floorDivide(dayNumber + 3, 7) * 7 + 3)!
    }

    /// Year, month and day (civil from days, the inverse of `init(year:month:day:)`).
    var components: (year: Int, month: Int, day: Int) {
        let shifted = dayNumber + 719_468
        let era = CallingWindow.floorDivide(shifted, 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    public var description: String {
        let (year, month, day) = components
        func padded(_ value: Int, _ width: Int) -> String {
            String(repeating: "0", count: max(0, width - String(value).count)) + String(value)
        }
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
    }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool { lhs.dayNumber < rhs.dayNumber }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// A day of the week, Monday first (ISO 8601).
    enum Weekday: Int, CaseIterable, Sendable, Comparable, CustomStringConvertible {
        case monday, tuesday, wednesday, thursday, friday, saturday, sunday

        /// The three-letter names `--window` accepts (in any case).
        static let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

        /// Reads `Mon`…`Sun` in any case.
        init?(name: some StringProtocol) {
            guard let index = Self.names.firstIndex(where: { $0.lowercased() == name.lowercased() }) else {
                return nil
            }
            self.init(rawValue: index)
        }

        /// The day before (Sunday before Monday).
        var previous: Weekday { Weekday(rawValue: (rawValue + 6) % 7)! }

        var description: String { Self.names[rawValue] }

        static func < (lhs: Weekday, rhs: Weekday) -> Bool { lhs.rawValue < rhs.rawValue }
    }
}
