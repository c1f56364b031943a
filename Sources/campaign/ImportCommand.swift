import ArgumentParser
import CampaignKit
import Foundation

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Validate a contacts CSV and queue one call job per contact.",
        discussion: """
            Every row is checked before anything is stored. By default the import is all-or-nothing: \
            if any row is rejected, nothing is imported, the first problems are printed as \
            file:line: column: problem, every rejected row goes to a rejects CSV, and the exit status is 65.
            """
    )

    @Argument(help: "The contacts CSV (RFC 4180, UTF-8, with a header line).")
    var contacts: String

    @Option(help: "The prompt file, with [column] and [column|default] placeholders.")
    var prompt: String

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The campaign's name (default: the contacts file's name without extension).")
    var name: String?

    @Option(help: "The column holding phone numbers (default: phone, phone_number, number or to).")
    var phoneColumn: String?

    @Option(
        help: "Region for numbers without a country code (ISO 3166, e.g. GB; default: the campaign's, or US).")
    var region: String?

    @Option(help: "Default call language (e.g. en-US); a row's language column overrides it.")
    var language: String?

    @Option(help: "Default voice: male or female; a row's voice column overrides it.")
    var voice: String?

    @Option(help: "Default caller number (E.164); a row's from column overrides it.")
    var from: String?

    @Option(help: "Default number to transfer to when the callee asks for a human; a row's transfer_to overrides it.")
    var transferTo: String?

    @Option(help: "Default IANA time zone of the contacts (e.g. America/New_York); a row's timezone overrides it.")
    var timezone: String?

    @Option(
        help:
            "A do-not-call list (CSV with a phone column, or one number a line); repeatable. Its numbers are kept in the database and never dialled."
    )
    var suppress: [String] = []

    @Flag(help: "Import the valid rows even if some are rejected (the rejects still go to the rejects CSV).")
    var skipInvalid = false

    @Flag(help: "Validate and show the first expanded prompts without writing anything.")
    var dryRun = false

    @Option(help: "Where to write rejected and duplicate rows (default: <contacts>.rejects.csv beside the file).")
    var rejects: String?

    @Option(help: "The longest CSV record accepted, in bytes; a longer one stops the import with its line.")
    var maxRecordBytes: Int = CSVReader.defaultMaxRecordBytes

    func validate() throws {
        if maxRecordBytes < 1 { throw ValidationError("--max-record-bytes must be at least 1") }
    }

    func run() async throws {
        let campaignName = name ?? URL(fileURLWithPath: contacts).deletingPathExtension().lastPathComponent
        let request = ImportRequest(
            contactsPath: contacts, promptPath: prompt, campaignName: campaignName, phoneColumn: phoneColumn,
            region: region,
            defaults: CallOptions(
                language: language, voice: voice, from: from, transferTo: transferTo, timezone: timezone),
            suppressPaths: suppress, skipInvalid: skipInvalid, dryRun: dryRun, rejectsPath: rejects,
            maxRecordBytes: maxRecordBytes)
        // Checked before anything is stored: the rejects file is written after the jobs are.
        let inputs: [(path: String, what: String)] =
            [(contacts, "the contacts file"), (prompt, "the prompt file")]
            + suppress.map { ($0, "a do-not-call list") }
        try OutputFile.check(request.effectiveRejectsPath, database: database.db, inputs: inputs)
        if database.isPostgres { return try await runOnPostgres(request) }
        let dbExisted = FileManager.default.fileExists(atPath: database.db)
        let report: ImportReport
        // Saved on their own before the contacts are read: they hold whatever becomes of the import,
        // and then the database they are in is kept.
        var suppression = SuppressionLists()
        do {
            // A dry run never creates the database: it validates against an in-memory copy of the schema.
            let store = try CampaignStore(path: dryRun && !dbExisted ? ":memory:" : database.db)
            let importer = ContactImporter(store: store)
            suppression = try await importer.saveSuppressionLists(request)
            report = try await importer.importContacts(request, suppression: suppression)
        } catch {
            if let saved = suppression.saved {
                print(ImportSummaryText.suppressionLine(saved, saved: true, database: database.db))
            } else if !dbExisted && !dryRun {
                CampaignStore.remove(path: database.db)
            }
            // The import's own errors all say what is wrong; anything else came from SQLite, through the
            // import's transaction or its session, and is said as every other store error is.
            throw error as? any ExitCoded ?? StoreError.database(error)
        }
        if !dbExisted && !report.committed && !dryRun && !report.suppressionSaved {
            CampaignStore.remove(path: database.db)
        }
        print(ImportSummaryText.render(report, request: request, database: database.db))
        if report.rejected > 0 && !(skipInvalid && report.committed) {
            throw ExitStatus.badData
        }
    }
}

extension ImportCommand {
    /// `campaign import` into a PostgreSQL database: a dry run is the import's transaction rolled back, and a
    /// refused import leaves nothing to remove. A database without the schema gets it first (also for a dry
    /// run: an empty campaign database, no campaign in it), as `suppress` does.
    private func runOnPostgres(_ request: ImportRequest) async throws {
        var suppression = SuppressionLists()
        let report: ImportReport
        do {
            report = try await CampaignDatabases.with(database.db, mustExist: false) { store in
                try await Self.importContacts(request, into: store) { suppression = $0 }
            }
        } catch {
            if let saved = suppression.saved {
                print(ImportSummaryText.suppressionLine(saved, saved: true, database: database.shown))
            }
            throw error as? any ExitCoded ?? StoreError.database(error)
        }
        print(ImportSummaryText.render(report, request: request, database: database.shown))
        if report.rejected > 0 && !(skipInvalid && report.committed) {
            throw ExitStatus.badData
        }
    }

    /// The do-not-call lists first, committed on their own (`saved` learns what they stored before the contacts
    /// are read), then the contacts.
    private static func importContacts(
        _ request: ImportRequest, into store: some ImportStore, saved: (SuppressionLists) -> Void
    ) async throws -> ImportReport {
        let importer = ContactImporter(store: store)
        let suppression = try await importer.saveSuppressionLists(request)
        saved(suppression)
        return try await importer.importContacts(request, suppression: suppression)
    }
}

/// The words `campaign import` prints.
enum ImportSummaryText {
    static func render(_ report: ImportReport, request: ImportRequest, database: String) -> String {
        var lines: [String] = []
        for problem in report.problems { lines.append(problem.description) }
        if report.rejected > report.problems.count {
            lines.append("... and more problems; every rejected row is in \(report.rejectsFile ?? "the rejects file")")
        }
        for duplicate in report.duplicates { lines.append(duplicate.description) }
        for warning in report.outsideSupportedExamples { lines.append("warning: \(warning)") }
        if report.outsideSupportedDestinations > report.outsideSupportedExamples.count {
            lines.append(
                "warning: \(report.outsideSupportedDestinations) numbers in all are outside Poku's supported destinations"
            )
        }
        if request.dryRun {
            for preview in report.previews {
                lines.append("--- line \(preview.line), \(preview.phone) ---")
                lines.append(preview.prompt)
            }
        }
        let counts =
            "\(report.rowsRead) rows: \(report.queued) queued, \(report.suppressed) suppressed, "
            + "\(report.duplicatesInFile) duplicate in the file, \(report.alreadyInCampaign) already in the campaign, "
            + "\(report.rejected) rejected"
        if request.dryRun {
            lines.append("dry run, nothing written. \(counts)")
        } else if report.committed {
            let verb = report.createdCampaign ? "created campaign" : "added to campaign"
            lines.append("\(verb) '\(report.campaign)' in \(database). \(counts)")
        } else {
            lines.append(
                "nothing imported: \(report.rejected) row\(report.rejected == 1 ? "" : "s") rejected. \(counts)")
            lines.append("fix the rows and import again, or pass --skip-invalid to import the valid rows")
        }
        if report.zonesFromNumbers > 0 {
            lines.append(
                "\(report.zonesFromNumbers) row(s) named no time zone and got their number's (a country with one "
                    + "local time); numbers of countries with several zones get none: give a timezone column or "
                    + "--timezone for those")
        }
        if request.dryRun && !report.queuedByZone.isEmpty {
            // What `campaign plan` would start from: a calling window needs a zone for every job.
            let zones = report.queuedByZone.sorted { $0.key < $1.key }.map { zone, count in
                "\(count) \(zone.isEmpty ? "with no zone (a run with --window needs --timezone for them)" : zone)"
            }
            lines.append("by time zone: " + zones.joined(separator: ", "))
        }
        if let suppression = report.suppression {
            lines.append(suppressionLine(suppression, saved: report.suppressionSaved, database: database))
        }
        if let file = report.rejectsFile { lines.append("rejected and duplicate rows: \(file)") }
        return lines.joined(separator: "\n")
    }

    /// Exactly what the do-not-call lists stored, or in a dry run would store.
    static func suppressionLine(_ result: SuppressionResult, saved: Bool, database: String) -> String {
        func numbers(_ count: Int) -> String { "\(count) number\(count == 1 ? "" : "s")" }
        func jobs(_ count: Int) -> String { "\(count) queued job\(count == 1 ? "" : "s")" }
        if saved {
            return "do-not-call list saved in \(database) (whatever becomes of the contacts): "
                + "\(numbers(result.added)) added, \(result.alreadyListed) already listed; "
                + "\(jobs(result.jobsSuppressed)) in earlier imports now suppressed"
        }
        return "dry run: the do-not-call list would add \(numbers(result.added)) "
            + "(\(result.alreadyListed) already listed) and suppress \(jobs(result.jobsSuppressed)) of earlier imports"
    }
}
