import Foundation

/// What `campaign import` and `campaign suppress` need from a database.
public protocol ImportStore: CampaignCatalog {
    associatedtype Session: ImportWriting

    /// Runs an import inside one transaction: nothing `body` writes through the session is visible, or kept,
    /// unless it returns `commit: true` (false: a dry run, or an all-or-nothing import with rejected rows).
    /// A campaign with id 0 is created in the same transaction.
    func importContacts<T>(
        into campaign: CampaignRecord, sourceFile: String, estimatedRows: Int, now: Date,
        _ body: (Session) throws -> (commit: Bool, result: T)
    ) async throws -> T

    /// Adds the numbers of `lists` to the do-not-call list and turns every `queued` job for a listed number,
    /// in every campaign, to `suppressed`, in one transaction.
    func addSuppressed(_ lists: [(source: String, numbers: [String])], now: Date) async throws(StoreError)
        -> SuppressionResult

    /// The do-not-call list, in the order numbers were added.
    func suppressedNumbers() async throws(StoreError) -> [SuppressedNumber]
}

/// An import in progress inside its one transaction (see `ImportStore.importContacts`).
public protocol ImportWriting: AnyObject {
    /// The campaign the jobs go to (created by this import when it is new).
    var campaign: CampaignRecord { get }
    /// This import's id: a number already taken by it is a duplicate within the file.
    var importID: Int64 { get }
    /// Warms what `claim` looks up for the numbers of `jobs` before they are claimed one by one.
    func prefetch(_ jobs: PackedJobs)
    /// Accepts job `index` of `jobs` unless its number is already taken: nil when accepted (stored by the
    /// next `write(jobs)`), or the job that already holds its number.
    func claim(_ jobs: PackedJobs, _ index: Int) throws -> ExistingJob?
    /// Stores, in file order, the jobs of `jobs` that `claim` accepted; once a batch, after its claims.
    func write(_ jobs: PackedJobs) throws
    /// Adds numbers to the do-not-call list inside this import's transaction (a dry run counts with it).
    func suppress(_ lists: [(source: String, numbers: [String])]) throws -> SuppressionResult
    /// Every suppressed number.
    func suppressedNumbers() throws -> Set<String>
    /// Records the import's counts; the session takes no more jobs after this.
    func finish(rowsRead: Int, queued: Int, duplicates: Int, suppressed: Int, rejected: Int) throws
}
