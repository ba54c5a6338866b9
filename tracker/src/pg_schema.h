#pragma once

// Versioned schema of the PostgreSQL store (tables in the connection's current schema, i.e.
// the first entry of search_path).

#include <string>

#include "pg_util.h"

namespace vigil::tracker::detail {

/// Schema version this build reads and writes (row of table vigil_schema).
constexpr int kPgSchemaVersion = 6;

/// Checks the stored schema and, unless `read_only`, creates or upgrades it to
/// kPgSchemaVersion. Many processes may call this at once on an empty database: the first
/// creates the tables under an advisory lock, the others wait and find them. Throws
/// StoreError naming `display` when the schema is newer than this build ("upgrade vigil"),
/// missing or older in read-only mode, or cannot be created. Returns the stored version.
int ensure_pg_schema(PgConnection& conn, const std::string& display, bool read_only);

/// The stored schema version (0: none).
int pg_schema_version(PgConnection& conn);

}  // namespace vigil::tracker::detail
