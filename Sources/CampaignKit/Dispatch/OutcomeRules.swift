import Foundation

/// Gives a finished call its outcome label from the summary text Poku returns.
///
/// The API reports no structured outcome, only a summary written by the agent, so the label comes
/// from regular expressions over that text: the user's rules first (in file order), then the
/// defaults for an opt-out, voicemail, no answer and busy. A call that produced no result is `no_result`,
/// which retries treat like no answer.
public struct OutcomeRules: Sendable {
    static let answered = "answered"
    static let voicemail = "voicemail"
    static let noAnswer = "no_answer"
    static let busy = "busy"
    static let noResult = "no_result"
    /// The person asked not to be called again: the number goes on the do-not-call list with the call's end.
    static let optOut = "opt_out"

    /// One `label: regex` rule.
    public struct Rule: Sendable {
        var label: String
        var pattern: String
        let regex: NSRegularExpression

        /// Compiles `pattern` case-insensitively.
        init(label: String, pattern: String) throws {
            self.label = label
            self.pattern = pattern
            self.regex = try NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
        }

        func matches(_ text: String) -> Bool {
            regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }
    }

    /// The user's rules, tried before `defaultRules`.
    var userRules: [Rule]

    // The patterns are fixed and known to compile.
    // swift-format-ignore: NeverUseForceTry
    static let defaultRules: [Rule] = [
        // First: a summary that says the person asked not to be called is an opt-out, whatever else it says.
        try! Rule(
            label: optOut,
            pattern: #"(asked|wants?|wanted|requested|said|told us)\b.{0,40}\b"#
                + #"(not|never|no longer)( want)?( to)?( be)? (call|contact|phon|ring)|stop (calling|contacting)|(do not|don't|never) call "#
                + #"(me|us|them|him|her|again|back)|remove (me|us|them|him|her|it|my|our|your|their|his|the)\b.{0,30}"#
                + #"\b(number|list)|take (me|them|him|her|their number|his number) off|opt(ed|s)?[ -]?out|unsubscribe"#),
        try! Rule(label: voicemail, pattern: #"voice ?mail|answering machine|left (a|the) message|leave a message"#),
        try! Rule(
            label: noAnswer,
            pattern: #"no answer|not answer|(didn't|did not|never) (pick|answer)|unanswered|no one (picked|answered)"#),
        try! Rule(label: busy, pattern: #"\bbusy\b|engaged tone"#),
    ]

    public init(userRules: [Rule] = []) {
        self.userRules = userRules
    }

    /// Reads a rules file: one `label: regex` a line; blank lines and lines starting with `#` are skipped.
    public init(contentsOf path: String) throws(OutcomeRulesError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .cannotRead(path: path, reason: error.localizedDescription)
        }
        try self.init(parsing: text, file: path)
    }

    /// Parses rules text; `file` names it in errors.
    init(parsing text: String, file: String) throws(OutcomeRulesError) {
        var rules: [Rule] = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw .badLine(file: file, line: lineNumber, text: line)
            }
            let label = line[..<colon].trimmingCharacters(in: .whitespaces)
            let pattern = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard Self.isValidLabel(label) else {
                throw .badLabel(file: file, line: lineNumber, label: label)
            }
            guard !pattern.isEmpty else { throw .badLine(file: file, line: lineNumber, text: line) }
            do {
                rules.append(try Rule(label: label, pattern: pattern))
            } catch {
                throw .badRegex(file: file, line: lineNumber, pattern: pattern, reason: "\(error.localizedDescription)")
            }
        }
        self.init(userRules: rules)
    }

    /// Labels are short identifiers so they work as `--retry-on` values and CSV cells.
    static func isValidLabel(_ label: String) -> Bool {
        !label.isEmpty && label.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }

    /// The label of a call that ended with `completion` (`nil`: ended without a result).
    func label(for completion: CallCompletion?) -> String {
        guard let completion else { return Self.noResult }
        let summary = completion.summary ?? ""
        for rule in userRules + Self.defaultRules where rule.matches(summary) {
            return rule.label
        }
        return Self.answered
    }
}

/// A rules file that cannot be used, with the place to fix it.
public enum OutcomeRulesError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotRead(path: String, reason: String)
    case badLine(file: String, line: Int, text: String)
    case badLabel(file: String, line: Int, label: String)
    case badRegex(file: String, line: Int, pattern: String, reason: String)

    public var description: String {
        switch self {
        case .cannotRead(let path, let reason):
            return "cannot read the outcome rules file \(path): \(reason)"
        case .badLine(let file, let line, let text):
            return "\(file):\(line): '\(text)' is not a rule; write one 'label: regex' a line"
        case .badLabel(let file, let line, let label):
            return "\(file):\(line): '\(label)' is not a label; use a-z, 0-9 and _ (e.g. interested)"
        case .badRegex(let file, let line, let pattern, let reason):
            return "\(file):\(line): the regular expression '\(pattern)' does not compile: \(reason)"
        }
    }
}
