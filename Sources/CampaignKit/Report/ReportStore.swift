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
}

/// One job's columns as the results export reads them: the text of each column as UTF-8 bytes, valid only
/// inside the call that receives the row. Columns: 0 `row_csv`, then `ResultsExporter.resultColumns` in order.
public protocol ResultRowBytes {
    /// The column's UTF-8 bytes, or nil when it is NULL.
    func withBytes<T>(_ column: Int, _ body: (UnsafeBufferPointer<UInt8>?) throws -> T) rethrows -> T
}

/// The results columns every `ResultRowBytes` has: `row_csv` and the ten of `ResultsExporter.resultColumns`.
enum ResultRowLayout {
    static let columnCount = 11
    /// The SELECT list, in order, that both databases read.
    static let columns = """
        row_csv, phone_e164, status, outcome, attempts, interaction_id, summary, recording_url, error,
            last_attempt_at, completed_at
        """
}

/// A queued job as `campaign plan` weighs it.
struct PlannedJob: Sendable {
    var phone: String
    var zone: String?
    var due: Date?
}

/// What `campaign plan` reads, of one moment.
public struct PlanInputs: Sendable {
    var jobs: [PlannedJob]
    var suppressed: Int
    var starts: [String: [Date]]
}
