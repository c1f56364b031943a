import Foundation

@testable import CampaignKit

/// One result each, in its own commit: the tests' shorthand for `CampaignStore.record(_:)`.
extension DispatchStore {
    func recordRejected(_ intent: AttemptIntent, httpStatus: Int, message: String, now: Date) async throws
        -> GuardedWrite
    {
        try await recordOne(AttemptResult(.rejected(intent, httpStatus: httpStatus, message: message), at: now))
    }

    func recordUnknown(_ intent: AttemptIntent, httpStatus: Int?, reason: String, now: Date) async throws
        -> GuardedWrite
    {
        try await recordOne(AttemptResult(.unknown(intent, httpStatus: httpStatus, reason: reason), at: now))
    }

    func recordNotPlaced(_ intent: AttemptIntent, httpStatus: Int?, reason: String, retryAt: Date?, now: Date)
        async throws -> GuardedWrite
    {
        try await recordOne(
            AttemptResult(.notPlaced(intent, httpStatus: httpStatus, reason: reason, retryAt: retryAt), at: now))
    }

    func undoAttemptIntent(_ intent: AttemptIntent, now: Date) async throws -> GuardedWrite {
        try await recordOne(AttemptResult(.undone(intent), at: now))
    }

    func undoAttemptIntents(_ intents: [AttemptIntent], now: Date) async throws -> [GuardedWrite] {
        try await record(intents.map { AttemptResult(.undone($0), at: now) })
    }

    func markNeedsReview(_ call: FollowedCall, httpStatus: Int?, reason: String, now: Date) async throws
        -> GuardedWrite
    {
        try await recordOne(AttemptResult(.needsReview(call, httpStatus: httpStatus, reason: reason), at: now))
    }

    func recordOne(_ result: AttemptResult) async throws -> GuardedWrite {
        try await record([result]).first ?? .stale
    }
}
