import ArgumentParser
import CampaignKit
import Foundation
import PokuSimulator

/// `campaign simulator`: the fake Poku API as a standalone server, for tests and for people
/// integrating with the tool.
struct SimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulator",
        abstract: "Serve a simulated Poku calling API on a loopback port until interrupted."
    )

    @Option(help: "The port to listen on (0 picks a free one).")
    var port: Int = 0

    @Option(help: "The loopback address to bind.")
    var host: String = "127.0.0.1"

    @Option(help: "Seed for outcomes and durations; the same seed gives the same calls.")
    var seed: UInt64 = 1

    /// At most an hour: `inf`, `nan` or a value too large for a `Duration` would crash the server when it first
    /// schedules a call's end.
    @Option(
        help: "Mean call duration, e.g. 0.5s, 50ms, 2m. (default: 0.5s)",
        transform: DurationArgument.parser("--call-duration", within: .zero ... .seconds(3600)))
    var callDuration: DurationArgument = "0.5s"

    @Option(help: "A JSON fault script (faults per number, outcomes per number, global faults).")
    var script: String?

    @Option(help: "The API key clients must send (default: env POKU_API_KEY, else 'sim-key').")
    var apiKey: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
    }

    func run() async throws {
        var configuration = PokuSimulator.Configuration(
            host: host, port: port, seed: seed,
            apiKey: apiKey ?? ProcessInfo.processInfo.environment["POKU_API_KEY"] ?? "sim-key",
            callDuration: .uniform(mean: callDuration.value)
        )
        if let script {
            do {
                configuration.script = try FaultScript(json: try Data(contentsOf: URL(fileURLWithPath: script)))
            } catch {
                printError("error: \(script): \(error)")
                throw ExitStatus.usage
            }
        }
        let simulator = try await PokuSimulator.start(configuration)
        // Unbuffered, so a script reading the URL from a pipe gets it at once.
        let url = simulator.baseURL.absoluteString
        let banner = "Poku simulator listening on \(url)\nledger: \(url)/_sim/ledger  (Ctrl-C to stop)\n"
        FileHandle.standardOutput.write(Data(banner.utf8))
        await simulator.runUntilTerminated()
    }
}
