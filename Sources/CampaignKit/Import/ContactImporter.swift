import Foundation

/// The `--suppress` lists of an import request, read and, unless it is a dry run, saved.
public struct SuppressionLists: Sendable {
    var files: [(path: String, numbers: [String])] = []
    /// What saving them stored; nil when nothing was saved (no lists, or a dry run).
    public var saved: SuppressionResult?

    public init() {}
}

/// Reads a contacts file, validates every row, and stores the jobs: all of them or, by default,
/// none if any row is rejected.
public struct ContactImporter<Store: ImportStore> {
    let store: Store
    let now: Date

    public init(store: Store, now: Date = Date()) {
        self.store = store
        self.now = now
    }

    /// Imports as `campaign import` does: the do-not-call lists first, committed on their own, then the contacts.
    public func run(_ request: ImportRequest) async throws -> ImportReport {
        try await importContacts(request, suppression: try await saveSuppressionLists(request))
    }

    /// Reads every `--suppress` list (all or nothing: one bad line refuses them all, nothing stored) and,
    /// unless it is a dry run, commits them in their own transaction before any contact is read: a
    /// do-not-call list must hold even when the import that brought it is refused.
    public func saveSuppressionLists(_ request: ImportRequest) async throws -> SuppressionLists {
        var lists = SuppressionLists()
        guard !request.suppressPaths.isEmpty else { return lists }
        var region = request.region
        if region == nil { region = try await store.campaign(named: request.campaignName)?.region }
        let reader = try SuppressionList(region: region ?? "US")
        lists.files = try request.suppressPaths.map { ($0, try reader.read($0)) }
        if !request.dryRun {
            lists.saved = try await store.addSuppressed(lists.files.map { ($0.path, $0.numbers) }, now: now)
        }
        return lists
    }

    /// Validates and stores the contacts; `suppression` is what `saveSuppressionLists` returned.
    public func importContacts(_ request: ImportRequest, suppression: SuppressionLists) async throws -> ImportReport {
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
        let existing = try await store.campaign(named: request.campaignName)
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
        return try await store.importContacts(
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
            // A row without a zone, in a campaign without one, gets its number's zone when that is certain.
            let validator = RowValidator(
                file: request.contactsPath, header: header, phoneColumn: phoneColumn, template: bound,
                phones: phones, suppressed: try session.suppressedNumbers(),
                zonesFromNumbers: campaign.defaults.timezone == nil ? CertainZones.shared : nil)
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
        _ reader: CSVReader, validator: RowValidator, session: Store.Session, report: inout ImportReport,
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
        _ entry: ValidatedBatch.Entry, of jobs: PackedJobs, session: Store.Session, report: inout ImportReport,
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
            if header.zoneFromNumber { report.zonesFromNumbers += 1 }
            report.queuedByZone[jobs.text(index, .timezone) ?? session.campaign.defaults.timezone ?? "", default: 0] +=
                1
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
}

extension RowProblem {
    var columnAndMessage: String { column.map { "\($0): \(message)" } ?? message }
}

/// Hands the reader to the producer thread, which is then its only user.
private final class ReaderBox: @unchecked Sendable {
    let reader: CSVReader
    init(_ reader: CSVReader) { self.reader = reader }
}
