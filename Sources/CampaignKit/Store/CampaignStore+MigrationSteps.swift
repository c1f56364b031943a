import SchemaSQL

extension CampaignStore {
    /// The names of the schema's steps, in order, as SQLite's migrator registers them. PostgreSQL records the
    /// same names (`PostgresMigrator`), so both dialects agree on which schema a database has.
    static var migrationSteps: [String] { migrator.migrations }

    /// The PostgreSQL schema text as embedded in the binary from schema.postgres.sql.
    static var postgresSchemaSQL: String { String(cString: campaign_postgres_schema_sql()) }
}
