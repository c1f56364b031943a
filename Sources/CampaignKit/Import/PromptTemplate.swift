/// A prompt with `[column]` and `[column|default]` placeholders, bound to a CSV header.
///
/// Expansion is a single pass: a value that itself contains `[brackets]` is inserted as it is and
/// never expanded again. `\[` writes a literal `[`.
public struct PromptTemplate: Sendable, Equatable {
    enum Segment: Sendable, Equatable {
        case literal(String)
        /// `column` is the index in the header; `name` is the header's spelling.
        case placeholder(column: Int, name: String, defaultValue: String?)
    }

    let source: String
    let segments: [Segment]

    /// The header columns the template uses, in first-use order.
    var usedColumns: [Int] {
        var seen: [Int] = []
        for case .placeholder(let column, _, _) in segments where !seen.contains(column) { seen.append(column) }
        return seen
    }

    /// Parses `source` and binds each placeholder to a column of `header` (exact spelling first,
    /// then a unique case-insensitive match).
    init(_ source: String, header: [String], file: String = "prompt") throws(TemplateError) {
        self.source = source
        var segments: [Segment] = []
        var literal = ""
        var line = 1
        var index = source.startIndex
        while index < source.endIndex {
            let character = source[index]
            if character == "\\", source.index(after: index) < source.endIndex,
                source[source.index(after: index)] == "["
            {
                literal.append("[")
                index = source.index(index, offsetBy: 2)
                continue
            }
            if character == "\n" { line += 1 }
            guard character == "[" else {
                literal.append(character)
                index = source.index(after: index)
                continue
            }
            // A placeholder runs to the next ']' on the same line.
            guard let close = source[index...].firstIndex(where: { $0 == "]" || $0 == "\n" }),
                source[close] == "]"
            else {
                throw .unclosedPlaceholder(file: file, line: line)
            }
            let body = source[source.index(after: index)..<close]
            let name: Substring
            let defaultValue: String?
            if let bar = body.firstIndex(of: "|") {
                name = body[..<bar]
                defaultValue = String(body[body.index(after: bar)...])
            } else {
                name = body
                defaultValue = nil
            }
            let trimmed = name.trimmingSpaces
            if trimmed.isEmpty { throw .emptyPlaceholder(file: file, line: line) }
            guard let column = Self.column(named: trimmed, in: header) else {
                throw .unknownPlaceholder(file: file, line: line, name: trimmed, available: header)
            }
            if !literal.isEmpty {
                segments.append(.literal(literal))
                literal = ""
            }
            segments.append(.placeholder(column: column, name: header[column], defaultValue: defaultValue))
            index = source.index(after: close)
        }
        if !literal.isEmpty { segments.append(.literal(literal)) }
        self.segments = segments
    }

    static func column(named name: String, in header: [String]) -> Int? {
        if let exact = header.firstIndex(where: { $0.trimmingSpaces == name }) { return exact }
        let lower = name.lowercased()
        let matches = header.indices.filter { header[$0].trimmingSpaces.lowercased() == lower }
        return matches.count == 1 ? matches[0] : nil
    }

    /// The prompt for one row, or the names of the placeholders whose value is empty and have no default.
    func expand(_ fields: [String]) -> Result<String, EmptyValues> {
        var output = ""
        output.reserveCapacity(source.utf8.count + 64)
        var missing: [String] = []
        for segment in segments {
            switch segment {
            case .literal(let text):
                output += text
            case .placeholder(let column, let name, let defaultValue):
                let value = column < fields.count ? fields[column] : ""
                if value.isBlank {
                    if let defaultValue {
                        output += defaultValue
                    } else if !missing.contains(name) {
                        missing.append(name)
                    }
                } else {
                    output += value
                }
            }
        }
        return missing.isEmpty ? .success(output) : .failure(EmptyValues(columns: missing))
    }

    public struct EmptyValues: Error, Equatable {
        var columns: [String]
    }
}

/// A prompt that cannot be used with the contacts file.
public enum TemplateError: Error, Equatable, CustomStringConvertible {
    case unknownPlaceholder(file: String, line: Int, name: String, available: [String])
    case unclosedPlaceholder(file: String, line: Int)
    case emptyPlaceholder(file: String, line: Int)
    case cannotRead(path: String, reason: String)
    case empty(path: String)
    case controlCharacter(path: String, CSVRecord.ControlCharacter)

    public var description: String {
        switch self {
        case .unknownPlaceholder(let file, let line, let name, let available):
            return "\(file):\(line): placeholder [\(name)] matches no column of the contacts file; "
                + "the columns are: \(available.joined(separator: ", ")). "
                + "Rename the placeholder or the column (write \\[ for a literal bracket)"
        case .unclosedPlaceholder(let file, let line):
            return "\(file):\(line): a '[' opens a placeholder that is not closed on the same line; "
                + "close it with ']' or write \\[ for a literal bracket"
        case .emptyPlaceholder(let file, let line):
            return
                "\(file):\(line): an empty placeholder []; put a column name inside, or write \\[ for a literal bracket"
        case .cannotRead(let path, let reason):
            return "\(path): cannot read the prompt: \(reason)"
        case .empty(let path):
            return "\(path): the prompt is empty; write what the agent should say and do"
        case .controlCharacter(let path, let control):
            return "\(path):\(control.line): \(control.location); a prompt may hold tabs and line breaks but no "
                + "other control character (a NUL would cut it short when sent): remove it"
        }
    }
}

extension PromptTemplate {
    /// The first C0 control character of `text` other than tab, CR and LF, with its line and column.
    public static func firstControlCharacter(in text: String) -> CSVRecord.ControlCharacter? {
        var line = 1
        var column = 0
        for byte in text.utf8 {
            if byte == 10 {
                line += 1
                column = 0
                continue
            }
            if byte & 0xC0 != 0x80 { column += 1 }
            if CSVRecord.ControlCharacter.isRefused(byte) {
                return .init(field: 0, line: line, column: column, value: byte)
            }
        }
        return nil
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }

    /// True when empty or only whitespace. ASCII text (nearly every value) is checked byte by byte;
    /// any other text character by character, as `Character.isWhitespace` defines it.
    var isBlank: Bool {
        for byte in utf8 {
            if byte >= 0x80 { return allSatisfy(\.isWhitespace) }
            if byte != 32 && !(9...13).contains(byte) { return false }
        }
        return true
    }
}
