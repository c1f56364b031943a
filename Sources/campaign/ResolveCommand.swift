import ArgumentParser
import CampaignKit
import Foundation

struct ResolveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract:
            "Settle jobs left 'unknown' (a call may have been placed): requeue them or mark them done; requeue failed jobs.",
        discussion: """
            A job is unknown when the API's answer to placing its call was lost, so the person may or may \
            not have been called. campaign never redials these by itself. Check (e.g. in Poku's dashboard), \
            then: --requeue to call again on the next run, or --done to close the job. --requeue also takes \
            failed jobs by id (e.g. rejected by the API for a cause since fixed).
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The campaign (default: the only one in the database).")
    var campaign: String?

    @Flag(help: "Queue the jobs again (unknown jobs, or failed ones given by id): the next run calls them.")
    var requeue = false

    @Flag(help: "Mark the jobs done: they are not called again.")
    var done = false

    @Flag(help: "Every unknown job of the campaign.")
    var all = false

    @Argument(help: "Job ids (campaign report lists the unknown jobs).")
    var jobIDs: [Int64] = []

    func run() async throws {
        // Checked here rather than in validate(): the message stands alone, without the usage text
        // ArgumentParser prints after a validation failure. Both exit 2.
        guard requeue != done else {
            printError("error: choose one of --requeue (call again) or --done (close the jobs)")
            throw ExitStatus.usage
        }
        guard all != !jobIDs.isEmpty else {
            printError("error: give the job ids to settle, or --all for every unknown job (not both)")
            throw ExitStatus.usage
        }
        // A running dispatcher owns the jobs; settling them under it would race with its writes.
        try await CampaignDatabases.withOnlyRun(database.db) { store in
            let record = try await store.resolveCampaign(campaign)
            let changed = try await store.resolveUnknown(
                campaign: record, jobIDs: all ? nil : jobIDs, action: requeue ? .requeue : .done, now: Date())
            print(requeue ? "requeued \(changed) job(s); campaign run calls them" : "marked \(changed) job(s) done")
        }
    }
}
