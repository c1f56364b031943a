import Foundation

/// One moment of a campaign, valid only inside the `readReport` closure that receives it.
public protocol ReportReading {
    associatedtype ResultRow: ResultRowBytes

    var campaign: CampaignRecord { get }

    /// The campaign's jobs by status.
    func jobCounts() async throws(StoreError) -> JobCounts
    /// The earliest `next_attempt_at` of the queued jobs (`distantPast` when one is due now), or nil.
    func nextQueuedTime() async throws(StoreError) -> Date?
    /// Jobs by their last outcome label, attempts used, and jobs flagged for review (other than `unknown`).
    func jobTotals() async throws(StoreError) -> JobTotals
    /// Attempts by state.
    func attemptStates() async throws(StoreError) -> [String: Int]
    /// Queued jobs whose retry (or calling window) is in the future at `now`.
    func waitingJobCount(now: Date) async throws(StoreError) -> Int
    /// Queued jobs held back by per-number limits at `now`, and when the first of them may be called.
    func waitingForCap(now: Date) async throws(StoreError) -> (count: Int, until: Date?)
    /// Jobs a person must look at, oldest first, at most `limit` (`unknown: true`: the `unknown` ones).
    func reviewJobs(unknown: Bool, limit: Int) async throws(StoreError) -> [ReviewJob]
    /// Started minutes of the calls that ended, from their attempts' timestamps.
    func callMinutes() async throws(StoreError) -> CallMinutes
    /// The first start and the last end of the campaign's calls (an unended call ends at `now`).
    func callSpan(now: Date) async throws(StoreError) -> (start: String, end: String)?
    /// Every start (+1) and end (-1) of the calls that may have been live, in time order.
    func forEachCallEdge(now: Date, _ body: (_ time: String, _ delta: Int) throws -> Void) async throws(StoreError)
    /// Every job with its contact row, in import order (for `--json --jobs`).
    func forEachJob(_ body: (JobRecord) throws -> Void) async throws(StoreError)
    /// Every job, in import order, with the results columns as raw bytes.
    func forEachResultRow(_ body: (ResultRow) throws -> Void) async throws(StoreError)
    /// The runners working the campaign now (PostgreSQL); none on SQLite, where a run holds the file's lock.
    func liveRunners() async throws(StoreError) -> [LiveRunner]
}

extension ReportReading {
    public func liveRunners() async throws(StoreError) -> [LiveRunner] { [] }
}
