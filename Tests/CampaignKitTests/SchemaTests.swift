import Foundation
import GRDB
import Testing

@testable import CampaignKit
import TestSupport

@Suite("Schema")
struct SchemaTests {
    static let schemaFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("schema.sql")

    @Test("the embedded schema is schema.sql, byte for byte")
    func embedded() throws {
        #expect(CampaignStore.schemaSQL == (try String(contentsOf: Self.schemaFile, encoding: .utf8)))
    }

    @Test("the schema's CHECKs allow exactly the job statuses and attempt states the code names")
    func statesMatchTheCode() throws {
        let schema = try String(contentsOf: Self.schemaFile, encoding: .utf8)
        func allowed(_ column: String) -> Set<String> {
            guard let check = schema.range(of: "CHECK (\(column) IN ("),
                let end = schema.range(of: ")", range: check.upperBound..<schema.endIndex)
            else { return [] }
            let list = schema[check.upperBound..<end.lowerBound]
            return Set(
                list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines.union(["'"])) })
        }
        #expect(allowed("status") == Set(JobStatus.allCases.map(\.rawValue)))
        #expect(allowed("state") == Set(AttemptState.allCases.map(\.rawValue)))
    }

    @Test("a new database is WAL with synchronous FULL and foreign keys on")
    func pragmas() throws {
        let folder = TemporaryFolder()
        let store = try CampaignStore(path: folder.path("c.db"))
        let (mode, synchronous, foreignKeys) = try store.queue.read { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
                try Int.fetchOne(db, sql: "PRAGMA foreign_keys")
            )
        }
        #expect(mode == "wal")
        #expect(synchronous == 2)
        #expect(foreignKeys == 1)
    }

    @Test("opening a database twice migrates once")
    func reopen() throws {
        let folder = TemporaryFolder()
        _ = try CampaignStore(path: folder.path("c.db"))
        let store = try CampaignStore(path: folder.path("c.db"))
        #expect(try store.tableColumns()["jobs"]?.contains("phone_e164") == true)
    }
}
