#include "SchemaSQL.h"

// schema.sql is the one source of truth for the database; the binary carries a copy of it so
// that it never needs the file at run time.
static const char schema[] = {
#embed "../../schema.sql"
    , 0
};

const char *campaign_schema_sql(void) { return schema; }

// schema.postgres.sql: the same tables and columns in PostgreSQL's dialect, carried the same way.
static const char postgres_schema[] = {
#embed "../../schema.postgres.sql"
    , 0
};

const char *campaign_postgres_schema_sql(void) { return postgres_schema; }
