import PostgresNIO

/// One connection's queries with the store's errors: every failure arrives as a `PostgresStoreError` that
/// names the database by its redacted URL.
struct PostgresSQL: Sendable {
    let connection: PostgresConnection
    let location: PostgresLocation

    func execute(_ query: PostgresQuery) async throws(PostgresStoreError) {
        do {
            try await connection.query(query, logger: PostgresCampaignDatabase.logger).consume()
        } catch {
            throw PostgresStoreError(error, location: location)
        }
    }

    /// The first column of every row.
    func values<T: PostgresDecodable>(_ query: PostgresQuery, as type: T.Type) async throws(PostgresStoreError) -> [T] {
        do {
            var values: [T] = []
            for try await value in try await connection.query(query, logger: PostgresCampaignDatabase.logger)
                .decode(T.self)
            {
                values.append(value)
            }
            return values
        } catch {
            throw PostgresStoreError(error, location: location)
        }
    }

    /// Every row, decoded as `types` (a tuple of the columns' types, in the SELECT's order).
    func rows<each Column: PostgresDecodable>(
        _ query: PostgresQuery, as types: (repeat each Column).Type
    ) async throws(PostgresStoreError) -> [(repeat each Column)] {
        do {
            var rows: [(repeat each Column)] = []
            for try await row in try await connection.query(query, logger: PostgresCampaignDatabase.logger)
                .decode(types)
            {
                rows.append(row)
            }
            return rows
        } catch {
            throw PostgresStoreError(error, location: location)
        }
    }

    /// `body` between BEGIN and COMMIT; ROLLBACK when it throws (the error it threw is the one reported).
    func transaction<T>(_ body: () async throws(PostgresStoreError) -> T) async throws(PostgresStoreError) -> T {
        try await execute("BEGIN")
        do {
            let result = try await body()
            try await execute("COMMIT")
            return result
        } catch {
            // A session the server ended (or a lost connection) has rolled back already. A ROLLBACK sent on it
            // was seen never to complete: a run whose write's session was terminated hung there for good.
            if !error.isConnectionLost { try? await execute("ROLLBACK") }
            throw error
        }
    }
}

extension PostgresRowSequence {
    /// Reads every row, so the query is finished before the next is sent.
    func consume() async throws {
        for try await _ in self {}
    }
}
