import Foundation

/// Writes RFC 4180 records: fields quoted only when they need it, line ends CRLF.
enum CSVWriter {
    /// One field, quoted if it holds a comma, quote, CR or LF (or leading/trailing spaces).
    static func field(_ text: String) -> String {
        var needsQuotes = false
        for byte in text.utf8
        where byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"") || byte == 10 || byte == 13 {
            needsQuotes = true
            break
        }
        if !needsQuotes, let first = text.utf8.first, let last = text.utf8.last,
            first == UInt8(ascii: " ") || last == UInt8(ascii: " ")
        {
            needsQuotes = true
        }
        guard needsQuotes else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One record without its line end.
    static func record(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",")
    }
}
