@testable import CampaignKit
import Foundation
import GRDB
import TestSupport
import Testing

/// What the user reads stays what was stored: no control character cuts a prompt, no report escapes
/// its escaping, no output replaces the database, no malformed file makes the reader's memory grow.
@Suite("output safety, end to end")
struct OutputSafetyEndToEndTests {
    let folder = TemporaryFolder()

    init() {
        folder.write("prompt.txt", "Hi [name], about [day].")
    }

    func campaign(_ arguments: [String]) async throws -> CampaignBinary.Output {
        try await CampaignBinary.run(arguments, in: folder.url)
    }

    func importGood() async throws {
        folder.write("contacts.csv", "name,phone,day\nAna,+1 415 555 2671,Friday\nBen,(212) 555-0147,Monday\n")
        let result = try await campaign(["import", "contacts.csv", "--prompt", "prompt.txt"])
        try #require(result.status == 0, "\(result.stderr)")
    }

    func databaseBytes() -> Data? { FileManager.default.contents(atPath: folder.path("campaign.db")) }

    // MARK: item 18

    @Test("a NUL byte in a contact value is refused with its line and column (exit 65)")
    func controlCharacterInValue() async throws {
        folder.write(
            "contacts.csv",
            bytes: Array("name,phone,day\nAna,+1 415 555 2671,Friday\nBen,(212) 555-0147,Mon".utf8) + [0]
                + Array("day\n".utf8))
        let result = try await campaign(["import", "contacts.csv", "--prompt", "prompt.txt"])
        #expect(result.status == 65, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("contacts.csv:3: day: "), "\(result.stdout)")
        #expect(result.stdout.contains("U+0000"), "\(result.stdout)")
        #expect(result.stdout.contains("column 23"), "\(result.stdout)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("campaign.db")))
    }

    @Test("a control character in the prompt file is refused with its line and column (exit 65)")
    func controlCharacterInPrompt() async throws {
        folder.write("prompt.txt", "Hi [name],\nabout \u{1B}[31m[day].")
        folder.write("contacts.csv", "name,phone,day\nAna,+1 415 555 2671,Friday\n")
        let result = try await campaign(["import", "contacts.csv", "--prompt", "prompt.txt"])
        #expect(result.status == 65, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("prompt.txt:2: "), "\(result.stderr)")
        #expect(result.stderr.contains("U+001B") && result.stderr.contains("column 7"), "\(result.stderr)")
    }

    // MARK: item 19

    @Test("--html: a prepend character before '<' stays text; the page forbids scripts")
    func htmlPrependCharacter() async throws {
        try await importGood()
        let db = try DatabaseQueue(path: folder.path("campaign.db"))
        try await db.write { db in
            try db.execute(
                sql: "UPDATE jobs SET status = 'unknown', attempts = 1, review_reason = ? WHERE id = 1",
                arguments: ["interaction \u{0600}<img src=x onerror=alert(1)> lost"])
        }
        let result = try await campaign(["report", "--html", "report.html"])
        #expect(result.status == 0, "\(result.stderr)")
        let html = try String(contentsOfFile: folder.path("report.html"), encoding: .utf8)
        #expect(!html.contains("<img"))
        #expect(html.contains("\u{0600}&lt;img src=x onerror=alert(1)&gt;"))
        #expect(html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"))
        #expect(!html.contains("script-src"))
    }

    // MARK: item 20

    @Test("--csv: a stray quote in a bare field does not hide the next field from the formula guard")
    func strayQuoteInResults() async throws {
        folder.write("prompt.txt", "Hi [name].")
        folder.write(
            "contacts.csv", "name,phone,size,note\nAna,+1 415 555 2671,Screen 27\",=cmd|' /C calc'!A0\n")
        let imported = try await campaign(["import", "contacts.csv", "--prompt", "prompt.txt"])
        try #require(imported.status == 0, "\(imported.stderr)")
        let result = try await campaign(["report", "--csv", "results.csv"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try String(contentsOfFile: folder.path("results.csv"), encoding: .utf8)
            .components(separatedBy: "\r\n")
        #expect(lines[1].hasPrefix("Ana,+1 415 555 2671,\"Screen 27\"\"\",'=cmd|' /C calc'!A0,+14155552671,"))
    }

    @Test("the rejects CSV is guarded too")
    func rejectsGuarded() async throws {
        folder.write(
            "contacts.csv", "name,phone,day\n=HYPERLINK(\"http://x\"),12345,Friday\n@SUM(1),+1 415 555 2671,\n")
        let result = try await campaign(["import", "contacts.csv", "--prompt", "prompt.txt"])
        #expect(result.status == 65)
        let lines = try String(contentsOfFile: folder.path("contacts.rejects.csv"), encoding: .utf8)
            .components(separatedBy: "\r\n")
        #expect(lines[1].hasPrefix("2,"), "\(lines)")
        #expect(lines[1].hasSuffix(",\"'=HYPERLINK(\"\"http://x\"\")\",12345,Friday"), "\(lines)")
        #expect(lines[2].hasSuffix(",'@SUM(1),+1 415 555 2671,"), "\(lines)")
    }

    // MARK: item 21

    @Test(
        "an output that is the database, its companions, its lock or the input is refused (exit 2)",
        arguments: [
            ["report", "--csv", "campaign.db"], ["report", "--html", "campaign.db"],
            ["report", "--csv", "./campaign.db-wal"], ["report", "--csv", "campaign.db-shm"],
            ["report", "--csv", "campaign.db.lock"], ["report", "--csv", "hard.db"], ["report", "--html", "soft.db"],
            ["report", "--csv", "sub/../campaign.db"],
            ["import", "more.csv", "--prompt", "prompt.txt", "--rejects", "campaign.db"],
            ["import", "more.csv", "--prompt", "prompt.txt", "--rejects", "soft.db"],
            ["import", "more.csv", "--prompt", "prompt.txt", "--rejects", "more.csv"],
            ["import", "more.csv", "--prompt", "prompt.txt", "--rejects", "prompt.txt"],
        ])
    func outputIsDatabase(arguments: [String]) async throws {
        try await importGood()
        try FileManager.default.createDirectory(atPath: folder.path("sub"), withIntermediateDirectories: true)
        try FileManager.default.linkItem(atPath: folder.path("campaign.db"), toPath: folder.path("hard.db"))
        try FileManager.default.createSymbolicLink(
            atPath: folder.path("soft.db"), withDestinationPath: folder.path("campaign.db"))
        folder.write("more.csv", "name,phone,day\nCy,+1 646 555 0101,Sunday\nDi,12345,Monday\n")
        let prompt = FileManager.default.contents(atPath: folder.path("prompt.txt"))
        let more = FileManager.default.contents(atPath: folder.path("more.csv"))
        let before = databaseBytes()
        let result = try await campaign(arguments)
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("refusing to write"), "\(result.stderr)")
        #expect(databaseBytes() == before)
        #expect(FileManager.default.contents(atPath: folder.path("prompt.txt")) == prompt)
        #expect(FileManager.default.contents(atPath: folder.path("more.csv")) == more)
        let jobs = try await DatabaseQueue(path: folder.path("campaign.db")).read {
            try Int.fetchOne($0, sql: "SELECT count(*) FROM jobs")
        }
        #expect(jobs == 2)
    }

    @Test("an output that is a symlink is replaced, never written through")
    func outputSymlinkNotFollowed() async throws {
        try await importGood()
        folder.write("elsewhere.txt", "keep me")
        try FileManager.default.createSymbolicLink(
            atPath: folder.path("results.csv"), withDestinationPath: folder.path("elsewhere.txt"))
        // A temporary file that some other user planted as a link is not written through either.
        try FileManager.default.createSymbolicLink(
            atPath: folder.path("results.csv.partial"), withDestinationPath: folder.path("elsewhere.txt"))
        let result = try await campaign(["report", "--csv", "results.csv"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try String(contentsOfFile: folder.path("elsewhere.txt"), encoding: .utf8) == "keep me")
        let attributes = try FileManager.default.attributesOfItem(atPath: folder.path("results.csv"))
        #expect(attributes[.type] as? FileAttributeType == .typeRegular)
    }

    // MARK: item 23

    @Test("a quote that never closes stops the import at the record cap, naming its line (exit 65)")
    func strayQuoteCap() async throws {
        var csv = Array("name,phone,day\nAna,+1 415 555 2671,Friday\nBen,\"(212) 555-0147,Monday\n".utf8)
        let filler = Array("Cy,+1 646 555 0101,Sunday\n".utf8)
        while csv.count < 3_000_000 { csv += filler }
        folder.write("contacts.csv", bytes: csv)
        let result = try await campaign(["import", "contacts.csv", "--prompt", "prompt.txt"])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("contacts.csv:3: "), "\(result.stderr)")
        #expect(result.stderr.contains("1 MB"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("campaign.db")))
    }
}
