import CampaignKit
import Foundation

/// A campaign written into a PostgreSQL test database with plain SQL: a fixture for the store tests, which work
/// below the binary (the end-to-end tests import with `campaign import`). The rows are what an import writes
/// (one import, one queued job per number, in the numbers' order), nothing more.
public enum PostgresSeed {
    /// Gives `database` the campaign schema (as `import` would, through the store's own migration) and a
    /// campaign `name` with one queued job per number; `timezone` is the campaign's default zone.
    public static func campaign(
        in database: PostgresTestDatabase, name: String = "guests", numbers: [String], timezone: String? = nil,
        createdAt: String = "2026-06-01T11:00:00.000Z"
    ) async throws {
        try await PostgresCampaignDatabase.with(try database.location, mustExist: false) { _ in }
        let phones = numbers.map { "'\($0)'" }.joined(separator: ", ")
        let zone = timezone.map { "'\($0)'" } ?? "NULL"
        // One statement: postgres-nio sends one statement per query.
        try await database.execute(
            """
            WITH c AS (
                INSERT INTO campaigns (name, template, columns, phone_column, region, timezone, created_at)
                VALUES ('\(name)', 'Call [name] about dinner.', 'name,phone', 'phone', 'GB', \(zone), '\(createdAt)')
                RETURNING id),
            i AS (
                INSERT INTO imports (campaign_id, source_file, imported_at, rows_read, queued)
                SELECT id, 'seed.csv', '\(createdAt)', \(numbers.count), \(numbers.count) FROM c
                RETURNING id, campaign_id)
            INSERT INTO jobs (campaign_id, import_id, source_line, row_csv, phone_e164, prompt, created_at, updated_at)
            SELECT i.campaign_id, i.id, t.n + 1, 'Guest ' || (t.n - 1) || ',' || t.phone, t.phone,
                'Call Guest ' || (t.n - 1) || ' about dinner.', '\(createdAt)', '\(createdAt)'
            FROM i, unnest(ARRAY[\(phones)]::text[]) WITH ORDINALITY AS t(phone, n)
            ORDER BY t.n
            """)
    }
}
