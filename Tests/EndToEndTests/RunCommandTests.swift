@testable import CampaignKit
import Foundation
import TestSupport
import Testing

/// `campaign run` and `campaign resolve` as a user meets them: the built binary, real files, exit statuses.
@Suite("campaign run (binary)")
struct RunCommandTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs the built binary (its output goes to files in a folder of its own, removed afterwards).
    func campaign(_ arguments: [String], environment: [String: String] = [:]) async throws -> CampaignBinary.Output {
        let folder = TemporaryFolder()
        return try await CampaignBinary.run(arguments, in: folder.url, environment: environment)
    }

    /// A database with the example campaign imported.
    func importedDatabase() async throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("run-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let db = directory.appendingPathComponent("campaign.db").path
        let examples = Self.packageRoot.appendingPathComponent("examples/dinner")
        let result = try await campaign([
            "import", examples.appendingPathComponent("contacts.csv").path, "--prompt",
            examples.appendingPathComponent("prompt.txt").path, "--db", db, "--skip-invalid",
        ])
        #expect(result.status == 0 || result.status == 65, "\(result.stderr)")
        return db
    }

    @Test("without a key and without --simulate, run refuses with exit 2")
    func noKey() async throws {
        let db = try await importedDatabase()
        let result = try await campaign(["run", "--db", db])
        #expect(result.status == 2)
        #expect(result.stderr.contains("POKU_API_KEY"))
        #expect(result.stderr.contains("--simulate"))
    }

    @Test(
        "bad flag values exit 2 with the accepted forms",
        arguments: [
            (["--window", "9-20"], "HH:MM-HH:MM"), (["--retry-delay", "soon"], "30m"), (["--rate", "fast"], "N/min"),
            (["--retry-on", "No Answer"], "no_answer"),
        ])
    func badFlags(flags: [String], hint: String) async throws {
        let db = try await importedDatabase()
        let result = try await campaign(
            ["run", "--db", db] + flags, environment: ["POKU_API_KEY": "test-key-do-not-print"])
        #expect(result.status == 2)
        #expect(result.stderr.contains(hint), "\(result.stderr)")
    }

    @Test("a second run on the same database is refused, naming the holder; the key is never printed")
    func lockRefuses() async throws {
        let db = try await importedDatabase()
        let lock = try RunLock.acquire(store: try CampaignStore(path: db))
        let result = try await campaign(["run", "--db", db], environment: ["POKU_API_KEY": "sekrit-key-123"])
        withExtendedLifetime(lock) {}
        #expect(result.status == 1)
        #expect(result.stderr.contains("another campaign run is working this database (pid \(getpid())"))
        #expect(!(result.stdout + result.stderr).contains("sekrit-key-123"))
    }

    @Test("resolve needs exactly one action and ids or --all")
    func resolveUsage() async throws {
        let db = try await importedDatabase()
        #expect(try await campaign(["resolve", "--db", db, "--all"]).status == 2)
        #expect(try await campaign(["resolve", "--db", db, "--requeue", "--done", "--all"]).status == 2)
        #expect(try await campaign(["resolve", "--db", db, "--done"]).status == 2)
        let ok = try await campaign(["resolve", "--db", db, "--requeue", "--all"])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("requeued 0 job(s)"))
    }
}
