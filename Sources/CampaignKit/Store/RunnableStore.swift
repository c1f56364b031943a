/// What `campaign run` and `campaign resolve` need of a database they hold as its only run: the dispatch
/// operations, resolving, and the zones of the queued jobs a run with `--window` checks before it starts.
public protocol RunnableStore: DispatchStore, ResolveStore {
    /// What `--db` named, as messages show it (a password never appears).
    var displayName: String { get }
    /// How many queued jobs of the campaign name each time zone (the row's, else the campaign's).
    func queuedZones(campaign: CampaignRecord) async throws(StoreError) -> QueuedZones
}

extension CampaignStore: RunnableStore {}
