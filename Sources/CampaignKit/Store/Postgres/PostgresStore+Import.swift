import Foundation
import NIOCore
import PostgresNIO

/// `campaign import` on PostgreSQL: the campaign, the import's row and every job in one transaction, the jobs
/// streamed with `COPY jobs FROM STDIN`. The indexes stay: a run may be working the same database.
extension PostgresStore: ImportStore {
    /// The first key of the `pg_advisory_xact_lock(int, int)` an import takes: ASCII "IMPT". The second is
    /// `hashtext` of the campaign's name (the campaign may not exist yet, so it has no id to lock on). Two
    /// imports into one campaign queue up on it instead of failing on the unique index; two campaigns whose
    /// names hash alike only queue up too. PostgreSQL keeps the two-int keys apart from the one-bigint keys
    /// (the migrator's), so the two never meet.
    static let importLockKey: Int32 = 0x494D_5054

    public func importContacts<T>(
        into campaign: CampaignRecord, sourceFile: String, estimatedRows: Int, now: Date,
        _ body: (PostgresImportSession) throws -> (commit: Bool, result: T)
    ) async throws -> T {
        let stamp = Timestamp.string(now)
        return try await withoutActuallyEscaping(body) { body in
            let work = PostgresImportBody(body)
            try await withSQL { sql throws(PostgresStoreError) in
                try await sql.execute("BEGIN")
                do throws(PostgresStoreError) {
                    let session = try await Self.startImport(
                        sql, campaign: campaign, sourceFile: sourceFile, estimatedRows: estimatedRows, now: stamp)
                    try await Self.run(work, session: session, on: sql)
                    if work.outcome?.commit == true, campaign.id != 0 {
                        // Runners idle on this campaign claim the new jobs at the commit, not at their next re-check.
                        try await PostgresRunner.nudge(sql, campaign: campaign.id, from: nil)
                    }
                } catch {
                    try? await sql.execute("ROLLBACK")
                    throw error
                }
                if work.outcome?.commit == true {
                    try await sql.execute("COMMIT")
                } else {
                    try? await sql.execute("ROLLBACK")
                }
            }
            work.body = nil
            return try work.result()
        }
    }

    /// The campaign (created when new), the import's row, and what the session must know before the first job:
    /// the campaign's numbers and the files they came from.
    private static func startImport(
        _ sql: PostgresSQL, campaign: CampaignRecord, sourceFile: String, estimatedRows: Int, now: String
    ) async throws(PostgresStoreError) -> PostgresImportSession {
        try await sql.execute("SELECT pg_advisory_xact_lock(\(importLockKey), hashtext(\(campaign.name)))")
        var campaign = campaign
        if campaign.id == 0 {
            let ids = try await sql.values(
                """
                INSERT INTO campaigns (name, template, columns, phone_column, region, language, voice, from_number,
                    transfer_to, timezone, created_at)
                VALUES (\(campaign.name), \(campaign.template), \(CSVWriter.record(campaign.columns)),
                    \(campaign.phoneColumn), \(campaign.region), \(campaign.defaults.language),
                    \(campaign.defaults.voice), \(campaign.defaults.from), \(campaign.defaults.transferTo),
                    \(campaign.defaults.timezone), \(now))
                ON CONFLICT (name) DO NOTHING RETURNING id
                """, as: Int64.self)
            if let id = ids.first {
                campaign.id = id
            } else {
                // Another import made it after this one looked and before it took the lock: add to it when it
                // has the same shape, else refuse (the rows were validated against this file's header).
                guard let made = try await PostgresStore.fetchCampaign(sql, name: campaign.name),
                    made.columns == campaign.columns, made.phoneColumn == campaign.phoneColumn,
                    made.template == campaign.template
                else {
                    throw .server(
                        location: sql.location.redacted,
                        reason: "campaign '\(campaign.name)' was created meanwhile by another import with other "
                            + "columns or prompt; nothing was imported, import again to see why")
                }
                campaign = made
            }
        }
        let importID =
            try await sql.values(
                """
                INSERT INTO imports (campaign_id, source_file, imported_at)
                VALUES (\(campaign.id), \(sourceFile), \(now)) RETURNING id
                """, as: Int64.self
            ).first ?? 0
        var sourceFiles: [Int64: String] = [:]
        for (id, file) in try await sql.rows(
            "SELECT id, source_file FROM imports WHERE campaign_id = \(campaign.id)", as: (Int64, String).self)
        {
            sourceFiles[id] = file
        }
        var seen = SeenNumbers()
        do {
            let existing = try await sql.send(
                "SELECT phone_e164, import_id, source_line FROM jobs WHERE campaign_id = \(campaign.id)")
            for try await (phone, importID, line) in existing.decode((String, Int64, Int64).self) {
                if let key = ImportSession.key(phone) {
                    _ = seen.firstPlace(of: key, orInsert: ImportSession.place(importID: importID, line: Int(line)))
                }
            }
        } catch {
            throw PostgresStoreError(error, location: sql.location)
        }
        seen.reserveCapacity(seen.count + estimatedRows)
        return PostgresImportSession(
            campaign: campaign, importID: importID, now: now, seen: seen, sourceFiles: sourceFiles,
            channel: PostgresImportChannel())
    }

    /// Runs the body on a thread of its own and works the connection for it until the body is done: COPY data
    /// is streamed into one `COPY jobs FROM STDIN` for as long as chunks come one after another, and a statement
    /// the body asks for ends that COPY first (a connection in COPY takes nothing else). After a failure every
    /// later step is refused, so the body stops at its next write; the first failure is what is thrown.
    private static func run<T>(
        _ work: PostgresImportBody<T>, session: PostgresImportSession, on sql: PostgresSQL
    ) async throws(PostgresStoreError) {
        let channel = session.channel
        work.session = session
        let thread = Thread {
            work.perform()
            channel.finish()
        }
        // The importer's own recursion is shallow; the default secondary-thread stack (512 kB) is enough, 4 MB is
        // room for what the body calls.
        thread.stackSize = 4 << 20
        thread.start()
        var next = await channel.next()
        while let step = next {
            next = nil
            switch step {
            case .call(let call):
                if let failed = channel.failed { call.refuse(failed) } else { await call.perform(sql) }
            case .copy(let first):
                channel.took()
                guard channel.failed == nil else { break }
                var after: PostgresImportChannel.Step?
                do {
                    try await sql.connection.copyFrom(
                        table: "jobs", columns: PostgresImportSession.copyColumns,
                        logger: PostgresCampaignDatabase.logger
                    ) { writer in
                        try await writer.write(first)
                        while let step = await channel.next() {
                            guard case .copy(let data) = step else {
                                after = step
                                return
                            }
                            channel.took()
                            try await writer.write(data)
                        }
                    }
                } catch {
                    channel.fail(PostgresStoreError(error, location: sql.location))
                }
                next = after
            }
            if next == nil { next = await channel.next() }
        }
        if let failed = channel.failed { throw failed }
    }
}

/// The import's body and what it returned, shared with the thread that runs it. `@unchecked`: the thread writes
/// `outcome` before it finishes the channel, and the task reads it only after the channel's last step; the body
/// is dropped before `withoutActuallyEscaping` returns.
final class PostgresImportBody<T>: @unchecked Sendable {
    var body: ((PostgresImportSession) throws -> (commit: Bool, result: T))?
    var session: PostgresImportSession?
    private var returned: Result<(commit: Bool, result: T), any Error>?

    init(_ body: @escaping (PostgresImportSession) throws -> (commit: Bool, result: T)) { self.body = body }

    /// What the body decided, when it returned.
    var outcome: (commit: Bool, result: T)? { try? returned?.get() }

    func perform() {
        do { returned = .success(try body!(session!)) } catch { returned = .failure(error) }
        body = nil
        session = nil
    }

    func result() throws -> T {
        guard let returned else { throw CancellationError() }
        return try returned.get().result
    }
}
