import ArgumentParser
import CampaignKit
import Foundation

struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel queued jobs: they are never called. A call in flight is never cut.",
        discussion: """
            Safe while a run works the database: a run takes only queued jobs. Job ids come from campaign \
            report --json --jobs. Named ids that are not all queued jobs of the campaign cancel nothing.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The campaign (default: the only one in the database).")
    var campaign: String?

    @Flag(help: "Every queued job of the campaign.")
    var all = false

    @Argument(help: "Job ids to cancel.")
    var jobIDs: [Int64] = []

    func run() async throws {
        guard all != !jobIDs.isEmpty else {
            printError("error: give the job ids to cancel, or --all for every queued job (not both)")
            throw ExitStatus.usage
        }
        try await CampaignDatabases.with(database.db) { store in
            let record = try await store.resolveCampaign(campaign)
            let cancelled = try await store.cancelQueued(campaign: record, jobIDs: all ? nil : jobIDs, now: Date())
            print("cancelled \(cancelled) queued job(s) of campaign '\(record.name)'; they will not be called")
        }
    }
}
