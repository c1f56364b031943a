@testable import CampaignKit
import Foundation
import GRDB
import TestSupport
import Testing

/// `campaign import` and `campaign report --csv`, run as the built binary on real files.
@Suite("import, end to end")
struct ImportEndToEndTests {
    let folder = TemporaryFolder()
    let prompt = "Hi [name], this is Luigi's about [day] at [time|7pm]."

    init() {
        folder.write("prompt.txt", prompt)
    }

    func importing(_ csv: String, _ extra: [String] = [], file: String = "contacts.csv") async throws
        -> CampaignBinary.Output
    {
        folder.write(file, csv)
        return try await CampaignBinary.run(["import", file, "--prompt", "prompt.txt"] + extra, in: folder.url)
    }

    var dbExists: Bool { FileManager.default.fileExists(atPath: folder.path("campaign.db")) }

    func query<T: DatabaseValueConvertible>(_ sql: String) throws -> [T] {
        let db = try DatabaseQueue(path: folder.path("campaign.db"))
        return try db.read { try T.fetchAll($0, sql: sql) }
    }

    /// Every table's rows, to prove a refused import changed nothing.
    func snapshot() throws -> [String] {
        let db = try DatabaseQueue(path: folder.path("campaign.db"))
        return try db.read { db in
            var rows: [String] = []
            for table in ["campaigns", "imports", "jobs", "attempts", "suppressed"] {
                rows += try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY rowid").map { "\(table) \($0)" }
            }
            return rows
        }
    }

    static let good = """
        name,phone,day,time
        Ana,+1 415 555 2671,Friday,8pm
        Ben,(212) 555-0147,Saturday,
        "Okafor, Chi","+44 20 7946 0958",Sunday,6pm

        """

    @Test("a good file is imported; the results CSV keeps the original columns and order")
    func goodImport() async throws {
        let result = try await importing(Self.good)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("3 queued"))
        let prompts: [String] = try query("SELECT prompt FROM jobs ORDER BY id")
        #expect(
            prompts == [
                "Hi Ana, this is Luigi's about Friday at 8pm.", "Hi Ben, this is Luigi's about Saturday at 7pm.",
                "Hi Okafor, Chi, this is Luigi's about Sunday at 6pm.",
            ])
        let report = try await CampaignBinary.run(["report", "--csv", "results.csv"], in: folder.url)
        #expect(report.status == 0, "\(report.stderr)")
        let lines = try String(contentsOfFile: folder.path("results.csv"), encoding: .utf8)
            .components(separatedBy: "\r\n")
        #expect(lines[0] == "name,phone,day,time," + ResultsExporter.resultColumns.joined(separator: ","))
        #expect(lines[1] == "Ana,+1 415 555 2671,Friday,8pm,+14155552671,queued,,0,,,,,,")
        #expect(lines[3] == "\"Okafor, Chi\",\"+44 20 7946 0958\",Sunday,6pm,+442079460958,queued,,0,,,,,,")
    }

    @Test("the database the binary creates has exactly the tables and columns of schema.sql")
    func noSchemaDrift() async throws {
        #expect(try await importing(Self.good).status == 0)
        let schema = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("schema.sql"), encoding: .utf8)
        let reference = try DatabaseQueue()
        try await reference.write { try $0.execute(sql: schema) }
        func shape(_ db: Database) throws -> [String] {
            let tables = try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' "
                    + "AND name != 'grdb_migrations' ORDER BY name")
            var result: [String] = []
            for table in tables {
                result.append(table)
                result += try Row.fetchAll(db, sql: "PRAGMA table_xinfo(\(table.quotedDatabaseIdentifier))")
                    .map {
                        "\(table).\($0["name"] as String) \($0["type"] as String) notnull=\($0["notnull"] as Int) "
                            + "default=\(($0["dflt_value"] as String?) ?? "-") pk=\($0["pk"] as Int)"
                    }
            }
            return result
        }
        let created = try DatabaseQueue(path: folder.path("campaign.db"))
        let expected = try reference.read(shape)
        #expect(try created.read(shape) == expected)
        #expect(expected.contains { $0.hasPrefix("jobs.phone_e164 TEXT notnull=1") })
    }

    @Test("an unknown placeholder is refused before any row is read, naming it and the columns")
    func unknownPlaceholder() async throws {
        folder.write("prompt.txt", "Hello [name],\nsee you [dya].")
        let result = try await importing(Self.good)
        #expect(result.status == 65)
        #expect(result.stderr.contains("prompt.txt:2: placeholder [dya] matches no column"))
        #expect(result.stderr.contains("the columns are: name, phone, day, time"))
        #expect(!dbExists)
    }

    @Test("all-or-nothing: one bad row stores nothing, prints file:line: column, writes every reject")
    func allOrNothing() async throws {
        let csv = """
            name,phone,day,time
            Ana,+1 415 555 2671,Friday,8pm
            Ben,12345,Saturday,
            Cy,(212) 555-0147,,9pm
            Di,+1 646 555 0101,Monday,10am

            """
        let result = try await importing(csv)
        #expect(result.status == 65)
        #expect(result.stdout.contains("contacts.csv:3: phone: '12345' is"))
        #expect(result.stdout.contains("contacts.csv:4: day: empty, and the prompt uses [day]"))
        #expect(result.stdout.contains("nothing imported: 2 rows rejected"))
        #expect(!dbExists)
        let rejects = try String(contentsOfFile: folder.path("contacts.rejects.csv"), encoding: .utf8)
        let lines = rejects.split(separator: "\r\n")
        #expect(lines.count == 3)
        #expect(lines[0] == "line,problem,name,phone,day,time")
        #expect(lines[1].hasPrefix("3,phone: '12345' is") && lines[1].hasSuffix(",Ben,12345,Saturday,"))
        #expect(lines[2].hasPrefix("4,\"day: empty, and the prompt uses [day]"))
    }

    @Test("a refused import into an existing database leaves it exactly as it was")
    func refusedImportChangesNothing() async throws {
        #expect(try await importing(Self.good).status == 0)
        let before = try snapshot()
        let result = try await importing(
            "name,phone,day,time\nEve,+1 415 555 0111,Friday,8pm\nFay,not a number,Friday,8pm\n",
            ["--name", "contacts"],
            file: "more.csv")
        #expect(result.status == 65)
        #expect(try snapshot() == before)
    }

    @Test("--skip-invalid imports the good rows and still writes the rejects")
    func skipInvalid() async throws {
        let result = try await importing(
            "name,phone,day,time\nAna,+1 415 555 2671,Fri,\nBo,999,Fri,\n", ["--skip-invalid"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try query("SELECT phone_e164 FROM jobs") == ["+14155552671"])
        #expect(FileManager.default.fileExists(atPath: folder.path("contacts.rejects.csv")))
    }

    @Test("duplicates in other spellings are queued once and reported")
    func duplicates() async throws {
        let csv = "name,phone,day,time\nA,+1 415 555 2671,Fri,\nB,(415) 555-2671,Fri,\nC,415.555.2671,Fri,\n"
        let result = try await importing(csv)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("contacts.csv:3: +14155552671 is already on line 2; queued once"))
        #expect(result.stdout.contains("1 queued") && result.stdout.contains("2 duplicate in the file"))
        #expect(try query("SELECT count(*) FROM jobs") == [1])
    }

    @Test("importing again appends only new numbers")
    func reimport() async throws {
        #expect(try await importing(Self.good).status == 0)
        let again = try await importing(Self.good + "Dee,+1 646 555 0101,Monday,\n")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("1 queued") && again.stdout.contains("3 already in the campaign"))
        #expect(again.stdout.contains("already in campaign 'contacts' (contacts.csv line 2)"))
        #expect(try query("SELECT count(*) FROM jobs") == [4])
    }

    @Test("a suppression list keeps numbers from being queued, now and in later imports")
    func suppression() async throws {
        folder.write("dnc.csv", "+1 (212) 555-0147\n")
        let result = try await importing(Self.good, ["--suppress", "dnc.csv"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("2 queued, 1 suppressed"))
        #expect(try query("SELECT status FROM jobs WHERE phone_e164 = '+12125550147'") == ["suppressed"])
        let later = try await importing(
            "name,phone,day,time\nBen,212-555-0147,Friday,\n", ["--name", "other"], file: "b.csv")
        #expect(later.stdout.contains("0 queued, 1 suppressed"), "\(later.stdout)")
    }

    @Test("a suppression list with a bad number is refused, naming its line")
    func badSuppressionList() async throws {
        folder.write("dnc.csv", "phone\n+1 212 555 0147\nnope\n")
        let result = try await importing(Self.good, ["--suppress", "dnc.csv"])
        #expect(result.status == 65)
        #expect(result.stderr.contains("dnc.csv:3: 'nope' is not a phone number"))
        #expect(!dbExists)
    }

    @Test("--dry-run shows the first prompts and writes nothing")
    func dryRun() async throws {
        let result = try await importing(Self.good, ["--dry-run"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Hi Ana, this is Luigi's about Friday at 8pm."))
        #expect(result.stdout.contains("dry run, nothing written"))
        #expect(!dbExists)
        #expect(!FileManager.default.fileExists(atPath: folder.path("contacts.rejects.csv")))
    }

    @Test(
        "file-level faults are refused with their line and nothing is stored",
        arguments: [
            ("name,phone,day,time\nA,+14155552671,Fri,\nB,\"open,Fri,\n", "contacts.csv:3: a quoted field opens"),
            ("", "the file is empty"),
            ("name,phone,name\n", "names the column 'name' twice"),
            ("name,tel,day,time\nA,1,Fri,\n", "no phone column"),
        ])
    func fileFaults(csv: String, message: String) async throws {
        let result = try await importing(csv)
        #expect(result.status == 65)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!dbExists)
    }

    @Test("invalid UTF-8 is refused with its line")
    func invalidUTF8() async throws {
        folder.write(
            "latin1.csv",
            bytes: Array("name,phone,day,time\nA,+14155552671,Fri,\nJos".utf8) + [0xE9]
                + Array(",+12125550147,Fri,\n".utf8))
        let result = try await CampaignBinary.run(["import", "latin1.csv", "--prompt", "prompt.txt"], in: folder.url)
        #expect(result.status == 65)
        #expect(result.stderr.contains("latin1.csv:3: the file is not valid UTF-8"))
        #expect(!dbExists)
    }

    @Test("a ragged row is rejected with its line")
    func ragged() async throws {
        let result = try await importing("name,phone,day,time\nA,+14155552671,Fri\n")
        #expect(result.status == 65)
        #expect(result.stdout.contains("contacts.csv:2: the row has 3 fields but the header has 4"))
    }

    @Test("BOM, CRLF and quoted line breaks are read; the phone column can be named")
    func bomAndCRLF() async throws {
        folder.write(
            "excel.csv",
            bytes: [0xEF, 0xBB, 0xBF] + Array("name,mobile,day,time\r\n\"Ana\r\nLima\",+1 415 555 2671,Fri,\r\n".utf8))
        let result = try await CampaignBinary.run(
            ["import", "excel.csv", "--prompt", "prompt.txt", "--phone-column", "Mobile"], in: folder.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try query("SELECT prompt FROM jobs") == ["Hi Ana\r\nLima, this is Luigi's about Fri at 7pm."])
    }

    @Test(
        "per-row overrides are validated",
        arguments: [
            ("language", "xx-YY", "'xx-YY' is not a language"),
            ("voice", "robot", "'robot' is not a voice"),
            ("timezone", "Mars/Olympus", "'Mars/Olympus' is not an IANA time zone"),
            ("from", "12", "'12' is too short"),
            ("transfer_to", "+999 1", "'+999 1' is unknown country calling code"),
        ])
    func overrides(column: String, value: String, message: String) async throws {
        let result = try await importing("name,phone,day,time,\(column)\nA,+14155552671,Fri,,\(value)\n")
        #expect(result.status == 65)
        #expect(result.stdout.contains("contacts.csv:2: \(column): \(message)"), "\(result.stdout)")
    }

    @Test("valid overrides are stored normalised")
    func validOverrides() async throws {
        let result = try await importing(
            "name,phone,day,time,language,voice,timezone,from\nA,+14155552671,Fri,,es-es,Male,Europe/Madrid,(415) 555-0100\n"
        )
        #expect(result.status == 0, "\(result.stderr)")
        let row: [String] = try query(
            "SELECT language || ' ' || voice || ' ' || timezone || ' ' || from_number FROM jobs")
        #expect(row == ["es-ES male Europe/Madrid +14155550100"])
    }

    @Test("a value holding [brackets] is inserted as it is, never expanded again")
    func singlePass() async throws {
        #expect(try await importing("name,phone,day,time\n[day] [time],+14155552671,Fri,\n").status == 0)
        #expect(try query("SELECT prompt FROM jobs") == ["Hi [day] [time], this is Luigi's about Fri at 7pm."])
    }

    @Test("a second file with other columns is refused for the same campaign")
    func otherColumns() async throws {
        #expect(try await importing(Self.good).status == 0)
        let result = try await importing("name,phone,day\nA,+14155552671,Fri\n", ["--name", "contacts"], file: "b.csv")
        #expect(result.status == 65)
        #expect(result.stderr.contains("was imported with the columns name, phone, day, time"))
    }

    @Test("bad options are usage errors (exit 2)", arguments: [["--region", "XX"], ["--language", "klingon"]])
    func badOptions(options: [String]) async throws {
        let result = try await importing(Self.good, options)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(!dbExists)
    }

    @Test("a number outside Poku's destinations is imported with a warning")
    func unsupportedDestination() async throws {
        let result = try await importing("name,phone,day,time\nA,+81 3-1234-5678,Fri,\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout.contains(
                "warning: contacts.csv:2: +81312345678: +81 is not among Poku's supported destinations"))
    }

    /// A file large enough to take the bulk path: rollback journal, indexes dropped and rebuilt.
    func bulkFile(rows: Int, badLine: Int? = nil) -> String {
        var csv = "name,phone,day,time\n"
        for index in 0..<rows {
            let line = index + 2
            let phone =
                line == badLine ? "nope" : "+1 415 \(200 + index / 10000) \(String(format: "%04d", index % 10000))"
            csv += "Guest number \(index) with a longer name,\(phone),Friday,\n"
        }
        // The last row repeats the first number in another spelling.
        csv += "Again,(415) 200-0000,Friday,\n"
        return csv
    }

    @Test("a bulk import dedups, rebuilds the indexes, returns to WAL, and later imports dedup against it")
    func bulkImport() async throws {
        let result = try await importing(bulkFile(rows: 15_000))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("15000 queued") && result.stdout.contains("1 duplicate in the file"))
        #expect(try query("PRAGMA journal_mode") == ["wal"])
        let indexes: [String] = try query(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs' ORDER BY name")
        #expect(indexes == ["jobs_by_phone", "jobs_by_status"])
        let again = try await importing(
            "name,phone,day,time\nX,415-200-0001,Fri,\nY,+1 646 555 0101,Fri,\n", ["--name", "contacts"],
            file: "more.csv")
        #expect(
            again.stdout.contains("1 queued") && again.stdout.contains("1 already in the campaign"), "\(again.stdout)")
        #expect(again.stdout.contains("(contacts.csv line 3)"))
        #expect(try query("SELECT count(*) FROM jobs") == [15_001])
    }

    @Test("a refused bulk import leaves an existing database exactly as it was, indexes included")
    func refusedBulkImport() async throws {
        #expect(try await importing(Self.good).status == 0)
        let before = try snapshot()
        let schema: [String] = try query("SELECT name || coalesce(sql, '') FROM sqlite_master ORDER BY name")
        let result = try await importing(
            bulkFile(rows: 15_000, badLine: 9_000), ["--name", "contacts"], file: "big.csv")
        #expect(result.status == 65)
        #expect(result.stdout.contains("big.csv:9000: phone: 'nope' is not a phone number"))
        #expect(try snapshot() == before)
        #expect(try query("SELECT name || coalesce(sql, '') FROM sqlite_master ORDER BY name") == schema)
        #expect(try query("PRAGMA journal_mode") == ["wal"])
    }

    @Test("a campaign keeps its region: a later import without --region reads numbers the same way")
    func regionIsKept() async throws {
        let first = try await importing("name,phone,day,time\nA,020 7946 0958,Fri,\n", ["--region", "GB"])
        #expect(first.status == 0, "\(first.stderr)")
        let again = try await importing(
            "name,phone,day,time\nB,020 7946 0959,Fri,\n", ["--name", "contacts"], file: "more.csv")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try query("SELECT phone_e164 FROM jobs ORDER BY id") == ["+442079460958", "+442079460959"])
        let other = try await importing(
            "name,phone,day,time\nC,020 7946 0957,Fri,\n", ["--name", "contacts", "--region", "US"], file: "us.csv")
        #expect(other.status == 2)
        #expect(other.stderr.contains("has --region GB"))
    }
}
