import ArgumentParser
import Foundation
import Synchronization

/// Exit statuses (docs/ARCHITECTURE.md, "Exit statuses"). Which error gets which is decided in one place,
/// `ErrorExitStatuses.swift`; `CampaignCommand.main` prints every error a command throws and exits with it.
enum ExitStatus {
    static let failure = ExitCode(1)
    static let usage = ExitCode(2)
    static let badData = ExitCode(65)
    /// A run stopped by a signal: 128 + its number, as a shell reports a process the signal ended, so
    /// 130 for Ctrl-C (SIGINT), 143 for SIGTERM, 129 for SIGHUP. The first stop signal received decides.
    static var interrupted: ExitCode { stopped(by: InterruptHandler.firstSignal.withLock { $0 } ?? SIGINT) }

    static func stopped(by signal: Int32) -> ExitCode { ExitCode(128 + signal) }

    /// The status `error` maps to: its own when it carries one, else failure. An `ExitCode` is a status
    /// whose message was already printed.
    static func code(for error: any Error) -> ExitCode {
        if let code = error as? ExitCode { return code }
        return (error as? any ExitCoded)?.exitStatus ?? failure
    }

    /// Prints `error` to stderr (unless it is an `ExitCode`, already said) and returns its status.
    static func report(_ error: any Error) -> ExitCode {
        if !(error is ExitCode) { printError("error: \(error)") }
        return code(for: error)
    }
}

/// An error that knows the exit status it ends the process with. Every error type the commands can meet
/// conforms, in `ErrorExitStatuses.swift`; an error that does not exits with `ExitStatus.failure`.
protocol ExitCoded: Error {
    var exitStatus: ExitCode { get }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
