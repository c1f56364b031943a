@testable import CampaignKit
import Testing

/// The formula guard of the results CSV, on single values and on stored records.
@Suite("report: spreadsheet safety")
struct ReportSpreadsheetSafetyTests {
    @Test(
        "values that could run as a formula get a ', numbers and phone numbers do not",
        arguments: [
            ("=1+1", "'=1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3-HYPERLINK(1)", "'-2+3-HYPERLINK(1)"), ("\tx", "'\tx"), ("\r=x", "'\r=x"),
            ("+1 415 555 0101", "+1 415 555 0101"), ("-12.5", "-12.5"), ("+44 (20) 7946-0321", "+44 (20) 7946-0321"),
            ("Ana", "Ana"), ("", ""), ("a=b", "a=b"),
        ])
    func values(input: String, expected: String) {
        #expect(SpreadsheetSafety.neutralized(input) == expected)
    }

    @Test(
        "a stored record needs rewriting only when one of its fields starts like a formula",
        arguments: [
            ("Ana,+1 415 555 0101,Friday", false), ("Ana,\"+1 (415) 555\",x", false), ("Ana,\"+1 415, 555\",x", true),
            ("=x,b", true),
            ("a,=x", true), ("a,\"=x\"", true), ("a,\"b,=c\",d", false), ("a,\"+1\"\"=x\",d", true),
            ("a,-rm -rf,b", true), ("a,b-c,@", true), ("a,,", false), ("\"a\"\"b\",c", false),
        ])
    func records(record: String, needsChange: Bool) {
        let bytes = Array(record.utf8)
        #expect(bytes.withUnsafeBufferPointer { SpreadsheetSafety.recordNeedsChange($0) } == needsChange)
    }
}
