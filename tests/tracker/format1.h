#pragma once

// Turns a store's chunks into format 1, as a store written before format 2 has them, for the
// migration tests.

#include <sqlite3.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "chunk_codec.h"

namespace vigil::testing {

/// Rewrites every chunk of the store file in format 1 (same points). Returns how many.
inline int downgrade_chunks_to_format1(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + path);
  }
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  sqlite3_stmt* select = nullptr;
  sqlite3_stmt* update = nullptr;
  sqlite3_prepare_v2(db, "SELECT series_id, seq, data FROM chunks", -1, &select, nullptr);
  sqlite3_prepare_v2(db, "UPDATE chunks SET data = ?3 WHERE series_id = ?1 AND seq = ?2", -1,
                     &update, nullptr);
  int count = 0;
  while (sqlite3_step(select) == SQLITE_ROW) {
    const auto* blob = static_cast<const char*>(sqlite3_column_blob(select, 2));
    std::string data(blob, static_cast<std::size_t>(sqlite3_column_bytes(select, 2)));
    std::vector<tracker::MetricPoint> points;
    tracker::detail::decode_chunk(data, points);
    const std::string old = tracker::detail::encode_chunk_v1(points);
    sqlite3_bind_int64(update, 1, sqlite3_column_int64(select, 0));
    sqlite3_bind_int64(update, 2, sqlite3_column_int64(select, 1));
    sqlite3_bind_blob(update, 3, old.data(), static_cast<int>(old.size()), SQLITE_TRANSIENT);
    sqlite3_step(update);
    sqlite3_reset(update);
    ++count;
  }
  sqlite3_finalize(select);
  sqlite3_finalize(update);
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return count;
}

}  // namespace vigil::testing
