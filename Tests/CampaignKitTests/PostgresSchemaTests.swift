import Foundation
import GRDB
import TestSupport
import Testing

@testable import CampaignKit

/// schema.postgres.sql against the binary and against schema.sql: the two dialects cannot drift.
@Suite("PostgreSQL schema")
struct PostgresSchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("the embedded PostgreSQL schema is schema.postgres.sql, byte for byte")
    func embedded() throws {
        let file = try String(contentsOf: Self.root.appendingPathComponent("schema.postgres.sql"), encoding: .utf8)
        #expect(CampaignStore.postgresSchemaSQL == file)
    }

    @Test("the schema file cuts into its CREATE statements, one per table and index")
    func statements() {
        let statements = SQLScript.statements(CampaignStore.postgresSchemaSQL)
        #expect(statements.count == 11, "\(statements)")
        #expect(statements.allSatisfy { $0.hasPrefix("CREATE ") && !$0.hasSuffix(";") }, "\(statements)")
        #expect(
            PostgresMigrator.tableNames(statements) == [
                "campaigns", "imports", "jobs", "attempts", "suppressed", "run_holder", "runners", "campaign_dispatch",
            ])
    }

    @Test("a ; in a comment, a string or a quoted name does not end a statement")
    func splitting() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE "a;b" (x text DEFAULT 'it''s; here'); -- trailing; comment
            SELECT 1;
            -- only a comment;

            """
        #expect(SQLScript.statements(script) == ["CREATE TABLE \"a;b\" (x text DEFAULT 'it''s; here')", "SELECT 1"])
    }

    /// A column as the no-drift test compares it.
    struct Column: Equatable, CustomStringConvertible {
        var name: String
        var type: String
        var notNull: Bool
        var description: String { "\(name) \(type)\(notNull ? " NOT NULL" : "")" }
    }

    /// SQLite's declared type → PostgreSQL's, for every column: the fixed table the two files are held to.
    /// Every text column is bytewise ("C") on PostgreSQL, as all text is in SQLite.
    static let types = ["INTEGER": "bigint", "TEXT": "text COLLATE C"]

    /// The schema the binary creates in a new SQLite file, in PostgreSQL's words (types mapped by `types`).
    /// A primary key's NOT NULL is left out: SQLite's table_info reports none for it.
    static func sqliteSchema() throws -> (columns: [String: [Column]], checks: [String: [String]], indexes: Set<String>)
    {
        let folder = TemporaryFolder()
        let store = try CampaignStore(path: folder.path("c.db"))
        let tables = try store.tableColumns().keys
        return try store.queue.read { db in
            var columns: [String: [Column]] = [:]
            for table in tables {
                columns[table] = try Row.fetchAll(db, sql: "PRAGMA table_info(\(table.quotedDatabaseIdentifier))").map {
                    let declared: String = $0["type"]
                    let primaryKey = ($0["pk"] as Int) > 0
                    return Column(
                        name: $0["name"], type: types[declared] ?? "unmapped \(declared)",
                        notNull: !primaryKey && ($0["notnull"] as Int) == 1)
                }
            }
            var checks: [String: [String]] = [:]
            let check = try Regex(#"CHECK \((\w+) IN \(([^)]*)\)\)"#)
            for row in try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'table'") {
                let sql: String = row["sql"]
                for match in sql.matches(of: check) {
                    let column = match.output[1].substring.map(String.init) ?? ""
                    checks["\(row["name"] as String).\(column)"] = quoted(match.output[2].substring ?? "")
                }
            }
            let indexes = try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
            return (columns, checks, Set(indexes))
        }
    }

    /// The quoted strings of a list, in order: `'a', 'b'` and `'a'::text, 'b'::text` both give [a, b].
    static func quoted(_ text: Substring) -> [String] {
        text.split(separator: "'", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }
            .map { String($0.element) }
    }

    /// The schema the binary creates in a new PostgreSQL database, read from the catalog.
    static func postgresSchema(_ database: PostgresTestDatabase) async throws -> (
        columns: [String: [Column]], checks: [String: [String]], indexes: Set<String>, indexDefinitions: [String]
    ) {
        try await PostgresCampaignDatabase.open(try database.location, mustExist: false)
        let rows = try await database.strings(
            """
            SELECT c.table_name || '|' || c.column_name || '|' || c.data_type
                   || COALESCE(' COLLATE ' || c.collation_name, '') || '|' || c.is_nullable
                   || '|' || (EXISTS (SELECT 1 FROM information_schema.table_constraints t
                                JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name)
                               WHERE t.constraint_type = 'PRIMARY KEY' AND k.table_name = c.table_name
                                 AND k.column_name = c.column_name))::text
              FROM information_schema.columns c
             WHERE c.table_schema = current_schema() AND c.table_name <> 'schema_migrations'
             ORDER BY c.table_name, c.ordinal_position
            """)
        var columns: [String: [Column]] = [:]
        for row in rows.compactMap({ $0 }) {
            let parts = row.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            columns[parts[0], default: []].append(
                Column(name: parts[1], type: parts[2], notNull: parts[4] == "false" && parts[3] == "NO"))
        }
        var checks: [String: [String]] = [:]
        let check = try Regex(#"\(\((\w+) = ANY \(ARRAY\[([^\]]*)\]\)\)\)"#)
        for row in try await database.strings(
            """
            SELECT conrelid::regclass::text || '|' || pg_get_constraintdef(oid) FROM pg_constraint
             WHERE contype = 'c' AND connamespace = current_schema()::regnamespace
            """
        ).compactMap({ $0 }) {
            let parts = row.split(separator: "|", maxSplits: 1)
            for match in parts[1].matches(of: check) {
                let column = match.output[1].substring.map(String.init) ?? ""
                checks["\(parts[0]).\(column)"] = quoted(match.output[2].substring ?? "")
            }
        }
        // Indexes of their own, not the ones PostgreSQL makes for a PRIMARY KEY or UNIQUE constraint (SQLite's
        // are the unnamed sqlite_autoindex_*, left out on that side).
        let indexes = try await database.strings(
            """
            SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
             WHERE c.relnamespace = current_schema()::regnamespace
               AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = i.indexrelid)
            """)
        let definitions = try await database.strings(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname")
        return (columns, checks, Set(indexes.compactMap { $0 }), definitions.compactMap { $0 })
    }

    @Test(
        "the PostgreSQL database the binary creates has SQLite's tables, columns in order, types, CHECK lists and indexes",
        .enabled(
            if: TestPostgres.isAvailable,
            "CAMPAIGN_TEST_POSTGRES is unset: PostgreSQL test skipped (scripts/test-postgres.sh)"))
    func noDrift() async throws {
        let sqlite = try Self.sqliteSchema()
        try await PostgresTestDatabase.withFresh { database in
            let postgres = try await Self.postgresSchema(database)
            #expect(Set(postgres.columns.keys) == Set(sqlite.columns.keys))
            for (table, columns) in sqlite.columns.sorted(by: { $0.key < $1.key }) {
                #expect(postgres.columns[table] == columns, "\(table)")
            }
            #expect(postgres.checks == sqlite.checks)
            #expect(sqlite.checks.keys.sorted() == ["attempts.state", "jobs.status", "runners.state"])
            #expect(postgres.indexes == sqlite.indexes)
            #expect(sqlite.indexes == ["jobs_by_phone", "jobs_by_status", "attempts_by_interaction"])
            // PostgreSQL sorts NULL last unless told; NULL next_attempt_at is "due now" and must come first.
            #expect(
                postgres.indexDefinitions.contains {
                    $0.hasSuffix("(campaign_id, status, next_attempt_at NULLS FIRST, id)")
                },
                "\(postgres.indexDefinitions)")
        }
    }
}
