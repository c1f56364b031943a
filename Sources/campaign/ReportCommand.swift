import ArgumentParser
import CampaignKit
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Summarise a campaign and write its results CSV."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The campaign (default: the only one in the database).")
    var campaign: String?

    @Option(help: "Write one row per contact to this CSV: the original columns, then the results.")
    var csv: String?

    func run() throws {
        do {
            let store = try CampaignStore(path: database.db)
            let record = try store.resolveCampaign(campaign)
            if let csv {
                let rows = try ResultsExporter(store: store).write(campaign: record, to: csv)
                print("wrote \(rows) rows to \(csv)")
            }
        } catch {
            throw ExitStatus.report(error)
        }
    }
}
