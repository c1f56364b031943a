import Foundation

/// A streaming RFC 4180 reader: quoted fields, doubled quotes, commas and line breaks inside
/// quotes, CRLF or LF, a missing final line break, and a UTF-8 byte-order mark. It holds one
/// buffer of the file at a time, so memory stays flat however large the file is. A record longer than
/// `maxRecordBytes` (a quote that never closes turns the rest of the file into one) stops the reader
/// with its line, so memory stays flat on malformed input too.
public final class CSVReader {
    let path: String
    /// The longest record read; a longer one is `CSVError.recordTooLong`.
    let maxRecordBytes: Int
    public static let defaultMaxRecordBytes = 1 << 20
    private let handle: FileHandle
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var atEOF = false
    private var nextLine = 1
    private var checkedBOM = false
    private let chunkSize: Int

    init(path: String, chunkSize: Int = 1 << 20, maxRecordBytes: Int = defaultMaxRecordBytes)
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
    var bufferCapacity: Int { buffer.count }

    /// The next record, or nil at the end of the file. Empty lines are skipped.
    func next() throws(CSVError) -> CSVRecord? {
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

    static let quote = UInt8(ascii: "\"")
    static let comma = UInt8(ascii: ",")
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
