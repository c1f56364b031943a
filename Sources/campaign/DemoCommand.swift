import ArgumentParser
import CampaignKit
import Foundation
import PokuSimulator

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Import the example dinner-reservation campaign and run it on the built-in simulator.",
        discussion: """
            No real call is placed and no API key is needed: the simulator runs inside this process. \
            The campaign's files are built into the binary (they are examples/dinner in the source tree). \
            The run is sped up (calls of about half a second, retries after 1s) and takes a few seconds. \
            One number is scripted to lose the API's answer, so the report shows a job that needs a decision.
            """
    )

    @Option(help: "Keep the demo database here (default: a temporary one, removed at the end).")
    var db: String?

    @Option(help: "The seed that decides the simulated outcomes.")
    var seed: UInt64 = 7

    /// The number whose POST is scripted to be placed but answered with a dropped connection: it becomes
    /// `unknown`, which is what the report's "needs a decision" section is for.
    static let unknownNumber = "+442079460321"

    func run() async throws {
        if let db, FileManager.default.fileExists(atPath: db) {
            printError("error: \(db) exists; the demo writes a new database (choose another path)")
            throw ExitStatus.usage
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("campaign-demo-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw ReportError.cannotWrite(path: folder.path, reason: "\(error)")
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = db ?? folder.appendingPathComponent("demo.db").path

        say("campaign demo: the dinner-reservation example on the built-in simulator (no real calls)\n")
        let request = try DemoCampaign.importRequest(in: folder)
        let store = try CampaignStore(path: path)
        let report = try await ContactImporter(store: store).run(request)
        say("$ campaign import contacts.csv --prompt prompt.txt --name \(DemoCampaign.name)")
        say(ImportSummaryText.render(report, request: request, database: db ?? "a temporary database"))
        let record = try await store.resolveCampaign(DemoCampaign.name)
        try await withRunLock(store: store) {
            let result = try await rehearse(store: store, campaign: record)
            say("\n$ campaign report")
            say(SummaryText.render(try await CampaignSummary(store: store, campaign: record), database: db))
            if let db {
                say("\nthe demo database is kept: try campaign report --db \(db) --html report.html")
            } else {
                say("\nthat was a temporary database; campaign demo --db demo.db keeps it to try report --csv/--html")
            }
            if case .stopped = result { throw ExitStatus.interrupted }
        }
    }

    /// The sped-up `campaign run --simulate`, with one number scripted to lose the API's answer.
    func rehearse(store: CampaignStore, campaign record: CampaignRecord) async throws -> RunResult {
        say("\n$ campaign run --simulate --max-parallel 4 --poll-interval 150ms --retry-delay 1s")
        let configuration = DispatchConfiguration(
            maxParallel: 4, pollInterval: .milliseconds(150),
            retry: RetryPolicy(maxAttempts: 3, baseDelay: .seconds(1)),
            defaultTimeZone: TimeZone(identifier: "America/Los_Angeles") ?? .current, gracePeriod: .seconds(5))
        let calling = CallingClientSetup(
            simulate: true, apiURL: "", apiKey: nil, maxParallel: 4,
            simulation: PokuSimulator.Configuration(
                seed: seed, callDuration: .uniform(mean: .milliseconds(600)),
                script: try FaultScript(faultTexts: [Self.unknownNumber: ["drop-after-place"]])))
        let result = try await RunDriver.execute(
            store: store, campaign: record, calling: calling, configuration: configuration, gracePeriod: "5s")
        say(RunSummaryText.render(result, campaign: record.name))
        return result
    }
}

/// Prints and flushes at once: the run's progress lines are written unbuffered, so buffered `print` text
/// would otherwise come out after them when stdout is a pipe.
private func say(_ text: String) {
    print(text)
    fflush(nil)
}
