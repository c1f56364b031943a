#ifndef CAMPAIGN_SCHEMA_SQL_H
#define CAMPAIGN_SCHEMA_SQL_H

/// The text of schema.sql at the package root, NUL-terminated, embedded when the binary is built.
const char *campaign_schema_sql(void);

/// The text of schema.postgres.sql at the package root, NUL-terminated, embedded the same way.
const char *campaign_postgres_schema_sql(void);

#endif
