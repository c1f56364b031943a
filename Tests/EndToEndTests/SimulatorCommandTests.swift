@testable import CampaignKit
import Foundation
import Testing

/// `campaign simulator` as a user runs it: the built binary, a free port, SIGINT to stop.
@Suite struct SimulatorCommandTests {
    /// The `campaign` executable beside the test bundle in the build directory.
    static var campaignBinary: URL {
        let testBinary = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        return testBinary.deletingLastPathComponent().appendingPathComponent("campaign")
    }

    /// Fails with `TimedOut` unless `operation` finishes within `seconds`: a bound on waiting, not a sleep.
    struct TimedOut: Error {}
    static func within<T: Sendable>(_ seconds: Double, _ operation: @escaping @Sendable () async throws -> T)
        async throws -> T
    {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                throw TimedOut()
            }
            let result = try await group.next()!
            group.cancelAll()
            return result
        }
    }

    @Test func servesOnAFreePortAndStopsOnSIGINT() async throws {
        let binary = Self.campaignBinary
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the campaign product first")

        let process = Process()
        process.executableURL = binary
        process.arguments = ["simulator", "--port", "0", "--seed", "5", "--call-duration", "20ms", "--api-key", "e2e"]
        let output = Pipe()
        process.standardOutput = output
        let (lines, lineSink) = AsyncStream.makeStream(of: String.self)
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                lineSink.finish()
                handle.readabilityHandler = nil
            } else {
                for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                    lineSink.yield(String(line))
                }
            }
        }
        let (exits, exitSink) = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { exitSink.yield($0.terminationStatus) }
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let banner = try await Self.within(10) {
            for await line in lines where line.contains("listening on") { return line }
            return ""
        }
        let url = try #require(banner.split(separator: " ").last.map(String.init))
        #expect(url.hasPrefix("http://127.0.0.1:"))
        #expect(!url.hasSuffix(":0"))

        // Real requests over loopback with the real client: the configured key is required.
        let client = PokuClient(configuration: .init(baseURL: URL(string: url)!), apiKey: "e2e")
        let intruder = PokuClient(configuration: .init(baseURL: URL(string: url)!), apiKey: "wrong")
        // No `try` until both clients are shut down: AsyncHTTPClient traps on an unclosed client.
        var placed: PlacedCall?
        var refusal: CallingError?
        do {
            placed = try await client.placeCall(CallRequest(prompt: "Hello", to: "+15550500001", waitForCallEnd: true))
        } catch {
            Issue.record("the simulator refused a good call: \(error)")
        }
        do {
            _ = try await intruder.placeCall(CallRequest(prompt: "Hello", to: "+15550500001"))
        } catch {
            refusal = error
        }
        await client.shutdown()
        await intruder.shutdown()
        #expect(placed?.interactionID.isEmpty == false)
        guard case .unauthorized(status: 401, _)? = refusal else {
            Issue.record("expected 401, got \(String(describing: refusal))")
            return
        }

        process.interrupt()
        let status = try await Self.within(10) {
            for await status in exits { return status }
            return -1
        }
        #expect(status == 0)
    }
}
