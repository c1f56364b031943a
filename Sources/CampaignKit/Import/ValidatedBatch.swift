/// The verdicts on a batch of rows, in row order; the valid jobs' texts are packed in `jobs`.
struct ValidatedBatch: Sendable {
    enum Entry: Sendable {
        case job(Int)
        case rejected(line: Int, fields: [String], problems: [RowProblem])
    }

    var entries: [Entry] = []
    var jobs = PackedJobs()

    init(_ records: [CSVRecord], validator: RowValidator) {
        entries.reserveCapacity(records.count)
        for record in records {
            switch validator.validate(record) {
            case .job(let job, let countryCode):
                if let index = jobs.append(job, countryCode: countryCode) {
                    entries.append(.job(index))
                } else {
                    let problem = RowProblem(
                        file: validator.file, line: job.line, column: validator.header[validator.phoneColumn],
                        message: "'\(job.phoneE164)' is not an E.164 number")
                    entries.append(.rejected(line: job.line, fields: record.fields, problems: [problem]))
                }
            case .rejected(let line, let fields, let problems):
                entries.append(.rejected(line: line, fields: fields, problems: problems))
            }
        }
    }
}

/// The verdict on one row.
enum ValidatedRow: Sendable {
    case job(NewJob, countryCode: Int)
    case rejected(line: Int, fields: [String], problems: [RowProblem])
}

/// One validated contact, ready to be stored.
struct NewJob: Sendable {
    var line: Int
    var rowCSV: String
    var phoneE164: String
    var prompt: String
    var overrides: CallOptions
    var suppressed: Bool
    /// Its zone came from its number (the row named none; the country has one local time).
    var zoneFromNumber = false
}
