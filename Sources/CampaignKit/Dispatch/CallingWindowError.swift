/// A `--window` or `--skip-dates` value that cannot be used.
public enum CallingWindowError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A window with no days that is not a time range.
    case badFormat(String)
    /// One comma-separated part of a window is not `[DAYS ]HH:MM-HH:MM`.
    case badPart(window: String, part: String)
    /// A day name that is not one of `Mon`…`Sun`.
    case badDay(window: String, day: String)
    case empty(String)
    /// A skip date that is not `YYYY-MM-DD`, or not a real date; with the file and line for `@FILE`.
    case badDate(String, file: String?, line: Int?)
    case unreadableDates(file: String, reason: String)

    static let accepted =
        "write HH:MM-HH:MM in the recipient's local time for every day (09:00-20:00), or comma-separated parts "
        + "with days first, e.g. 'Mon-Fri 09:00-20:00,Sat 10:00-14:00' (days Mon Tue Wed Thu Fri Sat Sun, "
        + "a range such as Mon-Fri or Fri-Mon)"

    public var description: String {
        switch self {
        case .badFormat(let text):
            return "--window '\(text)' is not a time range; \(Self.accepted)"
        case .badPart(let window, let part):
            let what = part.isEmpty ? "has an empty part" : "has '\(part)', which is not [DAYS ]HH:MM-HH:MM"
            return "--window '\(window)' \(what); \(Self.accepted)"
        case .badDay(let window, let day):
            return "--window '\(window)': '\(day)' is not a day; \(Self.accepted)"
        case .empty(let text):
            return "--window '\(text)' opens and closes at the same time, so no call could ever start"
        case .badDate(let text, nil, _):
            return "--skip-dates: '\(text)' is not a date; write YYYY-MM-DD dates separated by commas "
                + "(2026-12-25,2027-01-01), or @FILE with one date a line"
        case .badDate(let text, let file?, let line):
            return "--skip-dates @\(file) line \(line ?? 0): '\(text)' is not a date; write one YYYY-MM-DD date "
                + "a line (# starts a comment)"
        case .unreadableDates(let file, let reason):
            return "--skip-dates @\(file): cannot read the file (\(reason))"
        }
    }
}
