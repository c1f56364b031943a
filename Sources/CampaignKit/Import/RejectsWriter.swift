import Foundation

/// Writes rejected and duplicate rows to a CSV beside the contacts file: `line`, `problem`, then
/// the original columns, so the file can be fixed and imported again. Written to a temporary file
/// (`PartialFile`) and moved into place only when the import finishes, so it is never half-written.
struct RejectsWriter {
    let path: String
    let header: [String]
    /// Created at the first rejected row: an import without one leaves no file.
    private var file: PartialFile?

    init(path: String, header: [String]) {
        self.path = path
        self.header = header
    }

    mutating func write(line: Int, problem: [String], fields: [String]) throws {
        if file == nil {
            do {
                file = try PartialFile(beside: path)
            } catch {
                throw ImportError.cannotWrite(
                    path: path, reason: "the folder is not writable (choose another with --rejects)")
            }
            file?.output.append(
                CSVWriter.record((["line", "problem"] + header).map(SpreadsheetSafety.neutralized)) + "\r\n")
        }
        // Guarded like the results CSV: a rejected row is opened in a spreadsheet to be fixed.
        let cells = [String(line), problem.joined(separator: "; ")] + fields
        file?.output.append(CSVWriter.record(cells.map(SpreadsheetSafety.neutralized)) + "\r\n")
        do {
            try file?.output.flushIfFull()
        } catch .cannotWrite(_, let reason) {
            throw ImportError.cannotWrite(path: path, reason: reason)
        }
    }

    /// Moves the finished file into place; returns its path, or nil when no row was written.
    mutating func keep() throws -> String? {
        guard var file else { return nil }
        self.file = nil
        do {
            try file.keep()
        } catch .cannotWrite(_, let reason) {
            throw ImportError.cannotWrite(path: path, reason: reason)
        }
        return path
    }

    /// Removes the temporary file if the import ends without keeping it.
    mutating func discard() {
        file?.discard()
        file = nil
    }
}
