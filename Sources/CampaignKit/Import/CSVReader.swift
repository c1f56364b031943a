import Foundation

/// One record of a CSV file.
public struct CSVRecord: Sendable {
    /// The physical line (1-based) where the record starts.
    public var line: Int
    public var fields: [String]
    /// The record's text as it stood in the file, without its line ending.
    public var raw: String
    /// A defect confined to this record (a quote in the wrong place); the record is rejected.
    public var problem: String?
    /// The first C0 control character (other than tab, CR, LF) in a value; the record is rejected.
    public var controlCharacter: ControlCharacter?

    /// Where a control character stands: a NUL cuts C strings short, an escape sequence rewrites a terminal,
    /// so neither may reach a prompt, the database or a report.
    public struct ControlCharacter: Sendable, Equatable {
        /// The field's position (0-based).
        public var field: Int
        /// The physical line (1-based) and the column on it (1-based, in Unicode scalars).
        public var line: Int
        public var column: Int
        public var value: UInt8

        public init(field: Int, line: Int, column: Int, value: UInt8) {
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
        public static func isRefused(_ byte: UInt8) -> Bool {
            byte < 0x20 && byte != 9 && byte != 10 && byte != 13
        }
    }
}

/// Why a CSV file cannot be read at all.
public enum CSVError: Error, Equatable, CustomStringConvertible {
    case cannotRead(path: String, reason: String)
    case invalidUTF8(path: String, line: Int)
    case unterminatedQuote(path: String, line: Int)
    case recordTooLong(path: String, line: Int, limit: Int)

    public var description: String {
        switch self {
        case .cannotRead(let path, let reason):
            return "\(path): cannot read the file: \(reason)"
        case .invalidUTF8(let path, let line):
            return "\(path):\(line): the file is not valid UTF-8 from this line on; "
                + "save it again as UTF-8 (in a spreadsheet: \"CSV UTF-8\")"
        case .unterminatedQuote(let path, let line):
            return "\(path):\(line): a quoted field opens on this line and is never closed; "
                + "close it with \" (a quote inside a quoted field is written twice: \"\")"
        case .recordTooLong(let path, let line, let limit):
            let size = limit % (1 << 20) == 0 ? "\(limit >> 20) MB" : "\(limit) bytes"
            return "\(path):\(line): the record starting on this line is longer than \(size); most likely a quote "
                + "opens a field here and never closes, so the rest of the file reads as one value. Close the "
                + "quote (a quote inside a quoted field is written twice: \"\"), or shorten the value"
        }
    }
}

/// A streaming RFC 4180 reader: quoted fields, doubled quotes, commas and line breaks inside
/// quotes, CRLF or LF, a missing final line break, and a UTF-8 byte-order mark. It holds one
/// buffer of the file at a time, so memory stays flat however large the file is. A record longer than
/// `maxRecordBytes` (a quote that never closes turns the rest of the file into one) stops the reader
/// with its line, so memory stays flat on malformed input too.
public final class CSVReader {
    public let path: String
    /// The longest record read; a longer one is `CSVError.recordTooLong`.
    public let maxRecordBytes: Int
    public static let defaultMaxRecordBytes = 1 << 20
    private let handle: FileHandle
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var atEOF = false
    private var nextLine = 1
    private var checkedBOM = false
    private let chunkSize: Int

    public init(path: String, chunkSize: Int = 1 << 20, maxRecordBytes: Int = defaultMaxRecordBytes)
        throws(CSVError)
    {
        self.path = path
        self.maxRecordBytes = max(1, maxRecordBytes)
        self.chunkSize = chunkSize
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"
            throw .cannotRead(path: path, reason: reason)
        }
        self.handle = handle
        buffer = [UInt8](repeating: 0, count: chunkSize)
    }

    deinit {
        try? handle.close()
    }

    /// How many bytes the reader holds at most (it grows only for a single record longer than that).
    public var bufferCapacity: Int { buffer.count }

    /// The next record, or nil at the end of the file. Empty lines are skipped.
    public func next() throws(CSVError) -> CSVRecord? {
        while true {
            if start < end || atEOF {
                switch try parseRecord() {
                case .record(let record): return record
                case .skipBlank: continue
                case .needMore:
                    if end - start > maxRecordBytes {
                        throw .recordTooLong(path: path, line: nextLine, limit: maxRecordBytes)
                    }
                case .end: return nil
                }
            }
            try refill()
        }
    }

    private func refill() throws(CSVError) {
        if start > 0 {
            buffer.withUnsafeMutableBufferPointer { bytes in
                let count = end - start
                if count > 0 {
                    _ = memmove(bytes.baseAddress!, bytes.baseAddress! + start, count)
                }
            }
            end -= start
            start = 0
        }
        if buffer.count - end < max(1, chunkSize / 2) {
            buffer.append(contentsOf: [UInt8](repeating: 0, count: max(chunkSize, buffer.count)))
        }
        let data: Data
        do {
            data = try handle.read(upToCount: buffer.count - end) ?? Data()
        } catch {
            throw .cannotRead(path: path, reason: "\(error.localizedDescription)")
        }
        if data.isEmpty {
            atEOF = true
            return
        }
        buffer.withUnsafeMutableBufferPointer { bytes in
            _ = data.copyBytes(to: UnsafeMutableBufferPointer(rebasing: bytes[end..<(end + data.count)]))
        }
        end += data.count
        if !checkedBOM && end >= 3 {
            checkedBOM = true
            if buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { start = 3 }
        }
    }

    private enum Parsed {
        case record(CSVRecord)
        case skipBlank
        case needMore
        case end
    }

    private static let quote = UInt8(ascii: "\"")
    private static let comma = UInt8(ascii: ",")
    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")

    /// Parses one record starting at `start`. Returns `.needMore` when the buffer ends before the
    /// record does and more of the file remains.
    private func parseRecord() throws(CSVError) -> Parsed {
        if atEOF && start >= end { return .end }
        let path = self.path
        let firstLine = nextLine
        return try buffer.withUnsafeBufferPointer { (bytes: UnsafeBufferPointer<UInt8>) throws(CSVError) -> Parsed in
            var fields: [String] = []
            fields.reserveCapacity(8)
            var index = start
            var linesInside = 0
            var nonASCII = false
            var problem: String?
            // The first refused control character: its offset and its field.
            var control = -1
            var controlField = 0
            let limit = end
            // Field loop.
            while true {
                var fieldEnd: Int
                var text: String
                if index < limit && bytes[index] == Self.quote {
                    // Quoted field: find the closing quote, collecting doubled quotes.
                    var scan = index + 1
                    var hasDoubled = false
                    var closed = false
                    while scan < limit {
                        let byte = bytes[scan]
                        if byte == Self.quote {
                            if scan + 1 < limit && bytes[scan + 1] == Self.quote {
                                hasDoubled = true
                                scan += 2
                                continue
                            }
                            if scan + 1 >= limit && !atEOF { break }
                            closed = true
                            break
                        }
                        if byte < 0x20 {
                            if byte == Self.lf {
                                linesInside += 1
                            } else if control < 0 && CSVRecord.ControlCharacter.isRefused(byte) {
                                control = scan
                                controlField = fields.count
                            }
                        } else if byte >= 0x80 {
                            nonASCII = true
                        }
                        scan += 1
                    }
                    if !closed {
                        if atEOF { throw CSVError.unterminatedQuote(path: path, line: firstLine) }
                        return .needMore
                    }
                    if hasDoubled {
                        // Inside the quotes every quote is doubled (a single one closed the field).
                        let first = index + 1
                        text = String(unsafeUninitializedCapacity: scan - first) { out in
                            var written = 0
                            var read = first
                            while read < scan {
                                out[written] = bytes[read]
                                written += 1
                                read += bytes[read] == Self.quote ? 2 : 1
                            }
                            return written
                        }
                    } else {
                        text = String(decoding: UnsafeBufferPointer(rebasing: bytes[(index + 1)..<scan]), as: UTF8.self)
                    }
                    fieldEnd = scan + 1
                    // After the closing quote only a comma or a line end may follow.
                    if fieldEnd < limit && bytes[fieldEnd] != Self.comma && bytes[fieldEnd] != Self.lf
                        && bytes[fieldEnd] != Self.cr
                    {
                        var junkEnd = fieldEnd
                        while junkEnd < limit && bytes[junkEnd] != Self.comma && bytes[junkEnd] != Self.lf
                            && bytes[junkEnd] != Self.cr
                        {
                            if bytes[junkEnd] >= 0x80 { nonASCII = true }
                            if control < 0 && CSVRecord.ControlCharacter.isRefused(bytes[junkEnd]) {
                                control = junkEnd
                                controlField = fields.count
                            }
                            junkEnd += 1
                        }
                        if junkEnd >= limit && !atEOF { return .needMore }
                        if problem == nil {
                            problem =
                                "field \(fields.count + 1) has text after its closing quote; "
                                + "a quote inside a quoted field is written twice (\"\")"
                        }
                        text += String(
                            decoding: UnsafeBufferPointer(rebasing: bytes[fieldEnd..<junkEnd]), as: UTF8.self)
                        fieldEnd = junkEnd
                    }
                } else {
                    var scan = index
                    while scan < limit {
                        let byte = bytes[scan]
                        if byte == Self.comma || byte == Self.lf || byte == Self.cr { break }
                        if byte >= 0x80 {
                            nonASCII = true
                        } else if byte < 0x20 && byte != 9 && control < 0 {
                            control = scan
                            controlField = fields.count
                        }
                        scan += 1
                    }
                    if scan >= limit && !atEOF { return .needMore }
                    text = String(decoding: UnsafeBufferPointer(rebasing: bytes[index..<scan]), as: UTF8.self)
                    fieldEnd = scan
                }
                fields.append(text)
                // Separator or record end.
                if fieldEnd >= limit {
                    // End of file without a final line break.
                    return try finish(
                        bytes, fields, from: start, to: fieldEnd, next: fieldEnd,
                        lines: linesInside, nonASCII: nonASCII, problem: problem, firstLine: firstLine,
                        control: control, controlField: controlField)
                }
                let separator = bytes[fieldEnd]
                if separator == Self.comma {
                    index = fieldEnd + 1
                    if index >= limit && !atEOF { return .needMore }
                    continue
                }
                var next = fieldEnd + 1
                if separator == Self.cr {
                    if next >= limit && !atEOF { return .needMore }
                    if next < limit && bytes[next] == Self.lf { next += 1 }
                }
                return try finish(
                    bytes, fields, from: start, to: fieldEnd, next: next, lines: linesInside,
                    nonASCII: nonASCII, problem: problem, firstLine: firstLine, control: control,
                    controlField: controlField)
            }
        }
    }

    private func finish(
        _ bytes: UnsafeBufferPointer<UInt8>, _ fields: [String], from: Int, to: Int, next: Int, lines: Int,
        nonASCII: Bool, problem: String?, firstLine: Int, control: Int, controlField: Int
    ) throws(CSVError) -> Parsed {
        if to - from > maxRecordBytes { throw .recordTooLong(path: path, line: firstLine, limit: maxRecordBytes) }
        let recordBytes = UnsafeBufferPointer(rebasing: bytes[from..<to])
        if nonASCII, let offset = Self.firstInvalidUTF8(recordBytes) {
            let linesBefore = recordBytes[0..<offset].reduce(0) { $0 + ($1 == Self.lf ? 1 : 0) }
            throw .invalidUTF8(path: path, line: firstLine + linesBefore)
        }
        start = next
        nextLine = firstLine + lines + 1
        if to == from { return .skipBlank }
        let raw = String(decoding: recordBytes, as: UTF8.self)
        var record = CSVRecord(line: firstLine, fields: fields, raw: raw, problem: problem)
        if control >= 0 {
            // Rare: count the lines before it, then the scalars (not UTF-8 continuation bytes) on its line.
            var line = firstLine
            var lineStart = from
            for offset in from..<control where bytes[offset] == Self.lf {
                line += 1
                lineStart = offset + 1
            }
            let column = 1 + bytes[lineStart..<control].reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
            record.controlCharacter = .init(field: controlField, line: line, column: column, value: bytes[control])
        }
        return .record(record)
    }

    /// The offset of the first byte that is not part of valid UTF-8, or nil when all of it is valid.
    static func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var minimum: UInt32
            var scalar: UInt32
            switch lead {
            case 0xC2...0xDF: length = 2; minimum = 0x80; scalar = UInt32(lead & 0x1F)
            case 0xE0...0xEF: length = 3; minimum = 0x800; scalar = UInt32(lead & 0x0F)
            case 0xF0...0xF4: length = 4; minimum = 0x10000; scalar = UInt32(lead & 0x07)
            default: return index
            }
            guard index + length <= count else { return index }
            for offset in 1..<length {
                let byte = bytes[index + offset]
                guard byte & 0xC0 == 0x80 else { return index }
                scalar = scalar << 6 | UInt32(byte & 0x3F)
            }
            if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return index }
            index += length
        }
        return nil
    }
}

/// Writes RFC 4180 records: fields quoted only when they need it, line ends CRLF.
public enum CSVWriter {
    /// One field, quoted if it holds a comma, quote, CR or LF (or leading/trailing spaces).
    public static func field(_ text: String) -> String {
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
    public static func record(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",")
    }
}

extension CSVReader {
    /// Splits one stored record (as `CSVRecord.raw` keeps it) into its fields.
    public static func parseLine(_ text: String) -> [String] {
        var fields: [String] = []
        var text = text
        text.withUTF8 { bytes in
            forEachValue(bytes) { value in
                fields.append(String(decoding: value, as: UTF8.self))
                return true
            }
        }
        return fields
    }

    /// Calls `body` with each value of one stored record (as `CSVRecord.raw` keeps it), read by the rules
    /// `next()` reads the file with: a field is quoted only when it starts with a quote (a quote anywhere
    /// else is a character, as in `Screen 27"`), a doubled quote inside quotes is one quote, and text
    /// after a closing quote is part of the value. `body` returns false to stop.
    ///
    /// Everything that decides per field on a stored record (`parseLine`, the spreadsheet guard) goes
    /// through here, so it sees the fields the import saw; a second, looser splitter once took a stray
    /// quote for an opening one and hid the next field from the guard. A value without doubled quotes or
    /// trailing text is handed over in place, without a copy.
    public static func forEachValue(
        _ record: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Bool
    ) {
        let count = record.count
        var scratch: [UInt8] = []
        var index = 0
        while true {
            var separator: Int
            var keepGoing: Bool
            if index < count && record[index] == quote {
                var scan = index + 1
                var doubled = false
                while scan < count {
                    if record[scan] == quote {
                        if scan + 1 < count && record[scan + 1] == quote {
                            doubled = true
                            scan += 2
                            continue
                        }
                        break
                    }
                    scan += 1
                }
                let close = min(scan, count)
                let after = min(close + 1, count)
                separator = after
                while separator < count && record[separator] != comma { separator += 1 }
                if !doubled && separator == after {
                    keepGoing = body(UnsafeBufferPointer(rebasing: record[(index + 1)..<close]))
                } else {
                    scratch.removeAll(keepingCapacity: true)
                    var read = index + 1
                    while read < close {
                        scratch.append(record[read])
                        read += record[read] == quote ? 2 : 1
                    }
                    scratch.append(contentsOf: UnsafeBufferPointer(rebasing: record[after..<separator]))
                    keepGoing = scratch.withUnsafeBufferPointer(body)
                }
            } else {
                separator = index
                while separator < count && record[separator] != comma { separator += 1 }
                keepGoing = body(UnsafeBufferPointer(rebasing: record[index..<separator]))
            }
            if !keepGoing || separator >= count { return }
            index = separator + 1
        }
    }
}
