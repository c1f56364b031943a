import ArgumentParser
import CampaignKit
import Foundation

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Summarise a campaign; write its results as CSV, JSON or an HTML page.",
        discussion: """
            The results CSV is spreadsheet-safe by default: a contact value or call summary that starts with \
            = + - @ (or a tab or CR) gets a leading ' so a spreadsheet shows it as text instead of running it \
            as a formula. phone_e164 is always the plain E.164 number. --raw writes every value as stored.
            Costs are estimates: the API reports no call durations.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The campaign (default: the only one in the database).")
    var campaign: String?

    @Option(help: "Write one row per contact to this CSV: the original columns, then the results.")
    var csv: String?

    @Flag(help: "With --csv: write values exactly as stored, without the spreadsheet-formula guard.")
    var raw = false

    @Option(help: "Write a self-contained HTML page (summary, outcome chart, calls over time) to this file.")
    var html: String?

    @Flag(help: "Print the summary as JSON instead of text.")
    var json = false

    @Flag(help: "With --json: include every job (streamed), with its contact's columns.")
    var jobs = false

    @Option(help: "How many jobs needing review to list.")
    var limit: Int = 20

    func run() async throws {
        if jobs && !json {
            printError("error: --jobs goes with --json (campaign report --json --jobs)")
            throw ExitStatus.usage
        }
        if raw && csv == nil {
            printError("error: --raw changes the CSV only: add --csv results.csv")
            throw ExitStatus.usage
        }
        for output in [csv, html].compactMap({ $0 }) {
            try OutputFile.check(output, database: database.db)
        }
        let now = Date()
        let (summary, notes) = try await CampaignDatabases.with(database.db) { store in
            try await write(from: store, now: now)
        }
        if json {
            for note in notes { printError(note) }
        } else {
            print(SummaryText.render(summary, database: database.shown, now: now))
            if !notes.isEmpty { print("") }
            for note in notes { print(note) }
        }
    }

    /// Reads the campaign's summary and writes the outputs asked for, all of one moment: one read transaction,
    /// however long the CSV takes. Returns the summary and a note per file written.
    private func write(from store: some ReportStore, now: Date) async throws -> (CampaignSummary, [String]) {
        let record = try await store.resolveCampaign(campaign)
        var notes: [String] = []
        let summary = try await store.readReport(campaign: record) { report in
            let summary = try await CampaignSummary(report, now: now, limit: max(limit, 0))
            if let csv {
                let rows = try await ResultsExporter(spreadsheetSafe: !raw).write(report, to: csv)
                notes.append("wrote \(rows) rows to \(csv)\(raw ? " (raw)" : "")")
            }
            if let html {
                let timeline = try await CallTimeline(report, now: now)
                try HTMLReport.write(HTMLReport.render(summary, timeline: timeline), to: html)
                notes.append("wrote the HTML report to \(html)")
            }
            if json {
                if jobs {
                    try await JSONReport.write(summary, jobsFrom: report)
                } else {
                    try JSONReport.write(summary)
                }
            }
            return summary
        }
        return (summary, notes)
    }
}
