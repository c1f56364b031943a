import Foundation

/// A campaign at a glance: what `campaign report` prints and `--json` encodes.
public struct CampaignSummary: Sendable, Equatable, Codable {
    var campaign: String
    var generatedAt: String
    var jobCount: Int
    /// Jobs by status; every status of the schema is present, zero or not, so scripts need no defaults.
    var byStatus: [String: Int]
    /// Jobs by their last call's outcome label (jobs not yet called are not counted).
    var byOutcome: [String: Int]
    var attempts: AttemptTotals
    /// Contacts answered by a person, over contacts whose calls produced an outcome; nil before any outcome.
    var answerRate: Double?
    var scheduled: Scheduled
    var unknown: ReviewList
    var review: ReviewList
    var estimatedCost: CreditEstimate
    /// PostgreSQL: the runners working the campaign at the moment of the report; absent when there are none.
    var runners: [LiveRunner]?

    /// Calls still to be placed.
    struct Scheduled: Sendable, Equatable, Codable {
        /// Jobs in `queued`.
        var queued: Int
        /// Of those, the ones waiting for a retry time, a calling window or a per-number limit.
        var waiting: Int
        /// Of those, the ones a per-number limit holds back, and when the first may be called.
        var waitingForCap: Int = 0
        var capAllowsAt: String?
        /// Calls in flight (`dialing` or `in_progress`).
        var inFlight: Int
        /// When the next queued call is due; nil when nothing is queued. A past time means "due now".
        var nextDueAt: String?
    }

    /// Jobs needing a person, the first `limit` of them listed.
    struct ReviewList: Sendable, Equatable, Codable {
        var total: Int
        var jobs: [ReviewJob]
    }

    static let statuses = [
        "queued", "dialing", "in_progress", "completed", "failed", "unknown", "cancelled", "suppressed",
    ]

    /// Reads the summary from the store, in one read transaction. `limit` caps the jobs listed as needing review.
    public init(store: some ReportStore, campaign: CampaignRecord, now: Date = Date(), limit: Int = 20)
        async throws(StoreError)
    {
        do {
            self = try await store.readReport(campaign: campaign) {
                try await CampaignSummary($0, now: now, limit: limit)
            }
        } catch {
            throw CampaignStore.storeError(error)
        }
    }

    /// Reads the summary from `report`, so that it is of the same moment as the rest of the report.
    public init(_ report: some ReportReading, now: Date = Date(), limit: Int = 20) async throws(StoreError) {
        let counts = try await report.jobCounts()
        campaign = report.campaign.name
        generatedAt = Timestamp.string(now)
        jobCount = counts.total
        var byStatus = Dictionary(uniqueKeysWithValues: counts.byStatus.map { ($0.key.rawValue, $0.value) })
        for status in Self.statuses where byStatus[status] == nil { byStatus[status] = 0 }
        self.byStatus = byStatus
        let totals = try await report.jobTotals()
        byOutcome = totals.byOutcome
        attempts = AttemptTotals(used: totals.attemptsUsed, byState: try await report.attemptStates())
        let withOutcome = byOutcome.values.reduce(0, +)
        answerRate = withOutcome == 0 ? nil : Double(byOutcome[OutcomeRules.answered] ?? 0) / Double(withOutcome)
        scheduled = Scheduled(
            queued: counts.queued, waiting: try await report.waitingJobCount(now: now),
            inFlight: counts.active,
            nextDueAt: try await report.nextQueuedTime().map { Timestamp.string(max($0, now)) })
        let capped = try await report.waitingForCap(now: now)
        scheduled.waitingForCap = capped.count
        scheduled.capAllowsAt = capped.until.map(Timestamp.string)
        // The lists are read only when there is something to list: a LIMIT query that matches nothing
        // scans every job.
        unknown = ReviewList(
            total: counts.unknown,
            jobs: counts.unknown == 0 ? [] : try await report.reviewJobs(unknown: true, limit: limit))
        review = ReviewList(
            total: totals.flagged,
            jobs: totals.flagged == 0 ? [] : try await report.reviewJobs(unknown: false, limit: limit))
        estimatedCost = CreditEstimate(try await report.callMinutes())
        let runners = try await report.liveRunners()
        self.runners = runners.isEmpty ? nil : runners
    }
}
