/// `campaign run` and `resolve` on PostgreSQL: the dispatch and resolve operations, and the zones a run with
/// `--window` checks (`queuedZones`, in `PostgresStore+Zones.swift`).
extension PostgresStore: RunnableStore {}

/// Every verb on PostgreSQL.
extension PostgresStore: CampaignDatabase {}
