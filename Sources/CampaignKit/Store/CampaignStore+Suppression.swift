import Foundation
import GRDB

/// What adding numbers to the do-not-call list stored (or, in a dry run, would store).
public struct SuppressionResult: Sendable, Equatable {
    /// Numbers new to the list.
    public var added = 0
    /// Numbers that were on it already.
    public var alreadyListed = 0
    /// Jobs, in any campaign, that were `queued` for a listed number and are now `suppressed`.
    public var jobsSuppressed = 0

    init(added: Int = 0, alreadyListed: Int = 0, jobsSuppressed: Int = 0) {
        self.added = added
        self.alreadyListed = alreadyListed
        self.jobsSuppressed = jobsSuppressed
    }
}

/// One number of the do-not-call list.
public struct SuppressedNumber: Sendable, Equatable {
    public var phoneE164: String
    public var source: String
    public var addedAt: String
}

extension CampaignStore {
    /// Adds the numbers of `lists` (each with its source: a file, a reason) to the do-not-call list and
    /// turns every `queued` job for a listed number, in every campaign, to `suppressed`, all in one
    /// transaction: the list is never stored without its effect on the jobs, nor the other way round.
    public func addSuppressed(_ lists: [(source: String, numbers: [String])], now: Date) throws(StoreError)
        -> SuppressionResult
    {
        try write { db in try Self.addSuppressed(db, lists, now: Timestamp.string(now)) }
    }

    /// The do-not-call list, in the order numbers were added.
    public func suppressedNumbers() throws(StoreError) -> [SuppressedNumber] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT phone_e164, source, added_at FROM suppressed ORDER BY rowid").map {
                SuppressedNumber(phoneE164: $0[0], source: $0[1], addedAt: $0[2])
            }
        }
    }

    static func addSuppressed(_ db: Database, _ lists: [(source: String, numbers: [String])], now: String) throws
        -> SuppressionResult
    {
        var result = SuppressionResult()
        var seen = Set<String>()
        let insert = try db.makeStatement(
            sql: "INSERT INTO suppressed (phone_e164, source, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
        for (source, numbers) in lists {
            for number in numbers where seen.insert(number).inserted {
                try insert.execute(arguments: [number, source, now])
                if db.changesCount > 0 { result.added += 1 } else { result.alreadyListed += 1 }
            }
        }
        try db.execute(
            sql: """
                UPDATE jobs SET status = 'suppressed', updated_at = ?
                WHERE status = 'queued' AND phone_e164 IN (SELECT phone_e164 FROM suppressed)
                """, arguments: [now])
        result.jobsSuppressed = db.changesCount
        return result
    }
}
