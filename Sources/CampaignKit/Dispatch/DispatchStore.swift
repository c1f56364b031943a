import Foundation

/// What `campaign run` needs from a database, in the dispatcher's words: the one seam a second database
/// (PostgreSQL) implements, so the dispatcher and its tests do not depend on SQLite.
///
/// Every write about an attempt after its intent is a compare-and-set on the job's status, its attempt count
/// and its latest attempt (`GuardedWrite.stale` when the job changed under the writer); see
/// docs/ARCHITECTURE.md, "Never twice".
public protocol DispatchStore: CampaignCatalog {
    /// Brings the campaign back to a state a run can start from: jobs left `dialing` become `unknown`,
    /// `in_progress` calls placed through `api` are returned to be followed (never redialled).
    func recoverAtStart(campaign: CampaignRecord, api: String?, now: Date) async throws(StoreError) -> Recovery

    /// In one transaction: records `results` first, then takes up to `limit` due jobs and commits the intent
    /// to call each (an attempt in `dialing`). A job `admission` keeps outside its calling window, or that
    /// `pressure` says was called too often or too recently, stays queued until the date given.
    func claimDueJobs(
        campaign: CampaignRecord, api: String?, now: Date, limit: Int, admission: (any ClaimAdmission)?,
        pressure: ContactPressure?, recordingFirst results: [AttemptResult]
    ) async throws(StoreError) -> Claim

    /// The POST answered with an interactionId: the job is `in_progress`, followed by that id.
    func recordPlaced(_ intent: AttemptIntent, interactionID: String, rawJSON: String?, now: Date)
        async throws(StoreError) -> GuardedWrite

    /// Records results of attempts in one commit.
    func record(_ results: [AttemptResult]) async throws(StoreError) -> [GuardedWrite]

    /// The campaign's jobs by status.
    func jobCounts(campaign: CampaignRecord) async throws(StoreError) -> JobCounts

    /// Readies the store for per-number limits (`--max-calls-per-number`, `--min-gap`): their claims look a
    /// number up across campaigns.
    func indexNumbersAcrossCampaigns() async throws(StoreError)

    /// Whether this run may send a POST for a job it claimed: false once a runner among several no longer knows
    /// its lease to be held (the POST is not sent and the intent is undone). Always true for a lone run.
    var mayPlaceCalls: Bool { get }

    /// Several runners: tells the others what this run learnt about the API (a breaker opened, the key or the
    /// credits refused), so they act on it too. Best effort: a lone run has no one to tell.
    func share(_ news: SharedHealth, campaign: CampaignRecord) async

    /// Several runners: a wake-up each time another runner or verb says something this run may wait for happened
    /// (the campaign's last call ended, calls to adopt, jobs queued), so it claims at once instead of at its next
    /// re-check. nil for a lone run.
    func nudges() -> AsyncStream<Void>?
}

/// What one runner of a campaign tells the others about the API.
public enum SharedHealth: Sendable, Equatable {
    /// A 429 or 503 with Retry-After, the API unreachable, or consecutive failures that opened the circuit
    /// breaker: no runner starts a call before `until`.
    case pause(until: Date, reason: String)
    /// A 401 or 402: every runner stops, saying why.
    case halted(reason: String)
}

extension DispatchStore {
    public var mayPlaceCalls: Bool { true }
    public func share(_ news: SharedHealth, campaign: CampaignRecord) async {}
    public func nudges() -> AsyncStream<Void>? { nil }
}

extension CampaignStore: DispatchStore {}
