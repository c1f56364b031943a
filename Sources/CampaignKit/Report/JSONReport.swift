import Foundation

/// `campaign report --json`: the summary as one JSON object (snake_case keys), and with `jobs` every job
/// as well, streamed one per line so a million jobs never sit in memory at once.
public enum JSONReport {
    /// The summary alone, as pretty-printed JSON.
    static func encode(_ summary: CampaignSummary) -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain structs of strings and numbers cannot fail.
        return String(decoding: try! encoder.encode(summary), as: UTF8.self)
    }

    /// Writes the summary to `fd`; with `jobs`, adds a `"jobs"` array holding every job of the campaign.
    /// Writes the summary alone to `fd`.
    public static func write(_ summary: CampaignSummary, to fd: Int32 = STDOUT_FILENO) throws {
        var output = ByteWriter(fd: fd, path: "standard output")
        output.append(encode(summary) + "\n")
        try output.flush()
    }

    /// Writes the summary to `fd` with a `"jobs"` array holding every job of `report`'s moment.
    public static func write(
        _ summary: CampaignSummary, jobsFrom report: some ReportReading, to fd: Int32 = STDOUT_FILENO
    ) async throws {
        var output = ByteWriter(fd: fd, path: "standard output")
        var text = encode(summary)
        // Reopen the object to append the array after the summary's keys.
        if let close = text.lastIndex(of: "}") { text = String(text[..<close]) }
        while text.last == "\n" || text.last == " " { text.removeLast() }
        output.append(text + ",\n  \"jobs\" : [\n")
        var first = true
        try await report.forEachJob { job in
            if !first { output.append(",\n") }
            first = false
            output.append("    ")
            appendJob(job, columns: report.campaign.columns, to: &output)
            try output.flushIfFull()
        }
        output.append("\n  ]\n}\n")
        try output.flush()
    }

    static func appendJob(_ job: JobRecord, columns: [String], to output: inout ByteWriter) {
        var members: [(String, String)] = [
            ("id", String(job.id)), ("line", String(job.sourceLine)), ("phone_e164", quoted(job.phoneE164)),
            ("status", quoted(job.status)), ("outcome", quoted(job.outcome)), ("attempts", String(job.attempts)),
            ("interaction_id", quoted(job.interactionID)), ("summary", quoted(job.summary)),
            ("recording_url", quoted(job.recordingURL)), ("error", quoted(job.error)),
            ("review_reason", quoted(job.reviewReason)), ("next_attempt_at", quoted(job.nextAttemptAt)),
            ("last_attempt_at", quoted(job.lastAttemptAt)), ("completed_at", quoted(job.completedAt)),
        ]
        let values = CSVReader.parseLine(job.rowCSV)
        let contact = zip(columns, values).map { "\(quoted($0)):\(quoted($1))" }.joined(separator: ",")
        members.append(("contact", "{\(contact)}"))
        output.append("{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}")
    }

    /// A JSON string literal, or `null`.
    static func quoted(_ text: String?) -> String {
        guard let text else { return "null" }
        var result = "\""
        result.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case let control where control.value < 0x20:
                result += String(format: "\\u%04x", control.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
