import Foundation

/// One record of a CSV file.
public struct CSVRecord: Sendable {
    /// The physical line (1-based) where the record starts.
    var line: Int
    var fields: [String]
    /// The record's text as it stood in the file, without its line ending.
    var raw: String
    /// A defect confined to this record (a quote in the wrong place); the record is rejected.
    var problem: String?
    /// The first C0 control character (other than tab, CR, LF) in a value; the record is rejected.
    var controlCharacter: ControlCharacter?

    /// Where a control character stands: a NUL cuts C strings short, an escape sequence rewrites a terminal,
    /// so neither may reach a prompt, the database or a report.
    public struct ControlCharacter: Sendable, Equatable {
        /// The field's position (0-based).
        var field: Int
        /// The physical line (1-based) and the column on it (1-based, in Unicode scalars).
        var line: Int
        var column: Int
        var value: UInt8

        init(field: Int, line: Int, column: Int, value: UInt8) {
            self.field = field
            self.line = line
            self.column = column
            self.value = value
        }

        /// `U+001B at line 3, column 7`.
        public var location: String {
            "the control character U+\(String(format: "%04X", value)) at line \(line), column \(column)"
        }

        /// Whether `byte` is a C0 control character a value may not hold (tab, CR and LF may stand in text).
        @inline(__always)
        static func isRefused(_ byte: UInt8) -> Bool {
            byte < 0x20 && byte != 9 && byte != 10 && byte != 13
        }
    }
}
