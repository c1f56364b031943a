import Foundation

/// Reads a `Retry-After` header (RFC 9110 §10.2.3) in both of its forms, relative to a given
/// "now" so that tests of the HTTP-date form are exact.
enum RetryAfter {
    /// The longest wait a run honours by pausing. A server asking for more (hours, or a date years
    /// ahead) is not pausing a campaign but stopping it: the dispatcher stops the run and says so,
    /// rather than parking jobs for a time nobody will be there.
    static let longestPause: Duration = .seconds(3600)

    /// Every wait is capped here, far beyond `longestPause`, so that no value a server sends (a
    /// 30-digit number, a date in the year 99999) overflows a `Duration` or a `Date`.
    static let cap: Duration = .seconds(100 * 365 * 86400)

    /// The wait the header asks for, at most `cap`; `nil` when absent or unreadable. A date in the
    /// past means 0.
    static func parse(_ value: String?, now: Date) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if value.allSatisfy(\.isASCII), value.allSatisfy(\.isNumber) {
            guard let seconds = Int64(value), seconds < cap.components.seconds else { return cap }
            return .seconds(seconds)
        }
        guard let date = httpDate(value) else { return nil }
        let seconds = date.timeIntervalSince(now)
        guard seconds.isFinite, seconds < Double(cap.components.seconds) else { return cap }
        return .milliseconds(Int64(max(0, (seconds * 1000).rounded(.up))))
    }

    /// IMF-fixdate, and the two obsolete forms RFC 9110 says recipients must accept.
    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
