/// A SQL file cut into its statements. postgres-nio speaks only the extended query protocol, which takes one
/// statement per query, so schema.postgres.sql is sent statement by statement (in one transaction).
enum SQLScript {
    /// The statements of `text`, without their `;` and without `--` comments, split at each `;` outside a
    /// comment, a quoted string or a quoted name. Enough for the schema files (no `$$` bodies, no `/* */`
    /// comments; a test checks the split of schema.postgres.sql).
    static func statements(_ text: String) -> [String] {
        let characters = Array(text)
        var statements: [String] = []
        var current = ""
        var quote: Character?
        var index = 0
        while index < characters.count {
            let character = characters[index]
            index += 1
            if let open = quote {
                current.append(character)
                if character == open { quote = nil }
            } else if character == "-", index < characters.count, characters[index] == "-" {
                while index < characters.count, characters[index] != "\n" { index += 1 }
            } else if character == ";" {
                statements.append(current)
                current = ""
            } else {
                current.append(character)
                if character == "'" || character == "\"" { quote = character }
            }
        }
        statements.append(current)
        return statements.map(trimmed).filter { !$0.isEmpty }
    }

    static func trimmed(_ text: String) -> String {
        String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
