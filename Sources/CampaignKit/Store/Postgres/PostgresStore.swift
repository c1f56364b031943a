import Foundation
import PostgresNIO

/// A campaign database on PostgreSQL: the store protocols (`CampaignDatabase`) over an open
/// `PostgresCampaignDatabase`. Every status change is a compare-and-set on the job's current status and attempt,
/// as on SQLite; the SQL lives in this type's files (`PostgresStore+*.swift`) and nowhere else.
public final class PostgresStore: Sendable {
    let database: PostgresCampaignDatabase
    /// The run lock this store's claims check (`resolve`); nil for the other verbs.
    let runLock: PostgresRunLock?
    /// `campaign run`: this process as one of the campaign's runners (its lease, its fence); nil for the other
    /// verbs.
    let runner: PostgresRunner?

    init(database: PostgresCampaignDatabase, runLock: PostgresRunLock? = nil, runner: PostgresRunner? = nil) {
        self.database = database
        self.runLock = runLock
        self.runner = runner
    }

    /// Who every guarded write of this store is made for: a runner's writes also need the job to be its own.
    struct RunnerOwner: Sendable {
        var runner: Int64
        /// How long a job this runner turns `unknown` still holds a slot of the global limit (ms).
        var holdMS: Int64
    }

    var owner: RunnerOwner? {
        guard let runner, let id = runner.id else { return nil }
        return RunnerOwner(runner: id, holdMS: runner.holdMilliseconds)
    }

    /// The redacted URL: a password never appears.
    public var displayName: String { database.location.redacted }

    /// Runs `body` on a connection of the pool, with the driver's failures as `StoreError`s.
    func withSQL<T: Sendable>(
        isolation: isolated (any Actor)? = #isolation, _ body: (PostgresSQL) async throws(PostgresStoreError) -> T
    ) async throws(StoreError) -> T {
        do {
            return try await database.withConnection(body)
        } catch {
            throw .postgres(error)
        }
    }
}

extension PostgresStore: CampaignCatalog {
    public func campaign(named name: String) async throws(StoreError) -> CampaignRecord? {
        try await withSQL { sql throws(PostgresStoreError) in try await Self.fetchCampaign(sql, name: name) }
    }

    public func campaignNames() async throws(StoreError) -> [String] {
        try await withSQL { sql throws(PostgresStoreError) in
            try await sql.values("SELECT name FROM campaigns ORDER BY id", as: String.self)
        }
    }

    /// The campaign called `name` on `sql`'s connection (inside its transaction, if one is open).
    static func fetchCampaign(_ sql: PostgresSQL, name: String) async throws(PostgresStoreError) -> CampaignRecord? {
        let rows = try await sql.rows(
            """
            SELECT id, name, template, columns, phone_column, region, language, voice, from_number, transfer_to,
                timezone FROM campaigns WHERE name = \(name)
            """,
            as: (Int64, String, String, String, String, String, String?, String?, String?, String?, String?).self)
        guard let row = rows.first else { return nil }
        return CampaignRecord(
            id: row.0, name: row.1, template: row.2, columns: CSVReader.parseLine(row.3), phoneColumn: row.4,
            region: row.5,
            defaults: CallOptions(language: row.6, voice: row.7, from: row.8, transferTo: row.9, timezone: row.10))
    }
}
