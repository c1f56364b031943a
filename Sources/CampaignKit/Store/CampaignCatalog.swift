/// Finding a campaign by name.
public protocol CampaignCatalog: Sendable {
    /// The campaign called `name`, if there is one.
    func campaign(named name: String) async throws(StoreError) -> CampaignRecord?
    /// Names of all campaigns, oldest first.
    func campaignNames() async throws(StoreError) -> [String]
}

extension CampaignCatalog {
    /// The campaign called `name`, or the only campaign when `name` is nil.
    public func resolveCampaign(_ name: String?) async throws(StoreError) -> CampaignRecord {
        let names = try await campaignNames()
        if let name {
            guard let record = try await campaign(named: name) else {
                throw .campaignNotFound(name: name, available: names)
            }
            return record
        }
        guard names.count == 1, let record = try await campaign(named: names[0]) else {
            throw .campaignNotChosen(available: names)
        }
        return record
    }
}
