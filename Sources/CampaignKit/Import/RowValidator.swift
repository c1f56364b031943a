/// One thing wrong with one row of the contacts file.
public struct RowProblem: Sendable, Equatable, CustomStringConvertible {
    var file: String
    var line: Int
    /// The column's header name, or nil for a problem with the row as a whole.
    var column: String?
    var message: String

    public var description: String {
        if let column { return "\(file):\(line): \(column): \(message)" }
        return "\(file):\(line): \(message)"
    }
}

/// Checks one contact row and turns it into a job: number, overrides and expanded prompt.
/// A pure value, safe to use from several threads at once.
struct RowValidator: Sendable {
    let file: String
    let header: [String]
    let phoneColumn: Int
    let overrideColumns: [(CallOptions.Column, Int)]
    let template: PromptTemplate
    let phones: PhoneNormalizer
    let suppressed: Set<String>
    /// Where a row without a zone gets its number's, when certain; `nil`: the campaign names a zone.
    let zonesFromNumbers: CertainZones?

    init(
        file: String, header: [String], phoneColumn: Int, template: PromptTemplate, phones: PhoneNormalizer,
        suppressed: Set<String>, zonesFromNumbers: CertainZones? = nil
    ) {
        self.zonesFromNumbers = zonesFromNumbers
        self.file = file
        self.header = header
        self.phoneColumn = phoneColumn
        self.template = template
        self.phones = phones
        self.suppressed = suppressed
        var overrides: [(CallOptions.Column, Int)] = []
        for column in CallOptions.Column.allCases {
            if let index = header.firstIndex(where: { $0.trimmingSpaces.lowercased() == column.rawValue }) {
                overrides.append((column, index))
            }
        }
        overrideColumns = overrides
    }

    func validate(_ record: CSVRecord) -> ValidatedRow {
        var problems: [RowProblem] = []
        func problem(_ column: String?, _ message: String) {
            problems.append(RowProblem(file: file, line: record.line, column: column, message: message))
        }
        if let csvProblem = record.problem { problem(nil, csvProblem) }
        if let control = record.controlCharacter {
            problem(
                control.field < header.count ? header[control.field] : nil,
                "\(control.location); a value may hold tabs and line breaks but no other control character "
                    + "(a NUL would cut the prompt short): remove it")
        }
        guard record.fields.count == header.count else {
            problem(
                nil,
                "the row has \(record.fields.count) field\(record.fields.count == 1 ? "" : "s") but the header has "
                    + "\(header.count); a value with a comma must be in quotes (\"Smith, Ann\")")
            return .rejected(line: record.line, fields: record.fields, problems: problems)
        }
        var phone: NormalizedPhone?
        switch phones.normalize(record.fields[phoneColumn]) {
        case .success(let normalized): phone = normalized
        case .failure(let reason):
            let value = record.fields[phoneColumn]
            problem(header[phoneColumn], value.isBlank ? "\(reason)" : "'\(value)' is \(reason)")
        }
        var overrides = CallOptions()
        for (column, index) in overrideColumns where !record.fields[index].isBlank {
            switch CallOptions.validate(column, record.fields[index], phones: phones) {
            case .success(let value):
                switch column {
                case .language: overrides.language = value
                case .voice: overrides.voice = value
                case .from: overrides.from = value
                case .transferTo: overrides.transferTo = value
                case .timezone: overrides.timezone = value
                }
            case .failure(let reason): problem(header[index], reason.description)
            }
        }
        var prompt = ""
        switch template.expand(record.fields) {
        case .success(let text): prompt = text
        case .failure(let empty):
            for name in empty.columns {
                problem(name, "empty, and the prompt uses [\(name)]; fill it in or give a default: [\(name)|...]")
            }
        }
        guard problems.isEmpty, let phone else {
            return .rejected(line: record.line, fields: record.fields, problems: problems)
        }
        var zoneFromNumber = false
        if overrides.timezone == nil, let zone = zonesFromNumbers?.zone(forE164: phone.e164) {
            overrides.timezone = zone
            zoneFromNumber = true
        }
        let job = NewJob(
            line: record.line, rowCSV: record.raw, phoneE164: phone.e164, prompt: prompt, overrides: overrides,
            suppressed: suppressed.contains(phone.e164), zoneFromNumber: zoneFromNumber)
        return .job(job, countryCode: phone.countryCode)
    }
}
