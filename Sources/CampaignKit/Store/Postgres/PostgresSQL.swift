import PostgresNIO

/// One connection's queries with the store's errors: every failure arrives as a `PostgresStoreError` that
/// names the database by its redacted URL.
struct PostgresSQL: Sendable {
    let connection: PostgresConnection
    let location: PostgresLocation

    func execute(_ query: PostgresQuery) async throws(PostgresStoreError) {
        do {
            try await send(query).consume()
        } catch {
            throw PostgresStoreError(error, location: location)
        }
    }

    /// The first column of every row.
    func values<T: PostgresDecodable>(_ query: PostgresQuery, as type: T.Type) async throws(PostgresStoreError) -> [T] {
        do {
            var values: [T] = []
            for try await value in try await send(query).decode(T.self) {
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
            for try await row in try await send(query).decode(types) {
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
            // A lost connection has no transaction left to roll back, and nothing more may be sent on it (`send`).
            if !error.isConnectionLost { try? await execute("ROLLBACK") }
            throw error
        }
    }

    /// `transaction` for what several runners share (the dispatch row, runner rows, their jobs): a process frozen
    /// inside it (SIGSTOP, a machine asleep, a network cut) must not hold those locks and stop every runner, so the
    /// server ends it after 5 s idle.
    func runnerTransaction<T>(_ body: () async throws(PostgresStoreError) -> T) async throws(PostgresStoreError) -> T {
        try await transaction { () async throws(PostgresStoreError) -> T in
            try await execute("SET LOCAL idle_in_transaction_session_timeout = '5s'")
            return try await body()
        }
    }

    /// Sends `query`, unless the connection is closed: postgres-nio (1.33) never answers a query written to a
    /// closed connection, so a ROLLBACK after the server ended the session (pg_terminate_backend, a restart) hung
    /// `campaign run` for good, with no call started or followed again. Every query of the store goes through
    /// here, the ones that stream their rows too.
    func send(_ query: PostgresQuery) async throws -> PostgresRowSequence {
        guard !connection.isClosed else {
            throw PostgresStoreError.cannotConnect(location: location.redacted, reason: "the connection was closed")
        }
        return try await connection.query(query, logger: PostgresCampaignDatabase.logger)
    }
}

extension PostgresRowSequence {
    /// Reads every row, so the query is finished before the next is sent.
    func consume() async throws {
        for try await _ in self {}
    }
}
