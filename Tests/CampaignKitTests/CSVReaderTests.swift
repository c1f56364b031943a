import Foundation
import Testing

@testable import CampaignKit
import TestSupport

@Suite("CSV reader")
struct CSVReaderTests {
    /// Reads every record, with a small buffer so records straddle buffer boundaries.
    func records(_ bytes: [UInt8], chunkSize: Int = 7) throws(CSVError) -> [CSVRecord] {
        let folder = TemporaryFolder()
        let path = folder.write("in.csv", bytes: bytes)
        let reader = try CSVReader(path: path, chunkSize: chunkSize)
        var result: [CSVRecord] = []
        while let record = try reader.next() { result.append(record) }
        return result
    }

    func records(_ text: String, chunkSize: Int = 7) throws(CSVError) -> [CSVRecord] {
        try records(Array(text.utf8), chunkSize: chunkSize)
    }

    @Test("RFC 4180 fields", arguments: [1, 3, 7, 64, 1 << 20])
    func rfc4180(chunkSize: Int) throws {
        let text = "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\r\nlines\"\r\nplain,,last"
        let rows = try records(text, chunkSize: chunkSize)
        #expect(
            rows.map(\.fields) == [["a", "b", "c"], ["x, y", "say \"hi\"", "two\r\nlines"], ["plain", "", "last"]])
        #expect(rows.map(\.line) == [1, 2, 4])
        try #require(rows.count == 3)
        #expect(rows[1].raw == "\"x, y\",\"say \"\"hi\"\"\",\"two\r\nlines\"")
        #expect(rows.allSatisfy { $0.problem == nil })
    }

    @Test(
        "doubled quotes become one, wherever they stand in a quoted field",
        arguments: [
            ("\"\"\"\"", "\""), ("\"\"\"a\"", "\"a"), ("\"a\"\"\"", "a\""), ("\"\"\"\"\"\"", "\"\""),
            ("\"é \"\"ü\"\" ñ\"", "é \"ü\" ñ"),
        ])
    func doubledQuotes(field: String, value: String) throws {
        let rows = try records("h\n\(field)\n")
        #expect(rows.map(\.fields) == [["h"], [value]])
    }

    @Test("LF endings, a final line break, blank lines skipped but counted")
    func lineEndings() throws {
        let rows = try records("h1,h2\n\n1,2\n\n3,4\n")
        #expect(rows.map(\.fields) == [["h1", "h2"], ["1", "2"], ["3", "4"]])
        #expect(rows.map(\.line) == [1, 3, 5])
    }

    @Test("a UTF-8 byte-order mark is not part of the first column's name")
    func byteOrderMark() throws {
        let rows = try records([0xEF, 0xBB, 0xBF] + Array("phone,name\r\n+14155550123,Zoë\r\n".utf8))
        #expect(rows.map(\.fields) == [["phone", "name"], ["+14155550123", "Zoë"]])
    }

    @Test("invalid UTF-8 is refused with the line where it breaks")
    func invalidUTF8() {
        let bytes = Array("a,b\n1,2\n\"multi\nline\",ok\n3,".utf8) + [0xC3, 0x28] + Array("\n".utf8)
        do {
            _ = try records(bytes)
            Issue.record("no error")
        } catch {
            #expect(error == .invalidUTF8(path: error.path, line: 5))
        }
    }

    @Test("invalid UTF-8 inside a quoted field names the line within the field")
    func invalidUTF8InQuotes() {
        let bytes = Array("a,b\n\"one\ntwo ".utf8) + [0xFF] + Array("\",x\n".utf8)
        do {
            _ = try records(bytes)
            Issue.record("no error")
        } catch {
            #expect(error == .invalidUTF8(path: error.path, line: 3))
        }
    }

    @Test("a quote that never closes is refused with the line where it opens")
    func unterminated() {
        do {
            _ = try records("a,b\n1,2\n3,\"open\n4,5\n")
            Issue.record("no error")
        } catch {
            #expect(error == .unterminatedQuote(path: error.path, line: 3))
        }
    }

    @Test("text after a closing quote marks the record, not the file")
    func textAfterQuote() throws {
        let rows = try records("a,b\n\"x\"y,2\n3,4\n")
        try #require(rows.count == 3)
        #expect(rows[1].problem != nil)
        #expect(rows[2].problem == nil && rows[2].fields == ["3", "4"])
    }

    @Test("parseLine reads back what CSVWriter writes")
    func roundTrip() {
        let fields = ["plain", "with, comma", "with \"quotes\"", "two\nlines", "", " padded "]
        #expect(CSVReader.parseLine(CSVWriter.record(fields)) == fields)
    }

    @Test("memory stays flat: the buffer does not grow with the file")
    func streams() throws {
        let folder = TemporaryFolder()
        var text = "n,phone\n"
        for index in 0..<50_000 { text += "\(index),+1415555\(String(format: "%04d", index % 10000))\n" }
        let path = folder.write("big.csv", text)
        let reader = try CSVReader(path: path, chunkSize: 4096)
        var count = 0
        while try reader.next() != nil { count += 1 }
        #expect(count == 50_001)
        #expect(reader.bufferCapacity <= 8192)
    }

    @Test(
        "a quote that never closes, or one huge field, stops at the record cap with its line; memory stays flat",
        arguments: ["n,phone\n1,2\n\"3,4\n", "n,phone\n1,2\n3,"])
    func recordCap(start: String) throws {
        let folder = TemporaryFolder()
        var bytes = Array(start.utf8)
        let filler = Array("5,+14155550123 and then some more text\n".utf8)
        while bytes.count < 24_000_000 { bytes += start.hasSuffix(",") ? Array(repeating: 0x61, count: 4096) : filler }
        let path = folder.write("big.csv", bytes: bytes)
        let reader = try CSVReader(path: path, chunkSize: 1 << 16, maxRecordBytes: 1 << 20)
        #expect(try reader.next()?.fields == ["n", "phone"])
        #expect(try reader.next()?.fields == ["1", "2"])
        #expect(throws: CSVError.recordTooLong(path: path, line: 3, limit: 1 << 20)) { try reader.next() }
        #expect(reader.bufferCapacity <= 3 << 20)
        #expect(CSVError.recordTooLong(path: "c.csv", line: 3, limit: 1 << 20).description.hasPrefix("c.csv:3: "))
    }

    @Test("a record just under the cap is read; the default cap is 1 MB")
    func recordUnderCap() throws {
        let value = String(repeating: "a", count: (1 << 20) - 10)
        let rows = try records("h\n\"\(value)\"\nb\n", chunkSize: 4096)
        #expect(rows.map(\.fields.first!.count) == [1, value.count, 1])
    }

    @Test(
        "a C0 control character other than tab, CR, LF is found with its field, line and column",
        arguments: [
            ("a,b\nx,y\u{0}z\n", 1, 2, 4, 0), ("a,b\n\"x\ny\",\"p\nq\u{1B}\"\n", 1, 4, 2, 0x1B),
            ("a,b\né\u{7},y\n", 0, 2, 2, 7), ("a,b\n\"x\"\u{1}z,y\n", 0, 2, 4, 1),
        ])
    func controlCharacters(text: String, field: Int, line: Int, column: Int, value: UInt8) throws {
        let rows = try records(text)
        try #require(rows.count == 2)
        #expect(rows[0].controlCharacter == nil)
        #expect(
            rows[1].controlCharacter
                == CSVRecord.ControlCharacter(field: field, line: line, column: column, value: value))
    }

    @Test("tab, CR and LF are not control characters to refuse")
    func allowedWhitespace() throws {
        let rows = try records("a,b\r\n\"x\r\ny\",\tz\r\n")
        #expect(rows.map(\.controlCharacter) == [nil, nil])
        #expect(rows[1].fields == ["x\r\ny", "\tz"])
    }
}

extension CSVError {
    var path: String {
        switch self {
        case .cannotRead(let path, _), .invalidUTF8(let path, _), .unterminatedQuote(let path, _),
            .recordTooLong(let path, _, _):
            return path
        }
    }
}
