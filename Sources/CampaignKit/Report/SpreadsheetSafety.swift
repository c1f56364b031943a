/// Keeps text from outside (contact values, call summaries) from running as a formula when a results CSV
/// is opened in a spreadsheet ("CSV injection").
///
/// A cell starting with `=`, `+`, `-`, `@`, tab or CR is read as a formula by Excel, LibreOffice and Google
/// Sheets; a call summary is words a stranger said on the phone, so it must not be able to become
/// `=HYPERLINK(...)`. Such a cell gets a leading `'`, which spreadsheets read as "this is text".
/// One exception: a value made only of digits, spaces and `+-()./` (a phone number such as
/// `+1 415 555 2671`, a negative number) is left as it is: it names no function, so it cannot do harm, and
/// changing it would spoil the contact's own phone column.
enum SpreadsheetSafety {
    static let apostrophe = UInt8(ascii: "'")
    static let quote = UInt8(ascii: "\"")
    static let comma = UInt8(ascii: ",")

    /// Whether a cell that starts with `first` may run as a formula (before the number exception).
    @inline(__always)
    static func isTrigger(_ first: UInt8) -> Bool {
        first == UInt8(ascii: "=") || first == UInt8(ascii: "+") || first == UInt8(ascii: "-")
            || first == UInt8(ascii: "@") || first == 9 || first == 13
    }

    @inline(__always)
    static func isNumberByte(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || byte == 32 || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "/")
    }

    /// Whether `value` (a field's text) needs the `'` prefix.
    static func needsPrefix<C: Collection>(_ value: C) -> Bool where C.Element == UInt8 {
        guard let first = value.first, isTrigger(first) else { return false }
        if first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            return !value.allSatisfy(isNumberByte)
        }
        return true
    }

    /// `value`, prefixed with `'` when it could run as a formula.
    static func neutralized(_ value: String) -> String {
        needsPrefix(value.utf8) ? "'" + value : value
    }

    /// Whether any field of `record` (one RFC 4180 record, as `jobs.row_csv` holds it) needs the prefix.
    ///
    /// The fields are the import reader's (`CSVReader.forEachValue`), so the decision is per field as the
    /// file was read, without building strings; the export copies the record verbatim in the common case
    /// and only rewrites the rare record that needs changing.
    static func recordNeedsChange(_ record: UnsafeBufferPointer<UInt8>) -> Bool {
        var needs = false
        CSVReader.forEachValue(record) { value in
            needs = needsPrefix(value)
            return !needs
        }
        return needs
    }
}
