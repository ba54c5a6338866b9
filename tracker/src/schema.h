#pragma once

// Versioned schema of the SQLite store and its migrations.

#include <cstdint>
#include <string>

#include "sqlite_util.h"

namespace vigil::tracker::detail {

/// PRAGMA application_id of a vigil store ("VGIL").
constexpr std::int32_t kApplicationId = 0x5647494c;

/// Schema version this build reads and writes (PRAGMA user_version).
constexpr int kSchemaVersion = 6;

/// The version whose migration creates table run_params: upgrading a store across it fills
/// the table from the stored runs' params (in the migration's transaction, both backends).
constexpr int kParamRowsVersion = 6;

/// What check_schema found in an existing file.
struct SchemaState {
  int version = 0;     ///< 0 for a fresh (empty) file
  bool fresh = false;  ///< no tables and no application id: can be initialised
};

/// Reads the file's identity without writing to it. Throws StoreError naming `path` when
/// the file is not an SQLite database, is corrupt, belongs to another application, or has a
/// schema newer than kSchemaVersion.
SchemaState check_schema(Connection& db, const std::string& path);

/// Brings the schema from its current version to `target` (<= kSchemaVersion) in one
/// transaction, applying each step in order. Safe against a concurrent migration by
/// another process (the version is re-read inside the transaction).
void migrate(Connection& db, const std::string& path, int target = kSchemaVersion);

}  // namespace vigil::tracker::detail
