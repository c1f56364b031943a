@testable import CampaignKit
import Foundation
import TestSupport
import Testing

/// `campaign demo` and the example files it carries.
@Suite("demo")
struct DemoTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/dinner")

    @Test("the files built into the binary are examples/dinner as it stands")
    func embeddedFilesMatchExamples() throws {
        let contacts = try String(contentsOf: Self.examples.appendingPathComponent("contacts.csv"), encoding: .utf8)
        let prompt = try String(contentsOf: Self.examples.appendingPathComponent("prompt.txt"), encoding: .utf8)
        #expect(DemoCampaign.contactsCSV == contacts)
        #expect(DemoCampaign.prompt == prompt)
        for placeholder in ["[name]", "[day]", "[time", "[party_size]"] {
            #expect(prompt.contains(placeholder))
        }
    }

    @Test("demo imports, runs on the simulator and prints the report from any folder, without waiting on real calls")
    func demoRuns() async throws {
        let folder = TemporaryFolder()
        let started = Date()
        let result = try await CampaignBinary.run(["demo", "--db", "kept.db"], in: folder.url)
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        // A hang guard, not a speed test: the demo takes about 5 s alone, and a full test run beside builds on a
        // 2-core machine has seen 49 s. Its speed is what the benchmarks measure.
        #expect(elapsed < 120)
        #expect(result.stdout.contains("12 rows: 12 queued"))
        #expect(result.stdout.contains("campaign 'dinner' finished"))
        #expect(result.stdout.contains("campaign 'dinner': 12 jobs"))
        #expect(result.stdout.contains("answer rate"))
        #expect(result.stdout.contains("ESTIMATE"))
        #expect(result.stdout.contains("NEEDS A DECISION: 1 unknown job"))
        #expect(!result.stdout.contains("error"))
        // The kept database serves the other reports.
        let html = try await CampaignBinary.run(["report", "--db", "kept.db", "--html", "r.html"], in: folder.url)
        #expect(html.status == 0, "\(html.stderr)")
    }
}

/// The other example must stay importable as its README shows.
@Suite("demo: examples/appointments")
struct DemoAppointmentsExampleTests {
    @Test("examples/appointments imports without a reject")
    func appointmentsImport() async throws {
        let folder = TemporaryFolder()
        let examples = DemoTests.examples.deletingLastPathComponent().appendingPathComponent("appointments")
        let result = try await CampaignBinary.run(
            [
                "import", examples.appendingPathComponent("contacts.csv").path, "--prompt",
                examples.appendingPathComponent("prompt.txt").path, "--name", "appointments", "--language", "en-US",
                "--dry-run",
            ], in: folder.url)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("8 rows: 8 queued"))
    }
}
