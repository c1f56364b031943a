import Foundation
import Testing

@testable import CampaignKit
import TestSupport

/// Random text that leans on what breaks escapers: markup and CSV bytes next to combining marks,
/// prepend characters (U+0600, U+110BD), joiners, emoji, and any scalar of any plane.
enum RandomText {
    static let tricky: [Unicode.Scalar] = [
        "<", ">", "&", "\"", "'", ",", "=", "+", "-", "@", "\t", "\r", "\n", " ", "1", "(", ")", ".", "/", "|",
        "\u{0600}", "\u{0605}", "\u{06DD}", "\u{070F}", "\u{0890}", "\u{110BD}", "\u{0301}", "\u{200D}",
        "\u{FE0F}", "\u{1F469}", "\u{1F1FA}", "\u{0E33}", "\u{1100}", "\u{AC00}", "\u{FEFF}", "\u{00A0}",
    ]

    static func string(_ random: inout SeededGenerator, maxLength: Int = 24) -> String {
        var scalars = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...maxLength, using: &random) {
            if Bool.random(using: &random) {
                scalars.append(tricky.randomElement(using: &random)!)
            } else {
                // Any scalar: skip surrogates, which are not scalars.
                var value = UInt32.random(in: 0...0x10FFFF, using: &random)
                if (0xD800...0xDFFF).contains(value) { value = 0x41 }
                scalars.append(Unicode.Scalar(value)!)
            }
        }
        return String(scalars)
    }
}

@Suite("escaping, property tests over random Unicode")
struct EscapingPropertyTests {
    /// The five entities `HTMLReport.escape` writes, read back the way an HTML parser reads them.
    static func unescapeHTML(_ html: String) -> String? {
        var result = String.UnicodeScalarView()
        var scalars = html.unicodeScalars[...]
        let entities = ["&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#39;": "'"]
        while let first = scalars.first {
            if first == "&" {
                guard let (entity, value) = entities.first(where: { scalars.starts(with: $0.key.unicodeScalars) })
                else { return nil }
                result.append(contentsOf: value.unicodeScalars)
                scalars = scalars.dropFirst(entity.unicodeScalars.count)
            } else {
                result.append(first)
                scalars = scalars.dropFirst()
            }
        }
        return String(result)
    }

    @Test("HTML: escaped text parses back to exactly the input and holds no raw markup character")
    func htmlEscaping() throws {
        var random = SeededGenerator(seed: 0x4854_4D4C)
        for _ in 0..<20_000 {
            let text = RandomText.string(&random)
            let escaped = HTMLReport.escape(text)
            #expect(Self.unescapeHTML(escaped) == text, "\(Array(text.unicodeScalars))")
            let raw = escaped.unicodeScalars.filter { $0 == "<" || $0 == ">" || $0 == "\"" || $0 == "'" }
            #expect(raw.isEmpty, "\(Array(text.unicodeScalars))")
        }
    }

    @Test("HTML: a prepend character before '<' does not hide it from the escaper")
    func prependCharacter() {
        let escaped = HTMLReport.escape("\u{0600}<img src=x onerror=alert(1)>")
        #expect(!escaped.unicodeScalars.contains("<"))
        #expect(escaped == "\u{0600}&lt;img src=x onerror=alert(1)&gt;")
    }
}

@Suite("spreadsheet guard, property tests over random Unicode")
struct SpreadsheetGuardPropertyTests {
    let folder = TemporaryFolder()

    /// A value that the guard may leave starting with `=`, `+`, `-`, `@`, tab or CR: phone-like text only.
    static func isSafeCell(_ cell: String) -> Bool {
        guard let first = cell.utf8.first, SpreadsheetSafety.isTrigger(first) else { return true }
        return (first == UInt8(ascii: "+") || first == UInt8(ascii: "-"))
            && cell.utf8.allSatisfy(SpreadsheetSafety.isNumberByte)
    }

    /// One field as a person's file may hold it: quoted by the rules, or bare with stray quotes inside
    /// (`Screen 27"`), which RFC 4180 readers take literally.
    static func field(_ random: inout SeededGenerator) -> String {
        let text = RandomText.string(&random, maxLength: 12)
        if Bool.random(using: &random) { return CSVWriter.field(text) }
        let bare = text.unicodeScalars.filter { $0 != "," && $0 != "\r" && $0 != "\n" }
        var result = String(String.UnicodeScalarView(bare))
        if result.hasPrefix("\"") { result = "x" + result }
        return result
    }

    @Test("every guarded cell, read back by our reader, is plain text or a phone-like value")
    func resultsCSV() async throws {
        folder.write("prompt.txt", "Hi [name].")
        var csv = "name,phone,note\n"
        for index in 0..<1000 { csv += "n\(index),+1 415 555 \(String(format: "%04d", index)),x\n" }
        folder.write("contacts.csv", csv)
        let store = try CampaignStore(path: folder.path("campaign.db"))
        let report = try await ContactImporter(store: store).run(
            ImportRequest(
                contactsPath: folder.path("contacts.csv"), promptPath: folder.path("prompt.txt"), campaignName: "c"))
        try #require(report.committed && report.queued == 1000)
        // Replace every stored record by a random one that the reader accepts, as the import would store it.
        var random = SeededGenerator(seed: 0x4353_5647)
        var expected: [[String]] = []
        let records = folder.path("records.csv")
        while expected.count < 1000 {
            let record = (0..<3).map { _ in Self.field(&random) }.joined(separator: ",")
            if record.isEmpty { continue }
            FileManager.default.createFile(atPath: records, contents: Data(record.utf8))
            guard let reader = try? CSVReader(path: records), let parsed = try? reader.next(),
                parsed.problem == nil, parsed.fields.count == 3
            else { continue }
            let summary = RandomText.string(&random)
            try store.write { db in
                try db.execute(
                    sql: "UPDATE jobs SET row_csv = ?, summary = ?, error = ? WHERE id = ?",
                    arguments: [parsed.raw, summary, summary, expected.count + 1])
            }
            expected.append(parsed.fields + [summary])
        }
        let campaign = try #require(try store.campaign(named: "c"))
        try await ResultsExporter().write(campaign: campaign, in: store, to: folder.path("results.csv"))
        let reader = try CSVReader(path: folder.path("results.csv"))
        _ = try reader.next()
        var row = 0
        while let record = try reader.next() {
            #expect(record.problem == nil)
            for (index, cell) in record.fields.enumerated() {
                #expect(Self.isSafeCell(cell), "row \(row + 1) column \(index + 1): \(Array(cell.unicodeScalars))")
            }
            // Nothing else changes: each contact value and the summary read back as stored, or with one '.
            let original = expected[row]
            let read = Array(record.fields[0..<3]) + [record.fields[8]]
            for (value, stored) in zip(read, original) {
                #expect(value == stored || value == "'" + stored, "row \(row + 1): \(value) from \(stored)")
            }
            row += 1
        }
        #expect(row == 1000)
    }

    @Test("a stray quote in a bare field does not hide the next field from the guard")
    func strayQuote() {
        let record = Array("Ana,Screen 27\",=cmd|' /C calc'!A0".utf8)
        #expect(record.withUnsafeBufferPointer { SpreadsheetSafety.recordNeedsChange($0) })
    }
}
