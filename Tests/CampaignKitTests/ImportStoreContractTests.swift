import Foundation
import TestSupport
import Testing

@testable import CampaignKit

/// What `ImportStore` promises, through `ContactImporter`, on every backend (`TestBackend.all`): duplicates found
/// in the file and across imports, all-or-nothing, --skip-invalid, dry runs, the do-not-call list first, values
/// kept byte for byte. The SQLite-only bulk-path checks (pragmas, dropped indexes) stay in `BulkImportTests`.
@Suite("import store contract, on every backend")
struct ImportStoreContractTests {
    let folder = TemporaryFolder()

    init() {
        folder.write("prompt.txt", "Hi [name], about [day].")
    }

    func request(_ file: String, dryRun: Bool = false, skipInvalid: Bool = false, suppress: [String] = [])
        -> ImportRequest
    {
        ImportRequest(
            contactsPath: folder.path(file), promptPath: folder.path("prompt.txt"), campaignName: "spring",
            suppressPaths: suppress.map(folder.path), skipInvalid: skipInvalid, dryRun: dryRun)
    }

    func importing(_ request: ImportRequest, into db: String) async throws -> ImportReport {
        try await CampaignDatabases.with(db, mustExist: false) { store in
            try await Self.run(request, store)
        }
    }

    static func run(_ request: ImportRequest, _ store: some ImportStore) async throws -> ImportReport {
        try await ContactImporter(store: store).run(request)
    }

    /// Every job of the campaign as (line, phone, status, row), in import order; nil when there is no campaign.
    func jobs(in db: String) async throws -> [String]? {
        try await CampaignDatabases.with(db) { store in
            guard let campaign = try await store.campaign(named: "spring") else { return nil }
            return try await Self.jobs(store, campaign)
        }
    }

    static func jobs(_ store: some ReportStore, _ campaign: CampaignRecord) async throws -> [String] {
        try await store.readReport(campaign: campaign) { report in
            var rows: [String] = []
            try await report.forEachJob { rows.append("\($0.sourceLine) \($0.phoneE164) \($0.status) \($0.rowCSV)") }
            return rows
        }
    }

    @Test("a number twice in the file, and again in a second import, is queued once", arguments: TestBackend.all)
    func duplicates(backend: TestBackend) async throws {
        try await backend.withFreshDatabase(in: folder) { db in
            folder.write(
                "a.csv", "name,phone,day\nAna,+14155552671,Fri\nBen,+12125550147,Sat\nAna2,+1 415 555 2671,Sun\n")
            let first = try await importing(request("a.csv"), into: db)
            #expect(first.committed && first.queued == 2 && first.duplicatesInFile == 1)
            #expect(first.duplicates.first?.message == "+14155552671 is already on line 2; queued once")
            folder.write("b.csv", "name,phone,day\nCy,+12125550147,Mon\nDee,+13105550100,Tue\n")
            let second = try await importing(request("b.csv"), into: db)
            #expect(second.committed && second.queued == 1 && second.alreadyInCampaign == 1)
            #expect(second.duplicates.first?.message.contains("(\(folder.path("a.csv")) line 3)") == true)
            #expect(
                try await jobs(in: db) == [
                    "2 +14155552671 queued Ana,+14155552671,Fri", "3 +12125550147 queued Ben,+12125550147,Sat",
                    "3 +13105550100 queued Dee,+13105550100,Tue",
                ])
        }
    }

    @Test("a file with a bad row imports nothing: no campaign, no import, no job", arguments: TestBackend.all)
    func allOrNothing(backend: TestBackend) async throws {
        try await backend.withFreshDatabase(in: folder) { db in
            folder.write("bad.csv", "name,phone,day\nAna,+14155552671,Fri\nBen,not a number,Sat\n")
            let report = try await importing(request("bad.csv"), into: db)
            #expect(!report.committed && report.rejected == 1)
            #expect(try await jobs(in: db) == nil)
            let names = try await CampaignDatabases.with(db) { try await $0.campaignNames() }
            #expect(names.isEmpty)
            // Into an existing campaign: its jobs stay exactly as they were.
            folder.write("good.csv", "name,phone,day\nCy,+12125550147,Mon\n")
            _ = try await importing(request("good.csv"), into: db)
            let before = try await jobs(in: db)
            let again = try await importing(request("bad.csv"), into: db)
            #expect(!again.committed)
            #expect(try await jobs(in: db) == before)
        }
    }

    @Test("--skip-invalid imports the valid rows; a dry run stores nothing", arguments: TestBackend.all)
    func skipInvalidAndDryRun(backend: TestBackend) async throws {
        try await backend.withFreshDatabase(in: folder) { db in
            folder.write("mixed.csv", "name,phone,day\nAna,+14155552671,Fri\nBen,not a number,Sat\n")
            let dry = try await importing(request("mixed.csv", dryRun: true, skipInvalid: true), into: db)
            #expect(!dry.committed && dry.queued == 1)
            #expect(try await jobs(in: db) == nil)
            let real = try await importing(request("mixed.csv", skipInvalid: true), into: db)
            #expect(real.committed && real.queued == 1 && real.rejected == 1)
            #expect(try await jobs(in: db) == ["2 +14155552671 queued Ana,+14155552671,Fri"])
        }
    }

    @Test(
        "the do-not-call list is kept even when the import is refused, and suppresses later rows",
        arguments: TestBackend.all)
    func suppressionFirst(backend: TestBackend) async throws {
        try await backend.withFreshDatabase(in: folder) { db in
            folder.write("dnc.csv", "phone\n+14155552671\n+12125550147\n")
            folder.write("bad.csv", "name,phone,day\nAna,+14155552671,Fri\nBen,nope,Sat\n")
            let refused = try await importing(request("bad.csv", suppress: ["dnc.csv"]), into: db)
            #expect(!refused.committed && refused.suppressionSaved && refused.suppression?.added == 2)
            let listed = try await CampaignDatabases.with(db) { try await $0.suppressedNumbers() }
            #expect(listed.map(\.phoneE164).sorted() == ["+12125550147", "+14155552671"])
            folder.write("good.csv", "name,phone,day\nAna,+14155552671,Fri\nCy,+13105550100,Mon\n")
            let report = try await importing(request("good.csv"), into: db)
            #expect(report.committed && report.queued == 1 && report.suppressed == 1)
            #expect(
                try await jobs(in: db) == [
                    "2 +14155552671 suppressed Ana,+14155552671,Fri", "3 +13105550100 queued Cy,+13105550100,Mon",
                ])
            // Adding a number later suppresses its queued job, in every campaign.
            let added = try await CampaignDatabases.with(db) { store in
                try await store.addSuppressed([(source: "later", numbers: ["+13105550100"])], now: Date())
            }
            #expect(added == SuppressionResult(added: 1, alreadyListed: 0, jobsSuppressed: 1))
            let order = try await CampaignDatabases.with(db) { try await $0.suppressedNumbers() }
            #expect(order.last?.phoneE164 == "+13105550100", "in the order added")
        }
    }

    @Test("tabs, newlines, backslashes and quotes in values are kept byte for byte", arguments: TestBackend.all)
    func valuesKept(backend: TestBackend) async throws {
        try await backend.withFreshDatabase(in: folder) { db in
            folder.write(
                "odd.csv", "name,phone,day\n\"A\\\\N\tb\",+14155552671,\"two\nlines\"\n\"\\N\",+12125550147,\"\\\\\"\n")
            let report = try await importing(request("odd.csv"), into: db)
            #expect(report.committed && report.queued == 2, "\(report.problems)")
            let rows = try await CampaignDatabases.with(db) { store in
                let campaign = try await store.resolveCampaign("spring")
                return try await store.readReport(campaign: campaign) { report in
                    var rows: [JobRecord] = []
                    try await report.forEachJob { rows.append($0) }
                    return rows
                }
            }
            #expect(
                rows.map { CSVReader.parseLine($0.rowCSV) } == [
                    ["A\\\\N\tb", "+14155552671", "two\nlines"], ["\\N", "+12125550147", "\\\\"],
                ])
        }
    }

    @Test("a large import (12,000 rows, every tenth suppressed) stores every job once", arguments: TestBackend.all)
    func bulk(backend: TestBackend) async throws {
        try await backend.withFreshDatabase(in: folder) { db in
            folder.writeBulkContacts("big.csv", suppressed: "dnc.csv")
            let report = try await importing(request("big.csv", suppress: ["dnc.csv"]), into: db)
            #expect(report.committed && report.queued == 10_800 && report.suppressed == 1_200)
            let progress = try await CampaignDatabases.with(db) { try await $0.campaignProgress() }
            #expect(progress.map(\.counts) == [JobCounts(byStatus: [.queued: 10_800, .suppressed: 1_200])])
            let lines = try #require(try await jobs(in: db)).map { Int($0.split(separator: " ")[0])! }
            #expect(lines == Array(2...12_001), "every row once, in file order")
        }
    }
}
