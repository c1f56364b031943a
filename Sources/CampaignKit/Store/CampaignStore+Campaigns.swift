import GRDB

/// A stored campaign.
public struct CampaignRecord: Sendable, Equatable {
    var id: Int64
    public var name: String
    var template: String
    var columns: [String]
    var phoneColumn: String
    var region: String
    var defaults: CallOptions
}

/// Finding a campaign by name.
extension CampaignStore: CampaignCatalog {
    /// The campaign called `name`, if there is one.
    public func campaign(named name: String) throws(StoreError) -> CampaignRecord? {
        try read { db in try Self.fetchCampaign(db, name: name) }
    }

    /// Names of all campaigns, oldest first.
    public func campaignNames() throws(StoreError) -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT name FROM campaigns ORDER BY id") }
    }

    static func fetchCampaign(_ db: Database, name: String) throws -> CampaignRecord? {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT id, name, template, columns, phone_column, region, language, voice, from_number,
                        transfer_to, timezone FROM campaigns WHERE name = ?
                    """, arguments: [name])
        else { return nil }
        return CampaignRecord(
            id: row[0], name: row[1], template: row[2], columns: CSVReader.parseLine(row[3]), phoneColumn: row[4],
            region: row[5],
            defaults: CallOptions(language: row[6], voice: row[7], from: row[8], transferTo: row[9], timezone: row[10]))
    }
}
