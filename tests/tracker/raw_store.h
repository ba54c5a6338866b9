#pragma once

// Direct SQL on a test store of either backend, for tests that inspect or tamper with it
// (the SQL must be valid on both: plain UPDATE/SELECT on vigil's tables).

#include <libpq-fe.h>

#include <stdexcept>
#include <string>

#include "raw_sqlite.h"

namespace vigil::testing {

inline bool is_postgres_uri(const std::string& uri) {
  return uri.rfind("postgresql://", 0) == 0 || uri.rfind("postgres://", 0) == 0;
}

/// First column of the first row of `sql` on the store at `uri`, as text ("" when no row).
inline std::string store_query(const std::string& uri, const std::string& sql) {
  if (!is_postgres_uri(uri)) return raw_query(uri, sql);
  PGconn* conn = PQconnectdb(uri.c_str());
  PGresult* result = PQexec(conn, sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  std::string value, error;
  if (status == PGRES_TUPLES_OK && PQntuples(result) > 0) value = PQgetvalue(result, 0, 0);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) error = PQerrorMessage(conn);
  PQclear(result);
  PQfinish(conn);
  if (!error.empty()) throw std::runtime_error("store_query: " + sql + ": " + error);
  return value;
}

/// Runs `sql` on the store at `uri` (no result).
inline void store_exec(const std::string& uri, const std::string& sql) {
  if (!is_postgres_uri(uri)) return raw_exec(uri, sql);
  (void)store_query(uri, sql);
}

}  // namespace vigil::testing
