import Foundation

/// Writes a campaign's results CSV: one row per contact, the original columns in their original
/// order, then the result columns. Streams from the database, so memory stays flat.
///
/// Rows are assembled as bytes in one reused buffer straight from SQLite's column text, and the contact's
/// stored record is copied verbatim whenever it needs no change: that keeps a million-row export within
/// reach of sqlite3's own CSV output (scripts/bench-report.sh).
public struct ResultsExporter {
    public let store: CampaignStore
    /// Prefix cells that could run as spreadsheet formulas (see `SpreadsheetSafety`). On by default.
    public var spreadsheetSafe: Bool

    public static let resultColumns = [
        "phone_e164", "status", "outcome", "attempts", "interaction_id", "summary", "recording_url", "error",
        "last_attempt_at", "completed_at",
    ]

    public init(store: CampaignStore, spreadsheetSafe: Bool = true) {
        self.store = store
        self.spreadsheetSafe = spreadsheetSafe
    }

    /// Writes the CSV to `path` (through a temporary file, renamed when complete); returns the row count.
    @discardableResult
    public func write(campaign: CampaignRecord, to path: String) throws -> Int {
        let (fd, temporary) = try OutputFile.createTemporary(beside: path)
        var output = ByteWriter(fd: fd, path: path)
        var count = 0
        let safe = spreadsheetSafe
        do {
            let header = campaign.columns.map { safe ? SpreadsheetSafety.neutralized($0) : $0 } + Self.resultColumns
            output.append(CSVWriter.record(header))
            output.appendCRLF()
            try store.forEachResultRow(campaign: campaign) { row in
                row.withBytes(0) { record in
                    guard let record else { return }
                    if safe && SpreadsheetSafety.recordNeedsChange(record) {
                        var first = true
                        CSVReader.forEachValue(record) { value in
                            if !first { output.append(byte: SpreadsheetSafety.comma) }
                            first = false
                            output.appendField(value, prefix: true)
                            return true
                        }
                    } else {
                        output.append(record)
                    }
                }
                for column in 1..<RawResultRow.columnCount {
                    output.append(byte: SpreadsheetSafety.comma)
                    // phone_e164 (column 1) is ours and always the plain E.164 string.
                    row.withBytes(column) { value in
                        if let value { output.appendField(value, prefix: safe && column != 1) }
                    }
                }
                output.appendCRLF()
                count += 1
                try output.flushIfFull()
            }
            try output.flush()
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        guard close(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw ReportError.cannotWrite(path: path, reason: reason)
        }
        try OutputFile.commit(temporary, to: path)
        return count
    }
}

/// A buffered writer of CSV bytes to a file descriptor.
struct ByteWriter {
    let fd: Int32
    let path: String
    var buffer: [UInt8] = []
    static let capacity = 1 << 20

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        buffer.reserveCapacity(Self.capacity + (1 << 16))
    }

    mutating func append(_ text: String) { buffer.append(contentsOf: text.utf8) }

    @inline(__always)
    mutating func append(byte: UInt8) { buffer.append(byte) }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) { buffer.append(contentsOf: bytes) }

    mutating func appendCRLF() {
        buffer.append(13)
        buffer.append(10)
    }

    /// One field, quoted when it holds a comma, quote, CR or LF or starts or ends with a space (as
    /// `CSVWriter.field` does), with a `'` first when `prefix` and the value could run as a formula.
    mutating func appendField(_ value: UnsafeBufferPointer<UInt8>, prefix: Bool) {
        var needsQuotes = false
        for byte in value
        where byte == SpreadsheetSafety.comma || byte == SpreadsheetSafety.quote || byte == 10
            || byte == 13
        {
            needsQuotes = true
            break
        }
        if !needsQuotes, let first = value.first, let last = value.last, first == 32 || last == 32 {
            needsQuotes = true
        }
        let apostrophe = prefix && SpreadsheetSafety.needsPrefix(value)
        if !needsQuotes {
            if apostrophe { buffer.append(SpreadsheetSafety.apostrophe) }
            buffer.append(contentsOf: value)
            return
        }
        buffer.append(SpreadsheetSafety.quote)
        if apostrophe { buffer.append(SpreadsheetSafety.apostrophe) }
        for byte in value {
            if byte == SpreadsheetSafety.quote { buffer.append(SpreadsheetSafety.quote) }
            buffer.append(byte)
        }
        buffer.append(SpreadsheetSafety.quote)
    }

    mutating func flushIfFull() throws(ReportError) {
        if buffer.count >= Self.capacity { try flush() }
    }

    mutating func flush() throws(ReportError) {
        var offset = 0
        let failure: Int32? = buffer.withUnsafeBytes { raw in
            while offset < raw.count {
                let written = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        buffer.removeAll(keepingCapacity: true)
        if let failure { throw .cannotWrite(path: path, reason: String(cString: strerror(failure))) }
    }
}

/// A report output that could not be written.
public enum ReportError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason); check the folder exists and is writable"
        }
    }
}
