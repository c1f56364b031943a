import Foundation

/// What `campaign run` and `campaign resolve` need of a database they hold as its only run: the dispatch
/// operations, resolving, and the zones of the queued jobs a run with `--window` checks before it starts.
public protocol RunnableStore: DispatchStore, ResolveStore {
    /// What `--db` named, as messages show it (a password never appears).
    var displayName: String { get }
    /// How many queued jobs of the campaign name each time zone (the row's, else the campaign's).
    func queuedZones(campaign: CampaignRecord) async throws(StoreError) -> QueuedZones
    /// Several runners (PostgreSQL): joins the campaign as one of its runners, with the limits it shares with the
    /// others (read, or set by this run's flags); nil for a lone run (SQLite), whose flags are its limits.
    func joinAsRunner(campaign: CampaignRecord, now: Date) async throws(StoreError) -> SharedLimits?
}

extension CampaignStore: RunnableStore {
    public func joinAsRunner(campaign: CampaignRecord, now: Date) async throws(StoreError) -> SharedLimits? { nil }
}

/// A campaign's limits across all its runners, as a runner joining it found or set them.
public struct SharedLimits: Sendable, Equatable {
    /// This runner's id (`runners.id`).
    public var runner: Int64
    public var maxParallel: Int
    /// At least this long between two call starts, across runners; nil: no rate.
    public var rateInterval: TimeInterval?
}
