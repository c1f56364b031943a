import Foundation

/// `campaign resolve` and `campaign cancel`: a person settles jobs. Each change is guarded on the job's
/// current status, so it is safe while a run works the same campaign.
public protocol ResolveStore: CampaignCatalog {
    /// Settles `unknown` jobs a person has checked (`jobIDs` nil: every one); `requeue` also takes `failed`
    /// jobs named by id. Ids that do not fit change nothing and are listed in the error.
    @discardableResult
    func resolveUnknown(campaign: CampaignRecord, jobIDs: [Int64]?, action: ResolveAction, now: Date)
        async throws(StoreError) -> Int

    /// Cancels queued jobs (`jobIDs` nil: every queued job of the campaign); returns the number cancelled.
    @discardableResult
    func cancelQueued(campaign: CampaignRecord, jobIDs: [Int64]?, now: Date) async throws(StoreError) -> Int
}
