#include "SchemaSQL.h"

// schema.sql is the one source of truth for the database; the binary carries a copy of it so
// that it never needs the file at run time.
static const char schema[] = {
#embed "../../schema.sql"
    , 0
};

const char *campaign_schema_sql(void) { return schema; }
