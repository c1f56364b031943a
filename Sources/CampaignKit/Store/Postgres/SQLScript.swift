/// A SQL file cut into its statements. postgres-nio speaks only the extended query protocol, which takes one
/// statement per query, so schema.postgres.sql is sent statement by statement (in one transaction).
enum SQLScript {
    /// The statements of `text`, split at each `;` outside a `--` comment, a quoted string or a quoted name;
    /// comments are kept inside the statement they stand in, and blank or comment-only pieces are dropped.
    /// Enough for the schema files (no `$$` bodies, no `/* */` comments: a test checks the split).
    static func statements(_ text: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var quote: Character?
        var inComment = false
        for character in text {
            current.append(character)
            if inComment {
                if character == "\n" { inComment = false }
            } else if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "-" && current.hasSuffix("--") {
                inComment = true
            } else if character == ";" {
                statements.append(current)
                current = ""
            }
        }
        statements.append(current)
        return statements.map { $0.trimmingWhitespace() }.filter { !isCommentOnly($0) }
    }

    static func isCommentOnly(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy {
            let line = $0.drop { $0 == " " || $0 == "\t" }
            return line.isEmpty || line.hasPrefix("--")
        }
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0.isWhitespace }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
