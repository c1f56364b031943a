@testable import CampaignKit
import Foundation
import Testing

/// `campaign run` and `campaign resolve` as a user meets them: the built binary, real files, exit statuses.
@Suite("campaign run (binary)")
struct RunCommandTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func campaign(_ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        let process = Process()
        process.executableURL = Self.packageRoot.appendingPathComponent(".build/debug/campaign")
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["POKU_API_KEY"] = nil
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// A database with the example campaign imported.
    func importedDatabase() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("run-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let db = directory.appendingPathComponent("campaign.db").path
        let examples = Self.packageRoot.appendingPathComponent("examples/dinner")
        let result = try campaign([
            "import", examples.appendingPathComponent("contacts.csv").path, "--prompt",
            examples.appendingPathComponent("prompt.txt").path, "--db", db, "--skip-invalid",
        ])
        #expect(result.status == 0 || result.status == 65, "\(result.stderr)")
        return db
    }

    @Test("without a key and without --simulate, run refuses with exit 2")
    func noKey() throws {
        let db = try importedDatabase()
        let result = try campaign(["run", "--db", db])
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
    func badFlags(flags: [String], hint: String) throws {
        let db = try importedDatabase()
        let result = try campaign(["run", "--db", db] + flags, environment: ["POKU_API_KEY": "test-key-do-not-print"])
        #expect(result.status == 2)
        #expect(result.stderr.contains(hint), "\(result.stderr)")
    }

    @Test("a second run on the same database is refused, naming the holder; the key is never printed")
    func lockRefuses() throws {
        let db = try importedDatabase()
        let lock = try RunLock.acquire(store: try CampaignStore(path: db))
        let result = try campaign(["run", "--db", db], environment: ["POKU_API_KEY": "sekrit-key-123"])
        withExtendedLifetime(lock) {}
        #expect(result.status == 1)
        #expect(result.stderr.contains("another campaign run is working this database (pid \(getpid())"))
        #expect(!(result.stdout + result.stderr).contains("sekrit-key-123"))
    }

    @Test("resolve needs exactly one action and ids or --all")
    func resolveUsage() throws {
        let db = try importedDatabase()
        #expect(try campaign(["resolve", "--db", db, "--all"]).status == 2)
        #expect(try campaign(["resolve", "--db", db, "--requeue", "--done", "--all"]).status == 2)
        #expect(try campaign(["resolve", "--db", db, "--done"]).status == 2)
        let ok = try campaign(["resolve", "--db", db, "--requeue", "--all"])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("requeued 0 job(s)"))
    }
}
