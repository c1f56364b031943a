import Foundation
import Testing

@testable import CampaignKit

@Suite("DurationParser")
struct DurationParserTests {
    @Test(
        "accepted durations",
        arguments: [
            ("250ms", Duration.milliseconds(250)), ("5s", .seconds(5)), ("30m", .seconds(1800)),
            ("2h", .seconds(7200)), ("1d", .seconds(86_400)), ("90", .seconds(90)), ("1.5h", .seconds(5400)),
            (" 10S ", .seconds(10)), ("0", .zero),
        ])
    func accepted(text: String, expected: Duration) throws {
        #expect(try DurationParser().parse(text) == expected)
    }

    @Test("refused with the accepted forms named", arguments: ["", "5x", "m", "-5s", "5 m", "1e3", "ten", "5s5"])
    func refused(text: String) {
        #expect(throws: DurationParseError(text: text)) { try DurationParser().parse(text) }
        #expect(DurationParseError(text: text).description.contains("250ms, 5s, 30m, 2h, 1d"))
    }
}
