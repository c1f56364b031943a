import Foundation

/// Writes a campaign's results CSV: one row per contact, the original columns in their original
/// order, then the result columns. Streams from the database, so memory stays flat.
public struct ResultsExporter {
    public let store: CampaignStore

    public static let resultColumns = [
        "phone_e164", "status", "outcome", "attempts", "interaction_id", "summary", "recording_url", "error",
        "last_attempt_at", "completed_at",
    ]

    public init(store: CampaignStore) {
        self.store = store
    }

    /// Writes the CSV to `path` (through a temporary file, renamed when complete); returns the row count.
    @discardableResult
    public func write(campaign: CampaignRecord, to path: String) throws -> Int {
        let temporary = path + ".partial"
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
            let handle = FileHandle(forWritingAtPath: temporary)
        else {
            throw ImportError.cannotWrite(path: path, reason: "the folder is not writable")
        }
        var buffer = CSVWriter.record(campaign.columns + Self.resultColumns) + "\r\n"
        var count = 0
        do {
            try store.forEachResult(campaign: campaign) { result in
                buffer += result.rowCSV
                for value in result.values {
                    buffer += ","
                    buffer += CSVWriter.field(value ?? "")
                }
                buffer += "\r\n"
                count += 1
                if buffer.utf8.count >= 1 << 16 {
                    handle.write(Data(buffer.utf8))
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            handle.write(Data(buffer.utf8))
            try handle.close()
        } catch {
            try? handle.close()
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw ImportError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        return count
    }
}
