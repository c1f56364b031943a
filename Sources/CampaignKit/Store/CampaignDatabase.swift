/// A campaign database as every verb sees it: the embedded SQLite file (`CampaignStore`) or a PostgreSQL
/// server. Each stage asks it for operations in its own words (`DispatchStore` for `run`, `ImportStore`,
/// `ReportStore`, `ResolveStore`), so the commands, the dispatcher and the tests of those contracts do not
/// depend on one database's types. Requirements are `async`: a server answers over the network; SQLite's
/// synchronous methods satisfy them as they are.
public protocol CampaignDatabase: DispatchStore, ImportStore, ReportStore, ResolveStore {
    /// What `--db` named, as messages show it (a password never appears).
    var displayName: String { get }
}

extension CampaignStore: CampaignDatabase {
    public var displayName: String { path }
}
