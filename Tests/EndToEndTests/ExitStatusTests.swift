import ArgumentParser
@testable import CampaignKit
import Foundation
import GRDB
import PokuSimulator
import TestSupport
import Testing

@testable import campaign

/// Every error a command can throw carries its exit status (`ExitCoded`), chosen in `ErrorExitStatuses.swift`.
@Suite("exit statuses")
struct ExitStatusTests {
    /// Every public error type of the libraries the commands call. `listIsComplete` reads the sources, so a new
    /// error type that is missing here fails it, and `everyErrorCarriesItsStatus` fails until it conforms.
    static let errorTypes: [any Error.Type] = [
        APIAccessError.self, CSVError.self, CallingError.self, CallingWindowError.self, ContactPressureError.self,
        DatabaseURLError.self, DispatchError.self,
        DispatchStoreError.self, DurationParseError.self, FileDescriptorLimitError.self, ImportError.self,
        OptionProblem.self, OutcomeRulesError.self, OutputPathError.self, PhoneProblem.self, PhoneRegionError.self,
        PostgresStoreError.self, PromptTemplate.EmptyValues.self, RatePacerError.self, ReportError.self,
        RetryPolicyError.self,
        RunLockError.self, StoreError.self, TemplateError.self, WindowZoneError.self, PokuSimulatorError.self,
        SimulatorScriptError.self,
    ]

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The names of the public types declared with `Error` (or another `…Error` protocol) among the types they
    /// conform to, in every Swift file under `folder`.
    static func declaredErrorTypes(under folder: String) throws -> Set<String> {
        let root = packageRoot.appendingPathComponent(folder)
        let declaration = try Regex(
            #"public\s+(?:final\s+)?(?:struct|enum|class|actor)\s+(\w+)\s*:\s*[^{]*\b(?:Swift\.)?\w*Error\b"#)
        var names: Set<String> = []
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift" else { continue }
            let text = try String(contentsOf: file, encoding: .utf8)
            for line in text.split(separator: "\n") {
                for match in line.matches(of: declaration) {
                    if let name = match.output[1].substring { names.insert(String(name)) }
                }
            }
        }
        return names
    }

    @Test("the list holds every public error type of CampaignKit and PokuSimulator")
    func listIsComplete() throws {
        let declared = try Self.declaredErrorTypes(under: "Sources/CampaignKit")
            .union(Self.declaredErrorTypes(under: "Sources/PokuSimulator"))
        let listed = Set(Self.errorTypes.map { String(describing: $0) })
        #expect(declared.count > 20, "the scan found \(declared.sorted())")
        #expect(
            declared.subtracting(listed).isEmpty,
            "not in ExitStatusTests.errorTypes: \(declared.subtracting(listed).sorted())")
        #expect(listed.subtracting(declared).isEmpty, "no longer declared: \(listed.subtracting(declared).sorted())")
    }

    @Test("every public error type carries its exit status")
    func everyErrorCarriesItsStatus() {
        let missing = Self.errorTypes.filter { !($0 is any ExitCoded.Type) }.map { String(describing: $0) }
        #expect(missing.isEmpty, "add these to Sources/campaign/ErrorExitStatuses.swift: \(missing)")
    }

    struct Unrelated: Error {}

    /// `--region XX`: its error has no public initializer.
    static var regionError: any Error {
        do {
            _ = try PhoneNormalizer(region: "XX")
            return Unrelated()
        } catch {
            return error
        }
    }

    @Test(
        "the mapping",
        arguments: [
            (ImportError.badOption(option: "--voice", problem: "x"), 2),
            (ImportError.unknownPhoneColumn(path: "c.csv", name: "tel", available: []), 2),
            (ImportError.cannotWrite(path: "r.csv", reason: "x"), 1),
            (ImportError.emptyFile(path: "c.csv"), 65),
            (ImportError.csv(.unterminatedQuote(path: "c.csv", line: 3)), 65),
            (ImportError.template(.empty(path: "p.txt")), 65),
            (StoreError.noDatabase(path: "x.db"), 1),
            (StoreError.database(Unrelated()), 1),
            (DispatchError.store(.campaignNotChosen(available: [])), 1),
            (DispatchError.outOfCredits(message: ""), 1),
            (RunLockError.noDatabase(path: "x.db"), 1),
            (DatabaseURLError(url: "postgres://u@h/", problem: .noDatabaseName), 1),
            (PostgresStoreError.newerSchema(location: "postgres://u@h:5432/d", unknownSteps: ["v9"]), 1),
            (RatePacerError.badFormat("fast"), 2),
            (CallingWindowError.badFormat("9-20"), 2),
            (DurationParseError(text: "soon"), 2),
            (regionError, 2),
            (OutputPathError.wouldReplace(output: "a", what: "b"), 2),
            (RunOptionError("x"), 2),
            (Unrelated(), 1),
            (ExitCode(130), 130),
        ] as [(any Error, Int32)])
    func mapping(error: any Error, status: Int32) {
        #expect(ExitStatus.code(for: error).rawValue == status, "\(error)")
    }

    @Test("a database error inside an import is said as a store error, not as SQLite's raw text (exit 1)")
    func importDatabaseError() async throws {
        let folder = TemporaryFolder()
        folder.write("prompt.txt", "Hi [name].")
        folder.write("contacts.csv", "name,phone\nAda,+14155550123\n")
        let created = try await CampaignBinary.run(
            ["import", "contacts.csv", "--prompt", "prompt.txt"], in: folder.url)
        #expect(created.status == 0, "\(created.stderr)")
        try await DatabaseQueue(path: folder.path("campaign.db")).write { db in
            try db.execute(
                sql: "CREATE TRIGGER refuse BEFORE INSERT ON imports BEGIN SELECT RAISE(ABORT, 'no imports today'); END"
            )
        }
        folder.write("more.csv", "name,phone\nBob,+14155550124\n")
        let refused = try await CampaignBinary.run(
            ["import", "more.csv", "--prompt", "prompt.txt", "--name", "contacts"], in: folder.url)
        #expect(refused.status == 1, "\(refused.stdout)\n\(refused.stderr)")
        #expect(refused.stderr.contains("error: database error: no imports today"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("SQLite error"), "\(refused.stderr)")
    }
}
