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
            DemoCommand.self, SimulatorCommand.self, SuppressCommand.self,
        ]
    )

    /// Like ArgumentParser's own entry point, but a command line it cannot parse exits with 2,
    /// the status docs/ARCHITECTURE.md ("Exit statuses") gives bad usage (ArgumentParser would use 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                printError(fullMessage(for: error))
                exit(withError: ExitStatus.usage)
            }
            exit(withError: error)
        }
    }
}

/// Options every command that reads the database shares.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "The campaign database (env CAMPAIGN_DB).")
    var db: String = ProcessInfo.processInfo.environment["CAMPAIGN_DB"] ?? "campaign.db"
}

/// Exit statuses, chosen here and nowhere else (docs/ARCHITECTURE.md, "Exit statuses").
enum ExitStatus {
    static let failure = ExitCode(1)
    static let usage = ExitCode(2)
    static let badData = ExitCode(65)
    /// A run stopped by a signal: 128 + its number, as a shell reports a process the signal ended, so
    /// 130 for Ctrl-C (SIGINT), 143 for SIGTERM, 129 for SIGHUP. The first stop signal received decides.
    static var interrupted: ExitCode { stopped(by: InterruptHandler.firstSignal.withLock { $0 } ?? SIGINT) }

    static func stopped(by signal: Int32) -> ExitCode { ExitCode(128 + signal) }

    /// Prints `error` to stderr and returns the status it maps to.
    static func report(_ error: any Error) -> ExitCode {
        let status: ExitCode
        switch error {
        case let error as ImportError:
            switch error {
            case .badOption, .campaignDefaultDiffers, .unknownPhoneColumn: status = usage
            case .cannotWrite: status = failure
            default: status = badData
            }
        case is StoreError, is DispatchError, is RunLockError, is DispatchStoreError, is ReportError: status = failure
        case is OutputPathError: status = usage
        case is DurationParseError, is RetryPolicyError, is OutcomeRulesError, is CallingWindowError,
            is RatePacerError, is RunOptionError, is WindowZoneError, is APIAccessError,
            is FileDescriptorLimitError:
            status = usage
        default: status = failure
        }
        printError("error: \(error)")
        return status
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
