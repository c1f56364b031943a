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
