import ArgumentParser
import CampaignKit
import Foundation
import Synchronization

@main
struct CampaignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign",
        abstract: "Run outbound AI phone-call campaigns through Poku's calling API.",
        discussion: """
            campaign import contacts.csv --prompt prompt.txt
            campaign run --max-parallel 5
            campaign report --csv results.csv
            campaign suppress +14155550123 --reason "asked not to be called"
            """,
        subcommands: [
            ImportCommand.self, RunCommand.self, ReportCommand.self, ResolveCommand.self, ListCommand.self,
            DemoCommand.self, SimulatorCommand.self, SuppressCommand.self, CancelCommand.self, PlanCommand.self,
        ]
    )

    /// Like ArgumentParser's own entry point, but a command line it cannot parse exits with 2, the status
    /// docs/ARCHITECTURE.md ("Exit statuses") gives bad usage (ArgumentParser would use 64), and every error a
    /// command throws is printed and mapped here (`ExitStatus.report`), not by each command.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            switch exitCode(for: error) {
            case .validationFailure:
                printError(fullMessage(for: error))
                exit(withError: ExitStatus.usage)
            case .success:
                // --help, --version: ArgumentParser prints them.
                exit(withError: error)
            default:
                exit(withError: ExitStatus.report(error))
            }
        }
    }
}

/// Options every command that reads the database shares.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "The campaign database (env CAMPAIGN_DB).")
    var db: String = ProcessInfo.processInfo.environment["CAMPAIGN_DB"] ?? "campaign.db"

    /// The database as output names it: the path, or the URL with its password redacted.
    var shown: String {
        (try? DatabaseLocation(parsing: db, environment: ProcessInfo.processInfo.environment))?.description ?? db
    }

    /// Whether `db` names a PostgreSQL server (an unparsable URL is said so when it is opened).
    var isPostgres: Bool {
        if case .postgres = try? DatabaseLocation(parsing: db, environment: ProcessInfo.processInfo.environment) {
            return true
        }
        return false
    }
}
