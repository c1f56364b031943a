@testable import CampaignKit
import Foundation
import GRDB
import TestSupport
import Testing

/// `campaign report` and `campaign list` as the built binary, over a database whose results are set
/// directly, so every figure the report prints is known in advance.
@Suite("report, end to end")
struct ReportEndToEndTests {
    let folder = TemporaryFolder()

    static let contacts = """
        name,phone,day,note
        =HYPERLINK("http://evil.example"),+1 415 555 0101,Friday,window seat
        Ben,(212) 555-0147,Saturday,-rm -rf
        Chi,+1 646 555 0112,Sunday,"@SUM(A1:A2), please"
        Dee,+1 617 555 0134,Monday,+1 extra

        """

    init() async throws {
        folder.write("contacts.csv", Self.contacts)
        folder.write("prompt.txt", "Hi, about [day].")
        let result = try await CampaignBinary.run(["import", "contacts.csv", "--prompt", "prompt.txt"], in: folder.url)
        try #require(result.status == 0, "\(result.stdout)\(result.stderr)")
        // Job 1 answered after a 90 s call (2 started minutes), job 2 failed, job 3 unknown, job 4 waiting.
        let db = try DatabaseQueue(path: folder.path("campaign.db"))
        try await db.write { db in
            try db.execute(
                sql: """
                    UPDATE jobs SET status = 'completed', outcome = 'answered', attempts = 1, interaction_id = 'i-1',
                        summary = '=cmd|'' /C calc''!A0 confirmed', completed_at = '2026-11-24T16:01:30.000Z',
                        last_attempt_at = '2026-11-24T16:00:00.000Z' WHERE id = 1;
                    UPDATE jobs SET status = 'failed', outcome = 'no_answer', attempts = 3, error = 'attempts used up'
                        WHERE id = 2;
                    UPDATE jobs SET status = 'unknown', attempts = 1, review_reason = 'a call may have been placed'
                        WHERE id = 3;
                    UPDATE jobs SET status = 'queued', attempts = 1, next_attempt_at = '2999-01-01T00:00:00.000Z'
                        WHERE id = 4;
                    INSERT INTO attempts (job_id, attempt_number, state, started_at, ended_at, outcome)
                        VALUES (1, 1, 'ended', '2026-11-24T16:00:00.000Z', '2026-11-24T16:01:30.000Z', 'answered');
                    INSERT INTO attempts (job_id, attempt_number, state, started_at, ended_at, outcome)
                        VALUES (2, 1, 'ended', '2026-11-24T16:00:10.000Z', '2026-11-24T16:00:40.000Z', 'no_answer');
                    INSERT INTO attempts (job_id, attempt_number, state, started_at, ended_at)
                        VALUES (3, 1, 'unknown', '2026-11-24T16:00:20.000Z', '2026-11-24T16:00:21.000Z');
                    """)
        }
    }

    func report(_ arguments: [String]) async throws -> CampaignBinary.Output {
        try await CampaignBinary.run(["report"] + arguments, in: folder.url)
    }

    @Test("the summary shows counts, answer rate, what is scheduled, the unknown jobs and an estimated cost")
    func summaryText() async throws {
        let result = try await report([])
        #expect(result.status == 0, "\(result.stderr)")
        let text = result.stdout
        #expect(text.contains("campaign 'contacts': 4 jobs"))
        #expect(text.contains("completed") && text.contains("failed"))
        #expect(text.contains("answer rate      50%"))
        #expect(text.contains("attempts used    6"))
        #expect(text.contains("1 queued (1 waiting for a retry, a calling window or a per-number limit)"))
        #expect(text.contains("the next call is due in"))
        #expect(text.contains("NEEDS A DECISION: 1 unknown job"))
        #expect(text.contains("job 3  +16465550112  unknown"))
        #expect(text.contains("campaign resolve --db campaign.db --campaign contacts --requeue 3"))
        #expect(text.contains("--done 3"))
        #expect(text.contains("--all"))
        // 90 s and 30 s calls: 2 + 1 started minutes, 5 credits each, 2.5 cents a credit.
        #expect(text.contains("~15 credits (~$0.38) for 2 ended calls, 3 started minutes"))
        #expect(text.contains("ESTIMATE"))
    }

    @Test("--json has the counts as objects and says the cost is an estimate; --jobs adds every job")
    func jsonShape() async throws {
        let result = try await report(["--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let byStatus = try #require(object["by_status"] as? [String: Int])
        #expect(byStatus["completed"] == 1 && byStatus["unknown"] == 1 && byStatus["suppressed"] == 0)
        #expect(object["by_outcome"] as? [String: Int] == ["answered": 1, "no_answer": 1])
        #expect(object["answer_rate"] as? Double == 0.5)
        let cost = try #require(object["estimated_cost"] as? [String: Any])
        #expect(cost["credits"] as? Int == 15)
        #expect(cost["is_estimate"] as? Bool == true)
        let unknown = try #require(object["unknown"] as? [String: Any])
        #expect(unknown["total"] as? Int == 1)
        #expect(object["job_count"] as? Int == 4)
        #expect(object["jobs"] == nil)

        let full = try await report(["--json", "--jobs"])
        #expect(full.status == 0, "\(full.stderr)")
        let withJobs = try #require(
            try JSONSerialization.jsonObject(with: Data(full.stdout.utf8)) as? [String: Any])
        let jobs = try #require(withJobs["jobs"] as? [[String: Any]])
        #expect(jobs.count == 4)
        #expect(jobs[0]["phone_e164"] as? String == "+14155550101")
        #expect(jobs[0]["status"] as? String == "completed")
        #expect((jobs[2]["contact"] as? [String: String])?["note"] == "@SUM(A1:A2), please")
        #expect(withJobs["by_status"] is [String: Int])
    }

    @Test("--csv keeps the column contract; formula-like cells get a ' unless --raw; phone_e164 is plain")
    func csvContractAndSpreadsheetSafety() async throws {
        let safe = try await report(["--csv", "results.csv"])
        #expect(safe.status == 0, "\(safe.stderr)")
        let lines = try String(contentsOfFile: folder.path("results.csv"), encoding: .utf8)
            .components(separatedBy: "\r\n")
        #expect(lines.count == 6 && lines[5].isEmpty)
        #expect(lines[0] == "name,phone,day,note," + ResultsExporter.resultColumns.joined(separator: ","))
        // Contact values and the summary are neutralised; a plain phone number is not.
        #expect(
            lines[1] == #""'=HYPERLINK(""http://evil.example"")",+1 415 555 0101,Friday,window seat,+14155550101,"#
                + #"completed,answered,1,i-1,'=cmd|' /C calc'!A0 confirmed,,,2026-11-24T16:00:00.000Z,"#
                + "2026-11-24T16:01:30.000Z")
        #expect(
            lines[2] == "Ben,(212) 555-0147,Saturday,'-rm -rf,+12125550147,failed,no_answer,3,,,,attempts used up,,")
        #expect(lines[3].hasPrefix(#"Chi,+1 646 555 0112,Sunday,"'@SUM(A1:A2), please",+16465550112,unknown,"#))
        #expect(lines[4].hasPrefix("Dee,+1 617 555 0134,Monday,'+1 extra,+16175550134,queued,"))
        for line in lines.dropFirst().dropLast() {
            let fields = CSVReader.parseLine(line)
            #expect(fields.count == 14)
            #expect(fields[4].hasPrefix("+1"))
        }

        let raw = try await report(["--csv", "raw.csv", "--raw"])
        #expect(raw.status == 0, "\(raw.stderr)")
        let rawLines = try String(contentsOfFile: folder.path("raw.csv"), encoding: .utf8)
            .components(separatedBy: "\r\n")
        // --raw copies the contact's record exactly as the file had it.
        #expect(rawLines[1].hasPrefix(#"=HYPERLINK("http://evil.example"),+1 415 555 0101,"#))
        #expect(rawLines[1].contains(",=cmd|' /C calc'!A0 confirmed,"))
        #expect(rawLines[2].hasPrefix("Ben,(212) 555-0147,Saturday,-rm -rf,"))
    }

    @Test("--html writes one self-contained page with an SVG chart")
    func htmlSelfContained() async throws {
        let result = try await report(["--html", "report.html"])
        #expect(result.status == 0, "\(result.stderr)")
        let html = try String(contentsOfFile: folder.path("report.html"), encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<svg"))
        #expect(html.contains("<style>"))
        #expect(html.contains("estimate"))
        #expect(html.contains("Calls in flight over time"))
        let fetches = try Regex(#"(src|href)\s*=\s*["']?\s*(https?:|//)"#).ignoresCase()
        #expect(html.firstMatch(of: fetches) == nil)
        #expect(!html.contains("<script"))
        #expect(!html.contains("<link"))
        // Contact text is escaped, never markup.
        #expect(!html.contains("<HYPERLINK"))
    }

    @Test("--jobs without --json and --raw without --csv are bad usage (exit 2)")
    func badUsage() async throws {
        #expect(try await report(["--jobs"]).status == 2)
        #expect(try await report(["--raw"]).status == 2)
    }

    @Test("--campaign chooses among several; without it a database of several campaigns is refused")
    func campaignOption() async throws {
        folder.write("more.csv", "name,phone,day,note\nEve,+1 415 555 0199,Friday,\n")
        let imported = try await CampaignBinary.run(["import", "more.csv", "--prompt", "prompt.txt"], in: folder.url)
        #expect(imported.status == 0, "\(imported.stderr)")
        let ambiguous = try await report([])
        #expect(ambiguous.status == 1)
        #expect(ambiguous.stderr.contains("choose one with --campaign"))
        let chosen = try await report(["--campaign", "more"])
        #expect(chosen.status == 0)
        #expect(chosen.stdout.contains("campaign 'more': 1 job"))
    }
}

/// `campaign list`.
@Suite("list, end to end")
struct ListCommandTests {
    let folder = TemporaryFolder()

    @Test("lists every campaign with its progress")
    func listsCampaigns() async throws {
        folder.write("prompt.txt", "Hi [name].")
        folder.write("a.csv", "name,phone\nAna,+1 415 555 0101\nBen,+1 415 555 0102\n")
        folder.write("b.csv", "name,phone\nCy,+1 415 555 0103\n")
        for file in ["a.csv", "b.csv"] {
            let result = try await CampaignBinary.run(["import", file, "--prompt", "prompt.txt"], in: folder.url)
            #expect(result.status == 0, "\(result.stderr)")
        }
        let db = try DatabaseQueue(path: folder.path("campaign.db"))
        try await db.write { try $0.execute(sql: "UPDATE jobs SET status = 'completed' WHERE id = 1") }
        let result = try await CampaignBinary.run(["list"], in: folder.url)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("campaign  jobs  done  queued  in flight  completed  failed  unknown"))
        #expect(lines[1].split(separator: " ").prefix(4) == ["a", "2", "50%", "1"])
        #expect(lines[2].split(separator: " ").prefix(4) == ["b", "1", "0%", "1"])
    }

    @Test("a missing database is an error, not a new empty file")
    func missingDatabase() async throws {
        let result = try await CampaignBinary.run(["list", "--db", "nope.db"], in: folder.url)
        #expect(result.status == 1)
        #expect(!FileManager.default.fileExists(atPath: folder.path("nope.db")))
    }
}
