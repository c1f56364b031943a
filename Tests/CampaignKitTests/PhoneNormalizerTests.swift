import TestSupport
import Testing

@testable import CampaignKit
@testable import PokuSimulator

@Suite("Phone numbers")
struct PhoneNormalizerTests {
    let us = try! PhoneNormalizer(region: "US")

    @Test(
        "valid numbers become E.164",
        arguments: [
            ("+14155552671", "US", "+14155552671"),
            ("(415) 555-2671", "US", "+14155552671"),
            ("415.555.2671", "US", "+14155552671"),
            ("1 415 555 2671", "US", "+14155552671"),
            ("+1 (415) 555-2671", "DE", "+14155552671"),
            ("+44 20 7946 0958", "US", "+442079460958"),
            ("020 7946 0958", "GB", "+442079460958"),
            ("+33 1 42 68 53 00", "US", "+33142685300"),
            ("030 123456", "DE", "+4930123456"),
            ("+39 06 6982 0000", "US", "+390669820000"),
            ("(604) 555-0199 ", "CA", "+16045550199"),
        ])
    func valid(input: String, region: String, expected: String) throws {
        let phones = try PhoneNormalizer(region: region)
        #expect(try phones.normalize(input).get().e164 == expected)
    }

    @Test(
        "invalid numbers say why",
        arguments: [
            ("", PhoneProblem.empty),
            ("   ", .empty),
            ("hello", .notANumber),
            ("555", .tooShort),
            ("+1 415 555 26711", .tooLong),
            ("+999 12345678", .unknownCountryCode),
            ("(123) 456-7890", .notInUse),
        ])
    func invalid(input: String, problem: PhoneProblem) {
        #expect(us.normalize(input) == .failure(problem))
    }

    @Test("an unknown region is refused")
    func unknownRegion() {
        #expect(throws: PhoneRegionError.self) { _ = try PhoneNormalizer(region: "XX") }
        #expect(throws: PhoneRegionError.self) { _ = try PhoneNormalizer(region: "USA") }
    }

    /// The NANP fast path and the +1 validity shortcut must give exactly libphonenumber's answer.
    @Test("the fast path agrees with libphonenumber's full parse on 40,000 numbers", arguments: ["US", "CA", "GB"])
    func fastPathAgrees(region: String) async throws {
        let disagreements = try await onOwnThread {
            let phones = try PhoneNormalizer(region: region)
            var generator = SeededRandom(seed: 42)
            let shapes: [(UInt64, UInt64, UInt64) -> String] = [
                { "+1\($0)\($1)\($2)" }, { "(\($0)) \($1)-\($2)" }, { "\($0).\($1).\($2)" }, { "\($0)\($1)\($2)" },
                { "+1 \($0) \($1) \($2)" }, { "1\($0)\($1)\($2)" }, { "\($0)-\($1)-\($2)" },
            ]
            var disagreements: [String] = []
            for _ in 0..<40_000 {
                let area = 100 + generator.next() % 900
                let exchange = 100 + generator.next() % 900
                let line = 1000 + generator.next() % 9000
                let text = shapes[Int(generator.next() % UInt64(shapes.count))](area, exchange, line)
                if phones.normalize(text) != phones.referenceNormalize(text) { disagreements.append(text) }
            }
            return disagreements
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
    }

    /// US validity is decided from libphonenumber's metadata with compiled patterns (UsValidity in
    /// PhoneNumbers.cpp); it must agree with IsValidNumber for every area code, toll-free and
    /// premium codes included, and for the reserved 555-01xx lines.
    @Test("US validity agrees with libphonenumber for every area code", arguments: ["US", "CA"])
    func usValidityAgrees(region: String) async throws {
        let disagreements = try await onOwnThread {
            let phones = try PhoneNormalizer(region: region)
            var disagreements: [String] = []
            for area in 200...999 {
                for exchange in [200, 211, 311, 456, 555, 611, 700, 811, 911, 999] {
                    for line in ["0000", "0123", "4567", "9999"] {
                        let text = "+1\(area)\(exchange)\(line)"
                        if phones.normalize(text) != phones.referenceNormalize(text) { disagreements.append(text) }
                    }
                }
            }
            return disagreements
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
    }
}
