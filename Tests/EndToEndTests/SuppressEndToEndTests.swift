@testable import CampaignKit
import Foundation
import GRDB
import TestSupport
import Testing

/// The do-not-call list: saved whatever becomes of the import that brought it, said exactly, and
/// managed on its own with `campaign suppress`.
@Suite("do-not-call list, end to end")
struct SuppressEndToEndTests {
    let folder = TemporaryFolder()

    init() {
        folder.write("prompt.txt", "Hi [name], about [day].")
    }

    func campaign(_ arguments: [String]) async throws -> CampaignBinary.Output {
        try await CampaignBinary.run(arguments, in: folder.url)
    }

    func query<T: DatabaseValueConvertible>(_ sql: String) throws -> [T] {
        let db = try DatabaseQueue(path: folder.path("campaign.db"))
        return try db.read { try T.fetchAll($0, sql: sql) }
    }

    var dbExists: Bool { FileManager.default.fileExists(atPath: folder.path("campaign.db")) }

    static let good = "name,phone,day\nAna,+1 415 555 2671,Friday\nBen,(212) 555-0147,Monday\n"
    static let oneBad = "name,phone,day\nCy,+1 646 555 0101,Friday\nDi,12345,Monday\n"

    // MARK: item 16

    @Test("a refused import still saves its do-not-call list, keeps the new database, and says so")
    func refusedImportKeepsList() async throws {
        folder.write("dnc.csv", "+1 (212) 555-0147\n+1 212 555 0148\n")
        folder.write("bad.csv", Self.oneBad)
        let refused = try await campaign(["import", "bad.csv", "--prompt", "prompt.txt", "--suppress", "dnc.csv"])
        #expect(refused.status == 65)
        #expect(refused.stdout.contains("nothing imported"), "\(refused.stdout)")
        #expect(
            refused.stdout.contains(
                "do-not-call list saved in campaign.db (whatever becomes of the contacts): "
                    + "2 numbers added, 0 already listed; 0 queued jobs in earlier imports now suppressed"),
            "\(refused.stdout)")
        try #require(dbExists)
        #expect(try query("SELECT phone_e164 FROM suppressed ORDER BY 1") == ["+12125550147", "+12125550148"])
        #expect(try query("SELECT count(*) FROM jobs") == [0])
        // The list holds for the next import, which brought no list of its own.
        folder.write("contacts.csv", Self.good)
        let later = try await campaign(["import", "contacts.csv", "--prompt", "prompt.txt"])
        #expect(later.status == 0, "\(later.stderr)")
        #expect(later.stdout.contains("1 queued, 1 suppressed"), "\(later.stdout)")
    }

    @Test("a refused import's list turns queued jobs of earlier imports to suppressed, counted exactly")
    func refusedImportSuppressesEarlierJobs() async throws {
        folder.write("contacts.csv", Self.good)
        #expect(try await campaign(["import", "contacts.csv", "--prompt", "prompt.txt"]).status == 0)
        folder.write("dnc.csv", "phone\n212-555-0147\n+1 415 555 2671\n")
        folder.write("bad.csv", Self.oneBad)
        let refused = try await campaign(["import", "bad.csv", "--prompt", "prompt.txt", "--suppress", "dnc.csv"])
        #expect(refused.status == 65)
        #expect(refused.stdout.contains("2 numbers added, 0 already listed; 2 queued jobs"), "\(refused.stdout)")
        #expect(try query("SELECT status FROM jobs ORDER BY id") == ["suppressed", "suppressed"])
        // Again: nothing new is stored, and the message says so.
        let again = try await campaign(["import", "bad.csv", "--prompt", "prompt.txt", "--suppress", "dnc.csv"])
        #expect(again.stdout.contains("0 numbers added, 2 already listed; 0 queued jobs"), "\(again.stdout)")
    }

    @Test("an import stopped by an error after its list was saved keeps the list and says so")
    func stoppedImportKeepsList() async throws {
        folder.write("prompt.txt", "Hi [nmae].")
        folder.write("dnc.csv", "+1 212 555 0147\n")
        folder.write("contacts.csv", Self.good)
        let stopped = try await campaign(["import", "contacts.csv", "--prompt", "prompt.txt", "--suppress", "dnc.csv"])
        #expect(stopped.status == 65)
        #expect(stopped.stderr.contains("placeholder [nmae]"), "\(stopped.stderr)")
        #expect(stopped.stdout.contains("do-not-call list saved in campaign.db"), "\(stopped.stdout)")
        #expect(try query("SELECT phone_e164 FROM suppressed") == ["+12125550147"])
    }

    @Test("--dry-run with a list stores nothing and says what it would store")
    func dryRunList() async throws {
        folder.write("contacts.csv", Self.good)
        #expect(try await campaign(["import", "contacts.csv", "--prompt", "prompt.txt"]).status == 0)
        folder.write("dnc.csv", "+1 415 555 2671\n")
        folder.write("more.csv", "name,phone,day\nCy,+1 646 555 0101,Friday\n")
        let dry = try await campaign([
            "import", "more.csv", "--prompt", "prompt.txt", "--suppress", "dnc.csv", "--dry-run",
        ])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(
            dry.stdout.contains(
                "dry run: the do-not-call list would add 1 number (0 already listed) and suppress 1 queued job"),
            "\(dry.stdout)")
        #expect(!dry.stdout.contains("now suppressed"))
        #expect(try query("SELECT count(*) FROM suppressed") == [0])
        #expect(try query("SELECT status FROM jobs ORDER BY id") == ["queued", "queued"])
    }

    // MARK: item 17

    @Test("campaign suppress adds numbers and suppresses their queued jobs in every campaign, in one commit")
    func suppressCommand() async throws {
        folder.write("contacts.csv", Self.good)
        #expect(try await campaign(["import", "contacts.csv", "--prompt", "prompt.txt"]).status == 0)
        folder.write("other.csv", "name,phone,day\nAna,415-555-2671,Sunday\n")
        #expect(try await campaign(["import", "other.csv", "--prompt", "prompt.txt"]).status == 0)
        let db = try DatabaseQueue(path: folder.path("campaign.db"))
        try await db.write { try $0.execute(sql: "UPDATE jobs SET status = 'completed' WHERE id = 2") }

        let added = try await campaign([
            "suppress", "+1 415 555 2671", "(212) 555-0147", "--reason", "asked on the phone",
        ])
        #expect(added.status == 0, "\(added.stderr)")
        #expect(
            added.stdout.contains("2 numbers added, 0 already listed; 2 queued jobs now suppressed, in every campaign"),
            "\(added.stdout)")
        // Both campaigns' queued jobs for +14155552671; the completed job is history and stays.
        #expect(try query("SELECT status FROM jobs ORDER BY id") == ["suppressed", "completed", "suppressed"])
        #expect(try query("SELECT source FROM suppressed") == ["asked on the phone", "asked on the phone"])

        folder.write("dnc.csv", "phone\n+1 212 555 0147\n+44 20 7946 0958\n")
        let fromFile = try await campaign(["suppress", "--file", "dnc.csv"])
        #expect(fromFile.stdout.contains("1 number added, 1 already listed; 0 queued jobs"), "\(fromFile.stdout)")

        let listed = try await campaign(["suppress", "--list"])
        #expect(listed.status == 0)
        let lines = listed.stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        #expect(lines.map { $0[0] } == ["+14155552671", "+12125550147", "+442079460958"])
        #expect(lines.map { $0[2] } == ["asked on the phone", "asked on the phone", "dnc.csv"])
    }

    @Test("campaign suppress: one bad number stores none (exit 65); it may create the database; --list needs one")
    func suppressCommandEdges() async throws {
        let bad = try await campaign(["suppress", "+1 415 555 2671", "nope"])
        #expect(bad.status == 65, "\(bad.stderr)")
        #expect(
            bad.stderr.contains("number 2, 'nope', is not a phone number; nothing was added"), "\(bad.stderr)")
        #expect(!dbExists)
        let missing = try await campaign(["suppress", "--list"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no campaign database at campaign.db"))
        #expect(!dbExists)
        #expect(try await campaign(["suppress"]).status == 2)
        #expect(try await campaign(["suppress", "--list", "+14155552671"]).status == 2)
        #expect(try await campaign(["suppress", "+14155552671", "--reason", "a\u{1B}[2Jb"]).status == 2)

        let first = try await campaign(["suppress", "+1 415 555 2671"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try query("SELECT source FROM suppressed") == ["command line"])
        folder.write("contacts.csv", Self.good)
        let imported = try await campaign(["import", "contacts.csv", "--prompt", "prompt.txt"])
        #expect(imported.stdout.contains("1 queued, 1 suppressed"), "\(imported.stdout)")
    }
}
