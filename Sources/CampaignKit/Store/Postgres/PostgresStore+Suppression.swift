import Foundation
import PostgresNIO

/// The do-not-call list on PostgreSQL: the statements of `CampaignStore+Suppression.swift`.
extension PostgresStore {
    /// Adds the numbers of `lists` to the do-not-call list and turns every `queued` job for a listed number, in
    /// every campaign, to `suppressed`, in one transaction of its own (committed before an import reads a contact).
    public func addSuppressed(_ lists: [(source: String, numbers: [String])], now: Date) async throws(StoreError)
        -> SuppressionResult
    {
        let stamp = Timestamp.string(now)
        let lists = lists.map { SuppressionList.Entries(source: $0.source, numbers: $0.numbers) }
        return try await withSQL { sql throws(PostgresStoreError) in
            try await sql.transaction { () throws(PostgresStoreError) in
                try await Self.addSuppressed(sql, lists, now: stamp)
            }
        }
    }

    /// The do-not-call list, in the order numbers were added. PostgreSQL has no rowid: `added_at`, then the number,
    /// is that order (numbers added at the same moment, by one command, come in number order), which needs no
    /// schema step of its own.
    public func suppressedNumbers() async throws(StoreError) -> [SuppressedNumber] {
        try await withSQL { sql throws(PostgresStoreError) in
            try await sql.rows(
                "SELECT phone_e164, source, added_at FROM suppressed ORDER BY added_at, phone_e164",
                as: (String, String, String).self
            ).map { SuppressedNumber(phoneE164: $0.0, source: $0.1, addedAt: $0.2) }
        }
    }

    /// Adds the lists and suppresses the queued jobs of their numbers on `sql`'s connection, inside the
    /// transaction the caller holds. A list is one statement (its numbers as one array parameter), not one round
    /// trip a number: a list of 100,000 numbers is one INSERT.
    static func addSuppressed(_ sql: PostgresSQL, _ lists: [SuppressionList.Entries], now: String)
        async throws(PostgresStoreError) -> SuppressionResult
    {
        var result = SuppressionResult()
        var seen = Set<String>()
        for list in lists {
            // A number in two lists (or twice in one) is counted once, under the first, as on SQLite.
            let numbers = list.numbers.filter { seen.insert($0).inserted }
            guard !numbers.isEmpty else { continue }
            let added =
                try await sql.values(
                    """
                    WITH added AS (
                        INSERT INTO suppressed (phone_e164, source, added_at)
                        SELECT n, \(list.source), \(now) FROM unnest(\(numbers)::text[]) AS n
                        ON CONFLICT DO NOTHING RETURNING 1)
                    SELECT COUNT(*) FROM added
                    """, as: Int64.self
                ).first ?? 0
            result.added += Int(added)
            result.alreadyListed += numbers.count - Int(added)
        }
        let changed =
            try await sql.values(
                """
                WITH changed AS (
                    UPDATE jobs SET status = 'suppressed', updated_at = \(now)
                    WHERE status = 'queued' AND phone_e164 IN (SELECT phone_e164 FROM suppressed)
                    RETURNING 1)
                SELECT COUNT(*) FROM changed
                """, as: Int64.self
            ).first ?? 0
        result.jobsSuppressed = Int(changed)
        return result
    }
}

extension SuppressionList {
    /// One list's numbers with the source they are recorded under, as a value that crosses to the connection's task.
    struct Entries: Sendable {
        var source: String
        var numbers: [String]
    }
}
