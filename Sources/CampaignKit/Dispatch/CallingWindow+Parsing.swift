import Foundation

extension CallingWindow {
    /// Reads `--window`: parts separated by commas, each `[DAYS ]HH:MM-HH:MM`, where DAYS is a day (`Sat`) or
    /// a range of days (`Mon-Fri`, or `Fri-Mon` across the weekend), in any case; a part without days is every
    /// day. `09:00-20:00` is every day from 9 to 8; `Mon-Fri 09:00-20:00,Sat 10:00-14:00` adds Saturday
    /// morning. Hours may span midnight (`Fri 22:00-02:00` runs on into Saturday).
    public init(parsing text: String) throws(CallingWindowError) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        var hours: [Hours] = []
        for part in parts {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { throw .badPart(window: text, part: "") }
            let days: Set<LocalDate.Weekday>
            let range: Substring
            if let first = trimmed.first, first.isLetter {
                // Days first, then the hours after the first space.
                let split = trimmed.firstIndex(where: \.isWhitespace) ?? trimmed.endIndex
                days = try Self.days(trimmed[..<split], window: text)
                range = trimmed[split...]
            } else {
                days = Set(LocalDate.Weekday.allCases)
                range = trimmed[...]
            }
            guard let (start, end) = Self.minutes(range) else {
                throw parts.count == 1 && days.count == 7 && trimmed.first?.isLetter != true
                    ? .badFormat(text) : .badPart(window: text, part: trimmed)
            }
            guard start != end else { throw .empty(text) }
            hours.append(Hours(days: days, startMinute: start % (24 * 60), endMinute: end))
        }
        self.init(hours: hours)
    }

    /// A day (`Sat`) or an inclusive range of days that may wrap past Sunday (`Fri-Mon`).
    static func days(_ text: Substring, window: String) throws(CallingWindowError) -> Set<LocalDate.Weekday> {
        let names = text.split(separator: "-", omittingEmptySubsequences: false)
        guard names.count <= 2 else { throw .badPart(window: window, part: String(text)) }
        var ends: [LocalDate.Weekday] = []
        for name in names {
            guard let day = LocalDate.Weekday(name: name) else { throw .badDay(window: window, day: String(name)) }
            ends.append(day)
        }
        var days: Set<LocalDate.Weekday> = [ends[0]]
        var day = ends[0]
        while day != ends[ends.count - 1] {
            day = LocalDate.Weekday(rawValue: (day.rawValue + 1) % 7)!
            days.insert(day)
        }
        return days
    }

    /// `HH:MM-HH:MM` as minutes after midnight (24:00 is 1440).
    static func minutes(_ range: Substring) -> (Int, Int)? {
        let parts = range.split(separator: "-", omittingEmptySubsequences: false)
        func minutes(_ part: Substring) -> Int? {
            let fields = part.trimmingCharacters(in: .whitespaces).split(
                separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 2, fields.allSatisfy({ !$0.isEmpty && $0.count <= 2 }),
                let hour = Int(fields[0]), let minute = Int(fields[1]),
                (0...24).contains(hour), (0..<60).contains(minute), hour * 60 + minute <= 24 * 60
            else { return nil }
            return hour * 60 + minute
        }
        guard parts.count == 2, let start = minutes(parts[0]), let end = minutes(parts[1]) else { return nil }
        return (start, end)
    }

    /// Reads `--skip-dates`: `YYYY-MM-DD` dates separated by commas, or `@FILE` with one date a line (`#` starts
    /// a comment, blank lines are ignored). Dates are the recipient's local dates.
    public static func skipDates(parsing argument: String) throws(CallingWindowError) -> Set<LocalDate> {
        guard argument.hasPrefix("@") else {
            var dates: Set<LocalDate> = []
            for item in argument.split(separator: ",", omittingEmptySubsequences: false) {
                let text = item.trimmingCharacters(in: .whitespaces)
                guard let date = LocalDate(parsing: text) else { throw .badDate(text, file: nil, line: nil) }
                dates.insert(date)
            }
            return dates
        }
        let path = String(argument.dropFirst())
        let contents: String
        do {
            contents = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadableDates(file: path, reason: (error as NSError).localizedDescription)
        }
        var dates: Set<LocalDate> = []
        // By Character: "\r\n" is one, so Windows line ends count one line each.
        let lines = contents.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (index, line) in lines.enumerated() {
            let text = (line.firstIndex(of: "#").map { line[..<$0] } ?? line[...])
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { continue }
            guard let date = LocalDate(parsing: text) else { throw .badDate(text, file: path, line: index + 1) }
            dates.insert(date)
        }
        return dates
    }
}
