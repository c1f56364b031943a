import Foundation
import TestSupport
import Testing

/// `import`, `report`, `list`, `plan` and `suppress` on PostgreSQL, run as the built binary: the same outputs as on
/// SQLite for the same input (timestamps and the database's name aside), two imports into one campaign at once,
/// and a refused import that changes nothing.
@Suite(
    "import and report on PostgreSQL, end to end",
    .enabled(
        if: TestPostgres.isAvailable,
        "CAMPAIGN_TEST_POSTGRES is unset: PostgreSQL test skipped (scripts/test-postgres.sh)"))
struct PostgresImportReportEndToEndTests {
    let folder = TemporaryFolder()

    init() {
        folder.write("prompt.txt", "Hi [name], this is Luigi's about [day] at [time|7pm].")
        folder.write(
            "contacts.csv",
            """
            name,phone,day,time,timezone
            Ana,+1 415 555 2671,Friday,8pm,America/Los_Angeles
            Ben,(212) 555-0147,Saturday,,America/New_York
            "Okafor, Chi","+44 20 7946 0958","Sunday
            late",6pm,Europe/London
            =cmd,+1 310 555 0100,"tab\there",,America/Los_Angeles
            Dee,+1 212 555 0199,Monday,9am,

            """)
    }

    func run(_ arguments: [String]) async throws -> CampaignBinary.Output {
        try await CampaignBinary.run(arguments, in: folder.url)
    }

    /// What each verb printed or wrote, with the database's name and every timestamp replaced.
    func outputs(db: String, tag: String) async throws -> [String: String] {
        var seen: [String: String] = [:]
        func keep(_ name: String, _ output: CampaignBinary.Output) {
            #expect(output.status == 0, "\(tag) \(name): \(output.stderr)")
            seen[name] = output.stdout + "\n--stderr--\n" + output.stderr
        }
        keep("suppress", try await run(["suppress", "--db", db, "+1 212 555 0199", "--reason", "asked"]))
        keep(
            "import",
            try await run(["import", "contacts.csv", "--prompt", "prompt.txt", "--db", db, "--name", "spring"]))
        keep(
            "import again",
            try await run(["import", "contacts.csv", "--prompt", "prompt.txt", "--db", db, "--name", "spring"]))
        keep("dry run", try await run(["import", "contacts.csv", "--prompt", "prompt.txt", "--db", db, "--dry-run"]))
        keep("list", try await run(["list", "--db", db]))
        keep("report", try await run(["report", "--db", db, "--csv", "\(tag).csv", "--html", "\(tag).html"]))
        keep("report json", try await run(["report", "--db", db, "--json", "--jobs"]))
        keep("plan", try await run(["plan", "--db", db, "--window", "Mon-Sun 00:00-23:59"]))
        keep("plan json", try await run(["plan", "--db", db, "--json"]))
        keep("suppress list", try await run(["suppress", "--db", db, "--list"]))
        seen["results.csv"] = try String(contentsOfFile: folder.path("\(tag).csv"), encoding: .utf8)
        seen["report.html"] = try String(contentsOfFile: folder.path("\(tag).html"), encoding: .utf8)
        let time = try Regex(#"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?Z?"#)
        return seen.mapValues {
            $0.replacingOccurrences(of: "'\(db)'", with: "DB").replacingOccurrences(of: db, with: "DB")
                .replacingOccurrences(of: "\(tag).csv", with: "OUT.csv")
                .replacingOccurrences(of: "\(tag).html", with: "OUT.html").replacing(time, with: "TIME")
        }
    }

    @Test("import, report (CSV, JSON, HTML), list, plan and suppress print and write the same as on SQLite")
    func sameAsSQLite() async throws {
        let sqlite = try await outputs(db: folder.path("campaign.db"), tag: "sqlite")
        try await PostgresTestDatabase.withFresh { database in
            let postgres = try await outputs(db: database.url, tag: "postgres")
            #expect(postgres.keys.sorted() == sqlite.keys.sorted())
            for (name, text) in sqlite.sorted(by: { $0.key < $1.key }) {
                if postgres[name] != text {
                    Issue.record("\(name) differs:\nSQLite:\n\(text)\nPostgreSQL:\n\(postgres[name] ?? "")")
                }
            }
            #expect(postgres["import"]?.contains("4 queued, 1 suppressed") == true, "\(postgres["import"] ?? "")")
        }
    }

    /// Rows of every table, to prove a refused import changed nothing.
    static func tableRows(_ database: PostgresTestDatabase) async throws -> [String?] {
        var rows: [String?] = []
        for table in ["campaigns", "imports", "jobs", "attempts", "suppressed"] {
            rows += try await database.strings("SELECT '\(table) ' || t::text FROM \(table) t ORDER BY 1")
        }
        return rows
    }

    @Test("a refused import (a bad row, a bad prompt, a rejected header) changes nothing on PostgreSQL")
    func refusedChangesNothing() async throws {
        try await PostgresTestDatabase.withFresh { database in
            let first = try await run(["import", "contacts.csv", "--prompt", "prompt.txt", "--db", database.url])
            #expect(first.status == 0, "\(first.stderr)")
            let before = try await Self.tableRows(database)
            #expect(before.count > 5)
            folder.write("bad.csv", "name,phone,day,time,timezone\nEd,+1 415 555 0111,Friday,,\nFay,nope,Friday,,\n")
            let refused = try await run([
                "import", "bad.csv", "--prompt", "prompt.txt", "--db", database.url, "--name", "contacts",
            ])
            #expect(refused.status == 65)
            #expect(refused.stdout.contains("nothing imported"))
            folder.write("other.csv", "name,mobile\nEd,+1 415 555 0111\n")
            let header = try await run([
                "import", "other.csv", "--prompt", "prompt.txt", "--db", database.url, "--name", "contacts",
            ])
            #expect(header.status != 0)
            #expect(try await Self.tableRows(database) == before)
        }
    }

    @Test("two imports into one campaign at once both succeed, one after the other, each number queued once")
    func concurrentImports() async throws {
        var first = "name,phone,day\n"
        var second = "name,phone,day\n"
        for index in 0..<20_000 {
            first += "A\(index),+1 415 \(300 + index / 10000) \(String(format: "%04d", index % 10000)),Friday\n"
            second += "B\(index),+1 415 \(301 + index / 10000) \(String(format: "%04d", index % 10000)),Friday\n"
        }
        folder.write("first.csv", first)
        folder.write("second.csv", second)
        folder.write("short.txt", "Hi [name], about [day].")
        try await PostgresTestDatabase.withFresh { database in
            // The campaign first: a new campaign's name alone makes a second import wait (on the unique name), and
            // the test is of the lock that orders imports into an existing campaign.
            folder.write("seed.csv", "name,phone,day\nSeed,+1 212 555 0147,Friday\n")
            let seed = try await run([
                "import", "seed.csv", "--prompt", "short.txt", "--db", database.url, "--name", "shared",
            ])
            #expect(seed.status == 0, "\(seed.stderr)")
            let runs = try ["first.csv", "second.csv"].map {
                try CampaignBinary.start(
                    ["import", $0, "--prompt", "short.txt", "--db", database.url, "--name", "shared"], in: folder.url)
            }
            var outputs: [CampaignBinary.Output] = []
            for running in runs { outputs.append(await running.exit()) }
            for output in outputs { #expect(output.status == 0, "\(output.stderr)") }
            // 10,000 numbers are in both files: whichever came second found them already in the campaign.
            let queued = outputs.compactMap { $0.stdout.firstMatch(of: /(\d+) queued/).map { Int($0.1)! } }
            let already = outputs.compactMap {
                $0.stdout.firstMatch(of: /(\d+) already in the campaign/).map { Int($0.1)! }
            }
            #expect(queued.sorted() == [10_000, 20_000])
            #expect(already.sorted() == [0, 10_000])
            let jobs = try await database.strings("SELECT COUNT(*)::text FROM jobs")
            #expect(jobs == ["30001"])
            let imports = try await database.strings("SELECT COUNT(*)::text FROM imports")
            #expect(imports == ["3"])
        }
    }
}
