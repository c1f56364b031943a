import Foundation

/// What the user asked `campaign import` to do.
public struct ImportRequest: Sendable {
    public var contactsPath: String
    public var promptPath: String
    public var campaignName: String
    public var phoneColumn: String?
    /// Region for numbers without a country code; nil: the campaign's own, or US for a new campaign.
    public var region: String?
    public var defaults: CallOptions
    public var suppressPaths: [String]
    public var skipInvalid: Bool
    public var dryRun: Bool
    /// Where the rejected and duplicate rows go; nil means `<contacts>.rejects.csv` beside the file.
    public var rejectsPath: String?
    public var previewCount: Int
    public var maxListed: Int
    /// The longest CSV record accepted (bytes); a longer one stops the import with its line.
    public var maxRecordBytes: Int

    public init(
        contactsPath: String, promptPath: String, campaignName: String, phoneColumn: String? = nil,
        region: String? = nil, defaults: CallOptions = CallOptions(), suppressPaths: [String] = [],
        skipInvalid: Bool = false, dryRun: Bool = false, rejectsPath: String? = nil, previewCount: Int = 3,
        maxListed: Int = 20, maxRecordBytes: Int = CSVReader.defaultMaxRecordBytes
    ) {
        self.contactsPath = contactsPath
        self.promptPath = promptPath
        self.campaignName = campaignName
        self.phoneColumn = phoneColumn
        self.region = region
        self.defaults = defaults
        self.suppressPaths = suppressPaths
        self.skipInvalid = skipInvalid
        self.dryRun = dryRun
        self.rejectsPath = rejectsPath
        self.previewCount = previewCount
        self.maxListed = maxListed
        self.maxRecordBytes = maxRecordBytes
    }

    /// The rejects file's path when none was given: `contacts.csv` -> `contacts.rejects.csv`.
    public var effectiveRejectsPath: String {
        if let rejectsPath { return rejectsPath }
        let url = URL(fileURLWithPath: contactsPath)
        let base = url.deletingPathExtension().lastPathComponent
        return url.deletingLastPathComponent().appendingPathComponent(base + ".rejects.csv").path
    }
}

/// What an import did (or, in a dry run or a refused import, would have done).
public struct ImportReport: Sendable {
    public struct Preview: Sendable {
        public var line: Int
        public var phone: String
        public var prompt: String
    }

    public var campaign = ""
    public var createdCampaign = false
    public var committed = false
    public var rowsRead = 0
    public var queued = 0
    public var suppressed = 0
    public var duplicatesInFile = 0
    public var alreadyInCampaign = 0
    public var rejected = 0
    /// The first problems, in file order (all of them are in the rejects file).
    public var problems: [RowProblem] = []
    /// The first duplicate rows, in file order.
    public var duplicates: [RowProblem] = []
    public var previews: [Preview] = []
    public var outsideSupportedDestinations = 0
    public var outsideSupportedExamples: [RowProblem] = []
    /// What the `--suppress` lists stored (nil without lists): saved on their own before the contacts
    /// were read, so they hold whatever becomes of the import; in a dry run, what they would store.
    public var suppression: SuppressionResult?
    /// True when `suppression` was committed (false in a dry run).
    public var suppressionSaved = false
    public var rejectsFile: String?
}

/// Why an import could not run at all (as opposed to rows it rejected, which the report lists).
public enum ImportError: Error, CustomStringConvertible {
    case csv(CSVError)
    case template(TemplateError)
    case emptyFile(path: String)
    case duplicateColumn(path: String, name: String)
    case blankColumn(path: String, position: Int)
    case noPhoneColumn(path: String, available: [String])
    case unknownPhoneColumn(path: String, name: String, available: [String])
    case campaignColumnsDiffer(campaign: String, expected: [String], found: [String])
    case campaignPromptDiffers(campaign: String)
    case campaignDefaultDiffers(campaign: String, option: String, stored: String, given: String)
    case badOption(option: String, problem: String)
    case badSuppression(RowProblem)
    case cannotWrite(path: String, reason: String)
    case controlCharacter(path: String, CSVRecord.ControlCharacter)
    case badSuppressedNumber(position: Int, value: String, reason: String)

    public var description: String {
        switch self {
        case .csv(let error): return error.description
        case .template(let error): return error.description
        case .emptyFile(let path):
            return "\(path): the file is empty; it needs a header line (name,phone,...) and one line per contact"
        case .duplicateColumn(let path, let name):
            return "\(path):1: the header names the column '\(name)' twice; give each column its own name"
        case .blankColumn(let path, let position):
            return "\(path):1: column \(position) of the header has no name; name every column"
        case .noPhoneColumn(let path, let available):
            return "\(path):1: no phone column; name one of the columns phone, phone_number, number or to, "
                + "or pass --phone-column (the columns are: \(available.joined(separator: ", ")))"
        case .unknownPhoneColumn(let path, let name, let available):
            return "\(path):1: --phone-column \(name) is not a column of the file; "
                + "the columns are: \(available.joined(separator: ", "))"
        case .campaignColumnsDiffer(let campaign, let expected, let found):
            return "campaign '\(campaign)' was imported with the columns \(expected.joined(separator: ", ")) "
                + "but this file has \(found.joined(separator: ", ")); use the same columns in the same order, "
                + "or import into a new campaign with --name"
        case .campaignPromptDiffers(let campaign):
            return "campaign '\(campaign)' already has a different prompt; every contact of a campaign gets the "
                + "same prompt, so import into a new campaign with --name"
        case .campaignDefaultDiffers(let campaign, let option, let stored, let given):
            return "campaign '\(campaign)' has \(option) \(stored), set when it was created; it cannot become "
                + "\(given): leave the option out, or import into a new campaign with --name"
        case .badOption(let option, let problem):
            return "\(option): \(problem)"
        case .badSuppression(let problem):
            return "\(problem) (a suppression list must hold only valid numbers; fix or remove the line)"
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .badSuppressedNumber(let position, let value, let reason):
            return "number \(position), '\(value)', is \(reason); nothing was added to the do-not-call list"
        case .controlCharacter(let path, let control):
            return "\(path):\(control.line): \(control.location); only tabs and line breaks may stand in the "
                + "text: remove it"
        }
    }
}

/// Reads a contacts file, validates every row, and stores the jobs: all of them or, by default,
/// none if any row is rejected.
public struct ContactImporter {
    public let store: CampaignStore
    public let now: Date

    public init(store: CampaignStore, now: Date = Date()) {
        self.store = store
        self.now = now
    }

    /// The header names that mark the phone column, in order of preference.
    public static let phoneColumnNames = ["phone", "phone_number", "phone number", "number", "to"]

    /// The position of the phone column found by name in `header`, by `phoneColumnNames` preference.
    static func namedPhoneColumn(_ header: [String]) -> Int? {
        let lowered = header.map { $0.trimmingSpaces.lowercased() }
        return phoneColumnNames.lazy.compactMap { lowered.firstIndex(of: $0) }.first
    }

    /// The `--suppress` lists of a request, read and, unless it is a dry run, saved.
    public struct SuppressionLists: Sendable {
        public var files: [(path: String, numbers: [String])] = []
        /// What saving them stored; nil when nothing was saved (no lists, or a dry run).
        public var saved: SuppressionResult?

        public init() {}
    }

    /// Imports as `campaign import` does: the do-not-call lists first, committed on their own, then the contacts.
    public func run(_ request: ImportRequest) throws -> ImportReport {
        try importContacts(request, suppression: try saveSuppressionLists(request))
    }

    /// Reads every `--suppress` list (all or nothing: one bad line refuses them all, nothing stored) and,
    /// unless it is a dry run, commits them in their own transaction before any contact is read: a
    /// do-not-call list must hold even when the import that brought it is refused.
    public func saveSuppressionLists(_ request: ImportRequest) throws -> SuppressionLists {
        var lists = SuppressionLists()
        guard !request.suppressPaths.isEmpty else { return lists }
        let region = try request.region ?? store.campaign(named: request.campaignName)?.region ?? "US"
        let reader = try SuppressionList(region: region)
        lists.files = try request.suppressPaths.map { ($0, try reader.read($0)) }
        if !request.dryRun {
            lists.saved = try store.addSuppressed(lists.files.map { ($0.path, $0.numbers) }, now: now)
        }
        return lists
    }

    /// Validates and stores the contacts; `suppression` is what `saveSuppressionLists` returned.
    public func importContacts(_ request: ImportRequest, suppression: SuppressionLists) throws -> ImportReport {
        let template: String
        do {
            template = try String(contentsOfFile: request.promptPath, encoding: .utf8)
        } catch {
            throw ImportError.template(.cannotRead(path: request.promptPath, reason: "\(error.localizedDescription)"))
        }
        if template.isBlank { throw ImportError.template(.empty(path: request.promptPath)) }
        if let control = PromptTemplate.firstControlCharacter(in: template) {
            throw ImportError.template(.controlCharacter(path: request.promptPath, control))
        }
        let existing = try store.campaign(named: request.campaignName)
        let phones: PhoneNormalizer
        do {
            phones = try PhoneNormalizer(region: request.region ?? existing?.region ?? "US")
        } catch {
            throw ImportError.badOption(option: "--region", problem: error.description)
        }
        let defaults = try validatedDefaults(request.defaults, phones: phones)

        let reader: CSVReader
        let header: [String]
        do {
            reader = try CSVReader(path: request.contactsPath, maxRecordBytes: request.maxRecordBytes)
            guard let first = try reader.next() else { throw ImportError.emptyFile(path: request.contactsPath) }
            if let control = first.controlCharacter {
                throw ImportError.controlCharacter(path: request.contactsPath, control)
            }
            header = first.fields
        } catch let error as CSVError {
            throw ImportError.csv(error)
        }
        try checkHeader(header, path: request.contactsPath)
        let phoneColumn = try findPhoneColumn(header, request: request)
        var campaign = CampaignRecord(
            id: 0, name: request.campaignName, template: template, columns: header, phoneColumn: header[phoneColumn],
            region: phones.region, defaults: defaults)
        var created = true
        if let existing {
            try checkCompatible(existing, with: campaign, givenRegion: request.region.map { _ in phones.region })
            campaign = existing
            created = false
        }
        let bound: PromptTemplate
        do {
            bound = try PromptTemplate(template, header: header, file: request.promptPath)
        } catch {
            throw ImportError.template(error)
        }
        // About 64 bytes a contact: only used to decide whether this import is a bulk load.
        let bytes = (try? FileManager.default.attributesOfItem(atPath: request.contactsPath)[.size] as? Int) ?? 0
        return try store.importContacts(
            into: campaign, sourceFile: request.contactsPath, estimatedRows: bytes / 64, now: now
        ) { session in
            var report = ImportReport()
            report.campaign = request.campaignName
            report.createdCampaign = created
            if let saved = suppression.saved {
                report.suppression = saved
                report.suppressionSaved = true
            } else if !suppression.files.isEmpty {
                // A dry run: stored here only to count, inside the transaction that is rolled back.
                report.suppression = try session.suppress(suppression.files.map { ($0.path, $0.numbers) })
            }
            let validator = RowValidator(
                file: request.contactsPath, header: header, phoneColumn: phoneColumn, template: bound,
                phones: phones, suppressed: try session.suppressedNumbers())
            var rejects = RejectsWriter(path: request.effectiveRejectsPath, header: header)
            defer { rejects.discard() }
            try consume(
                reader, validator: validator, session: session, report: &report, rejects: &rejects,
                request: request)
            try session.finish(
                rowsRead: report.rowsRead, queued: report.queued,
                duplicates: report.duplicatesInFile + report.alreadyInCampaign, suppressed: report.suppressed,
                rejected: report.rejected)
            let commit = !request.dryRun && (report.rejected == 0 || request.skipInvalid)
            // The rejects file is written for every real import; a dry run writes one only when asked to.
            if !request.dryRun || request.rejectsPath != nil {
                report.rejectsFile = try rejects.keep()
            }
            report.committed = commit
            return (commit, report)
        }
    }

    /// Streams the rows through validation (on every core) and stores them in file order.
    private func consume(
        _ reader: CSVReader, validator: RowValidator, session: ImportSession, report: inout ImportReport,
        rejects: inout RejectsWriter, request: ImportRequest
    ) throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let pipeline = OrderedParallelMap<[CSVRecord], ValidatedBatch>(workers: max(1, cores), window: 4 * cores + 4) {
            batch in ValidatedBatch(batch, validator: validator)
        }
        let box = ReaderBox(reader)
        let producer = Thread {
            var batch: [CSVRecord] = []
            batch.reserveCapacity(1024)
            do {
                while let record = try box.reader.next() {
                    batch.append(record)
                    if batch.count == 1024 {
                        pipeline.submit(batch)
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                if !batch.isEmpty { pipeline.submit(batch) }
                pipeline.finish()
            } catch {
                pipeline.finish(error: error)
            }
        }
        producer.start()
        defer { pipeline.cancel() }
        do {
            while let batch = try pipeline.next() {
                session.prefetch(batch.jobs)
                for entry in batch.entries {
                    try store(
                        entry, of: batch.jobs, session: session, report: &report, rejects: &rejects, request: request)
                }
                try session.write(batch.jobs)
            }
        } catch let error as CSVError {
            throw ImportError.csv(error)
        }
    }

    private func store(
        _ entry: ValidatedBatch.Entry, of jobs: PackedJobs, session: ImportSession, report: inout ImportReport,
        rejects: inout RejectsWriter, request: ImportRequest
    ) throws {
        report.rowsRead += 1
        switch entry {
        case .rejected(_, let fields, let problems):
            report.rejected += 1
            for problem in problems where report.problems.count < request.maxListed {
                report.problems.append(problem)
            }
            try rejects.write(line: problems[0].line, problem: problems.map(\.columnAndMessage), fields: fields)
        case .job(let index):
            let header = jobs.headers[index]
            if let existing = try session.claim(jobs, index) {
                let phone = jobs.text(index, .phoneE164) ?? ""
                let message: String
                if existing.importID == session.importID {
                    report.duplicatesInFile += 1
                    message = "\(phone) is already on line \(existing.line); queued once"
                } else {
                    report.alreadyInCampaign += 1
                    message =
                        "\(phone) is already in campaign '\(session.campaign.name)' "
                        + "(\(existing.sourceFile) line \(existing.line)); not queued again"
                }
                let duplicate = RowProblem(file: request.contactsPath, line: header.line, column: nil, message: message)
                if report.duplicates.count < request.maxListed { report.duplicates.append(duplicate) }
                try rejects.write(
                    line: header.line, problem: ["duplicate: " + message],
                    fields: CSVReader.parseLine(jobs.text(index, .rowCSV) ?? ""))
                return
            }
            if header.suppressed {
                report.suppressed += 1
                return
            }
            report.queued += 1
            if report.previews.count < request.previewCount {
                report.previews.append(
                    .init(
                        line: header.line, phone: jobs.text(index, .phoneE164) ?? "",
                        prompt: jobs.text(index, .prompt) ?? ""))
            }
            if !PhoneNormalizer.supportedCountryCodes.contains(header.countryCode) {
                report.outsideSupportedDestinations += 1
                if report.outsideSupportedExamples.count < 5 {
                    let phone = jobs.text(index, .phoneE164) ?? ""
                    report.outsideSupportedExamples.append(
                        RowProblem(
                            file: request.contactsPath, line: header.line, column: nil,
                            message: "\(phone): +\(header.countryCode) is not among Poku's supported destinations; "
                                + "the API may refuse this call"))
                }
            }
        }
    }

    private func validatedDefaults(_ given: CallOptions, phones: PhoneNormalizer) throws -> CallOptions {
        var result = CallOptions()
        func check(_ value: String?, _ column: CallOptions.Column, _ flag: String) throws -> String? {
            guard let value else { return nil }
            switch CallOptions.validate(column, value, phones: phones) {
            case .success(let valid): return valid
            case .failure(let problem): throw ImportError.badOption(option: flag, problem: problem.description)
            }
        }
        result.language = try check(given.language, .language, "--language")
        result.voice = try check(given.voice, .voice, "--voice")
        result.from = try check(given.from, .from, "--from")
        result.transferTo = try check(given.transferTo, .transferTo, "--transfer-to")
        result.timezone = try check(given.timezone, .timezone, "--timezone")
        return result
    }

    private func checkHeader(_ header: [String], path: String) throws {
        var seen = Set<String>()
        for (index, name) in header.enumerated() {
            let key = name.trimmingSpaces.lowercased()
            if key.isEmpty { throw ImportError.blankColumn(path: path, position: index + 1) }
            if !seen.insert(key).inserted { throw ImportError.duplicateColumn(path: path, name: name) }
        }
    }

    private func findPhoneColumn(_ header: [String], request: ImportRequest) throws -> Int {
        if let name = request.phoneColumn {
            let wanted = name.trimmingSpaces.lowercased()
            guard let index = header.firstIndex(where: { $0.trimmingSpaces.lowercased() == wanted }) else {
                throw ImportError.unknownPhoneColumn(path: request.contactsPath, name: name, available: header)
            }
            return index
        }
        guard let index = Self.namedPhoneColumn(header) else {
            throw ImportError.noPhoneColumn(path: request.contactsPath, available: header)
        }
        return index
    }

    private func checkCompatible(_ existing: CampaignRecord, with new: CampaignRecord, givenRegion: String?) throws {
        if existing.columns != new.columns {
            throw ImportError.campaignColumnsDiffer(
                campaign: existing.name, expected: existing.columns, found: new.columns)
        }
        if existing.template != new.template { throw ImportError.campaignPromptDiffers(campaign: existing.name) }
        let pairs: [(String, String?, String?)] = [
            ("--language", existing.defaults.language, new.defaults.language),
            ("--voice", existing.defaults.voice, new.defaults.voice),
            ("--from", existing.defaults.from, new.defaults.from),
            ("--transfer-to", existing.defaults.transferTo, new.defaults.transferTo),
            ("--timezone", existing.defaults.timezone, new.defaults.timezone),
            ("--region", existing.region, givenRegion),
        ]
        for (option, stored, given) in pairs {
            if let given, given != stored {
                throw ImportError.campaignDefaultDiffers(
                    campaign: existing.name, option: option, stored: stored ?? "unset", given: given)
            }
        }
    }
}

extension RowProblem {
    var columnAndMessage: String { column.map { "\($0): \(message)" } ?? message }
}

/// Hands the reader to the producer thread, which is then its only user.
private final class ReaderBox: @unchecked Sendable {
    let reader: CSVReader
    init(_ reader: CSVReader) { self.reader = reader }
}

/// Writes rejected and duplicate rows to a CSV beside the contacts file: `line`, `problem`, then
/// the original columns, so the file can be fixed and imported again. Written to a temporary file
/// and moved into place only when the import finishes, so it is never half-written.
struct RejectsWriter {
    let path: String
    let header: [String]
    private var handle: FileHandle?
    private var temporary: String?
    private var buffer = ""

    init(path: String, header: [String]) {
        self.path = path
        self.header = header
    }

    mutating func write(line: Int, problem: [String], fields: [String]) throws {
        if handle == nil {
            let temp: String
            do {
                let created = try OutputFile.createTemporary(beside: path)
                handle = FileHandle(fileDescriptor: created.fd, closeOnDealloc: true)
                temp = created.path
            } catch {
                throw ImportError.cannotWrite(
                    path: path, reason: "the folder is not writable (choose another with --rejects)")
            }
            temporary = temp
            buffer = CSVWriter.record((["line", "problem"] + header).map(SpreadsheetSafety.neutralized)) + "\r\n"
        }
        // Guarded like the results CSV: a rejected row is opened in a spreadsheet to be fixed.
        let cells = [String(line), problem.joined(separator: "; ")] + fields
        buffer += CSVWriter.record(cells.map(SpreadsheetSafety.neutralized)) + "\r\n"
        if buffer.utf8.count > 1 << 16 { flush() }
    }

    private mutating func flush() {
        handle?.write(Data(buffer.utf8))
        buffer = ""
    }

    /// Moves the finished file into place; returns its path, or nil when no row was written.
    mutating func keep() throws -> String? {
        guard let handle, let temporary else { return nil }
        flush()
        try? handle.close()
        self.handle = nil
        self.temporary = nil
        do {
            try OutputFile.commit(temporary, to: path)
        } catch .cannotWrite(_, let reason) {
            throw ImportError.cannotWrite(path: path, reason: reason)
        }
        return path
    }

    /// Removes the temporary file if the import ends without keeping it.
    mutating func discard() {
        guard let handle, let temporary else { return }
        try? handle.close()
        unlink(temporary)
        self.handle = nil
        self.temporary = nil
    }
}
