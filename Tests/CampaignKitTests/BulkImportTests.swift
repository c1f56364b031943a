import Foundation
import GRDB
import TestSupport
import Testing

@testable import CampaignKit

/// A bulk import relaxes what SQLite checks per row (foreign keys, the CHECK on jobs.status) for
/// the rows it writes itself; these tests hold it to writing only what those checks allow, and to
/// leaving the checks on for everything after it.
@Suite("bulk import, in the library")
struct BulkImportTests {
    let folder = TemporaryFolder()

    /// Enough rows (over 640 KB) to take the bulk path; every tenth number is on the suppression list.
    func importBulk(into store: CampaignStore) async throws -> ImportReport {
        folder.writeBulkContacts("contacts.csv", suppressed: "dnc.csv")
        folder.write("prompt.txt", "Hi [name], about [day].")
        return try await ContactImporter(store: store).run(
            ImportRequest(
                contactsPath: folder.path("contacts.csv"), promptPath: folder.path("prompt.txt"),
                campaignName: "bulk", suppressPaths: [folder.path("dnc.csv")]))
    }

    @Test("jobs get only statuses the CHECK allows, and point at their campaign and import")
    func validRows() async throws {
        let store = try CampaignStore(path: folder.path("campaign.db"))
        let report = try await importBulk(into: store)
        #expect(report.committed && report.queued == 10_800 && report.suppressed == 1_200)
        let (statuses, orphans, violations) = try store.read { db in
            (
                try String.fetchAll(db, sql: "SELECT DISTINCT status FROM jobs ORDER BY status"),
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT count(*) FROM jobs WHERE campaign_id NOT IN (SELECT id FROM campaigns)
                            OR import_id NOT IN (SELECT id FROM imports WHERE campaign_id = jobs.campaign_id)
                        """),
                try Row.fetchAll(db, sql: "PRAGMA foreign_key_check")
            )
        }
        #expect(statuses == ["queued", "suppressed"])
        #expect(orphans == 0)
        #expect(violations.isEmpty)
    }

    @Test("after a bulk import the same connection checks foreign keys and the status CHECK again")
    func checksAreBack() async throws {
        let store = try CampaignStore(path: folder.path("campaign.db"))
        _ = try await importBulk(into: store)
        let flags = try store.read { db in
            [
                try Int.fetchOne(db, sql: "PRAGMA foreign_keys"),
                try Int.fetchOne(db, sql: "PRAGMA ignore_check_constraints"),
            ]
        }
        #expect(flags == [1, 0])
        #expect(throws: StoreError.self) {
            try store.write { db in try db.execute(sql: "UPDATE jobs SET status = 'bogus' WHERE id = 1") }
        }
        #expect(throws: StoreError.self) {
            try store.write { db in try db.execute(sql: "UPDATE jobs SET import_id = 99 WHERE id = 1") }
        }
    }
}

extension TemporaryFolder {
    /// 12,000 contacts (over 640 KB: an import takes the bulk path) written as `contacts`, with every tenth number
    /// on the suppression list written as `suppressed`: 10,800 jobs to queue and 1,200 suppressed.
    func writeBulkContacts(_ contacts: String, suppressed: String) {
        var csv = "name,phone,day\n"
        var listed = "phone\n"
        for index in 0..<12_000 {
            let phone = "+1 415 \(200 + index / 10000) \(String(format: "%04d", index % 10000))"
            csv += "Guest number \(index) with a name long enough to make the file large,\(phone),Friday\n"
            if index % 10 == 0 { listed += phone + "\n" }
        }
        write(contacts, csv)
        write(suppressed, listed)
    }
}
