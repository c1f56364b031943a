import Foundation

/// What `campaign report`, `list` and `plan` read from a database.
public protocol ReportStore: CampaignCatalog {
    associatedtype Snapshot: ReportReading

    /// Runs `body` on one moment of `campaign`: every figure it reads (summary, results CSV, timeline, jobs)
    /// is of the same moment, even while a run commits. What `body` throws is thrown as it is.
    func readReport<T>(campaign: CampaignRecord, _ body: (Snapshot) async throws -> T) async throws -> T

    /// Every campaign with its creation time and its jobs by status, oldest first, of one moment.
    func campaignProgress() async throws(StoreError) -> [CampaignProgress]

    /// How many queued jobs of the campaign name each time zone (the row's, else the campaign's).
    func queuedZones(campaign: CampaignRecord) async throws(StoreError) -> QueuedZones

    /// Every queued job of the campaign, the campaign's suppressed jobs, and the call starts of every number
    /// since `since` in every campaign, of one moment (for `campaign plan`).
    func planInputs(campaign: CampaignRecord, startsSince since: Date?) async throws(StoreError) -> PlanInputs
}
