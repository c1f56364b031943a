import Foundation
import GRDB

@testable import CampaignKit

/// A real campaign database in a temporary directory, imported from a generated contacts file.
struct TestCampaign {
    let directory: URL
    let store: CampaignStore
    let campaign: CampaignRecord
    let phones: [String]

    /// UK drama numbers (+44 20 7946 0xxx): valid, and reserved so they ring nobody.
    static func phone(_ index: Int) -> String { "+4420794600" + String(format: "%02d", index) }

    init(contacts count: Int, timezone: String? = nil, suppressed: [Int] = []) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dispatch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let phones = (0..<count).map(Self.phone)
        var csv = "name,phone\n"
        for (index, phone) in phones.enumerated() { csv += "Guest \(index),\(phone)\n" }
        let contacts = directory.appendingPathComponent("guests.csv")
        try csv.write(to: contacts, atomically: true, encoding: .utf8)
        let prompt = directory.appendingPathComponent("prompt.txt")
        try "Call [name] about dinner.".write(to: prompt, atomically: true, encoding: .utf8)
        let dbPath = directory.appendingPathComponent("campaign.db").path
        store = try CampaignStore(path: dbPath)
        let report = try await ContactImporter(store: store).run(
            ImportRequest(
                contactsPath: contacts.path, promptPath: prompt.path, campaignName: "guests", region: "GB",
                defaults: CallOptions(timezone: timezone)))
        precondition(report.committed, "test import failed: \(report.problems)")
        campaign = try await store.resolveCampaign("guests")
        self.phones = phones
    }

    /// A second campaign in the same database, with the first `count` of the same numbers.
    func importAnother(named name: String, contacts count: Int) async throws -> CampaignRecord {
        var csv = "name,phone\n"
        for (index, phone) in phones.prefix(count).enumerated() { csv += "Guest \(index),\(phone)\n" }
        let contacts = directory.appendingPathComponent("\(name).csv")
        try csv.write(to: contacts, atomically: true, encoding: .utf8)
        let report = try await ContactImporter(store: store).run(
            ImportRequest(
                contactsPath: contacts.path, promptPath: directory.appendingPathComponent("prompt.txt").path,
                campaignName: name, region: "GB", defaults: CallOptions()))
        precondition(report.committed, "test import failed: \(report.problems)")
        return try await store.resolveCampaign(name)
    }

    func jobs() throws -> [JobSnapshot] { try store.jobSnapshots(campaign: campaign) }

    func job(_ phone: String) throws -> JobSnapshot { try jobs().first { $0.phone == phone }! }

    func dispatcher(
        client: FakeCallingClient, clock: TestClock, configuration: DispatchConfiguration,
        events: EventLog = EventLog(), random: @escaping @Sendable () -> Double = { 0.5 }
    ) -> Dispatcher {
        Dispatcher(
            store: store, campaign: campaign, client: client, configuration: configuration, clock: clock,
            random: random, onEvent: { events.append($0) })
    }
}

extension Date {
    /// `2026-03-08T05:00:00.000Z`-style literals for exact expectations.
    init(utc text: String) { self = Timestamp.date(text)! }
}

extension CampaignStore {
    /// Puts a number on the suppression list behind the importer's back, as another tool or an older
    /// version might, to prove the dispatcher checks the list itself.
    func addSuppressedForTest(_ phone: String, now: Date) throws {
        try write { db in
            try db.execute(
                sql: "INSERT INTO suppressed (phone_e164, source, added_at) VALUES (?, 'test', ?)",
                arguments: [phone, Timestamp.string(now)])
        }
    }
}
