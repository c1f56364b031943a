import Foundation
import PostgresNIO

/// Keeps a second `campaign run` (or `resolve`) off a PostgreSQL campaign database another run is working:
/// PostgreSQL's `RunLock`.
///
/// A session advisory lock (`pg_try_advisory_lock(key)`) held on a connection of its own, opened for this and
/// never returned to a pool: a pooled connection could be handed back, closed or replaced by the pool, and the
/// lock would go with it unseen. Advisory locks are per database, so this is one runner per campaign database,
/// as the flock is on SQLite. The server releases the lock when the session ends, however the process died:
/// measured, after a SIGKILL of the holder the next `run` takes it at once (the kernel closes the socket and
/// the backend exits). Who holds it is written to `run_holder`, so a refusal names the holder.
///
/// Fail closed: every claim checks, inside its own transaction, that this lock's backend still holds the lock
/// (`check`). If the connection drops, the server has released the lock and another run may take it, so this
/// run starts no call from then on: its claim fails, calls in flight are followed and the run exits non-zero.
final class PostgresRunLock: Sendable {
    /// ASCII "camp-run" read as a 64-bit number (pg_locks shows classid 0x63616D70, objid 0x2D72756E,
    /// objsubid 1). The migration's key is "campaign": the two never meet.
    static let key: Int64 = 0x6361_6D70_2D72_756E

    let connection: PostgresConnection
    /// The backend process of `connection`: the one `pg_locks` must show holding `key`.
    let backendPID: Int32
    let location: PostgresLocation

    private init(connection: PostgresConnection, backendPID: Int32, location: PostgresLocation) {
        self.connection = connection
        self.backendPID = backendPID
        self.location = location
    }

    /// Takes the lock, or throws `RunLockError.held` naming the holder recorded in `run_holder`.
    static func acquire(_ location: PostgresLocation, now: Date = Date()) async throws -> PostgresRunLock {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: try location.connectionConfiguration(), id: 1, logger: PostgresCampaignDatabase.logger)
        } catch let error as PostgresStoreError {
            throw error
        } catch {
            throw PostgresStoreError(error, location: location)
        }
        let sql = PostgresSQL(connection: connection, location: location)
        do {
            let answer = try await sql.rows(
                "SELECT pg_try_advisory_lock(\(key)), pg_backend_pid()", as: (Bool, Int32).self)
            guard let first = answer.first else {
                throw PostgresStoreError.server(location: location.redacted, reason: "no answer to the run lock")
            }
            let (taken, pid) = first
            guard taken else {
                let runners = try await sql.values(
                    """
                    SELECT host || ' pid ' || pid FROM runners
                    WHERE state = 'running' AND lease_until_ms >= \(unescaped: PostgresRunner.nowMS) ORDER BY id
                    """, as: String.self)
                if !runners.isEmpty {
                    throw RunLockError.held(
                        path: location.redacted, holder: "campaign run: " + runners.joined(separator: ", "))
                }
                let holder = try await sql.values("SELECT holder FROM run_holder WHERE id = 1", as: String.self).first
                throw RunLockError.held(
                    path: location.redacted, holder: holder ?? "a process that has not said who it is yet")
            }
            let holder = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName), started \(Timestamp.string(now))"
            try await sql.execute(
                """
                INSERT INTO run_holder (id, holder, acquired_at) VALUES (1, \(holder), \(Timestamp.string(now)))
                ON CONFLICT (id) DO UPDATE SET holder = EXCLUDED.holder, acquired_at = EXCLUDED.acquired_at
                """)
            return PostgresRunLock(connection: connection, backendPID: pid, location: location)
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Throws unless this lock is still held, read on `sql`'s connection (inside the caller's transaction, so
    /// a claim that passes was made while the lock was held). A dropped lock connection is known at once; one
    /// the server ended is seen in `pg_locks`.
    func check(_ sql: PostgresSQL) async throws(PostgresStoreError) {
        guard !connection.isClosed else { throw .runLockLost(location: location.redacted) }
        let held = try await sql.values(
            """
            SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
                AND pid = \(backendPID) AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND classid::bigint = \(Self.key >> 32) AND objid::bigint = \(Self.key & 0xFFFF_FFFF)
                AND objsubid = 1)
            """, as: Bool.self)
        guard held.first == true else { throw .runLockLost(location: location.redacted) }
    }

    /// Ends the session, which releases the lock.
    func release() async {
        try? await connection.close()
    }
}
