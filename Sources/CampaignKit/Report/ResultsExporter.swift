import Foundation

/// Writes a campaign's results CSV: one row per contact, the original columns in their original
/// order, then the result columns. Streams from the database, so memory stays flat.
///
/// Rows are assembled as bytes in one reused buffer straight from SQLite's column text, and the contact's
/// stored record is copied verbatim whenever it needs no change: that keeps a million-row export within
/// reach of sqlite3's own CSV output (scripts/bench-report.sh).
public struct ResultsExporter {
    /// Prefix cells that could run as spreadsheet formulas (see `SpreadsheetSafety`). On by default.
    var spreadsheetSafe: Bool

    static let resultColumns = [
        "phone_e164", "status", "outcome", "attempts", "interaction_id", "summary", "recording_url", "error",
        "last_attempt_at", "completed_at",
    ]

    public init(spreadsheetSafe: Bool = true) {
        self.spreadsheetSafe = spreadsheetSafe
    }

    /// Writes the CSV of `campaign` in `store` to `path` (through a temporary file, renamed when complete);
    /// returns the row count.
    @discardableResult
    func write(campaign: CampaignRecord, in store: some ReportStore, to path: String) async throws -> Int {
        try await store.readReport(campaign: campaign) { try await write($0, to: path) }
    }

    /// Writes the CSV of `report`'s moment to `path` (through a temporary file, renamed when complete);
    /// returns the row count.
    @discardableResult
    public func write(_ report: some ReportReading, to path: String) async throws -> Int {
        var file = try PartialFile(beside: path)
        var count = 0
        let safe = spreadsheetSafe
        do {
            let header =
                report.campaign.columns.map { safe ? SpreadsheetSafety.neutralized($0) : $0 } + Self.resultColumns
            file.output.append(CSVWriter.record(header))
            file.output.appendCRLF()
            try await report.forEachResultRow { row in
                row.withBytes(0) { record in
                    guard let record else { return }
                    if safe && SpreadsheetSafety.recordNeedsChange(record) {
                        var first = true
                        CSVReader.forEachValue(record) { value in
                            if !first { file.output.append(byte: SpreadsheetSafety.comma) }
                            first = false
                            file.output.appendField(value, prefix: true)
                            return true
                        }
                    } else {
                        file.output.append(record)
                    }
                }
                for column in 1..<ResultRowLayout.columnCount {
                    file.output.append(byte: SpreadsheetSafety.comma)
                    // phone_e164 (column 1) is ours and always the plain E.164 string.
                    row.withBytes(column) { value in
                        if let value { file.output.appendField(value, prefix: safe && column != 1) }
                    }
                }
                file.output.appendCRLF()
                count += 1
                try file.output.flushIfFull()
            }
        } catch {
            file.discard()
            throw error
        }
        try file.keep()
        return count
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
