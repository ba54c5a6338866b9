#pragma once

// The backends that store-level tests run on, for tests parameterised over backends
// (INSTANTIATE_TEST_SUITE_P(..., ::testing::ValuesIn(test_backends()))): SQLite always, and
// PostgreSQL unless VIGIL_TEST_POSTGRES=off. The PostgreSQL server comes from the ctest
// fixture `postgres` (scripts/pg_test_cluster.sh, which writes the server's URI to the file
// named by VIGIL_TEST_POSTGRES_URI_FILE) or from VIGIL_TEST_POSTGRES_URI
// (postgresql://USER@HOST:PORT, a superuser, without database). Without either, a PostgreSQL
// test fails: it never skips silently. Test binaries using this header link libpq.

#include <libpq-fe.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "temp_dir.h"

namespace vigil::testing {

/// False when the user turned the PostgreSQL tests off (VIGIL_TEST_POSTGRES=off).
inline bool postgres_tests_enabled() {
  const char* flag = std::getenv("VIGIL_TEST_POSTGRES");
  return !(flag && std::string(flag) == "off");
}

/// Names of the backends to test ("sqlite", "postgresql").
inline std::vector<std::string> test_backends() {
  if (!postgres_tests_enabled()) return {"sqlite"};
  return {"sqlite", "postgresql"};
}

/// The test server's URI without a database (postgresql://vigil@127.0.0.1:PORT).
inline std::string postgres_server_uri() {
  if (const char* uri = std::getenv("VIGIL_TEST_POSTGRES_URI"); uri && *uri) return uri;
  const char* file = std::getenv("VIGIL_TEST_POSTGRES_URI_FILE");
  std::string uri;
  if (file && *file) {
    std::ifstream in(file);
    std::getline(in, uri);
  }
  if (uri.empty()) {
    throw std::runtime_error(
        "no PostgreSQL test server: run the tests with ctest (fixture postgres.start runs "
        "scripts/pg_test_cluster.sh), or set VIGIL_TEST_POSTGRES_URI=postgresql://USER@HOST:PORT, "
        "or VIGIL_TEST_POSTGRES=off to skip the PostgreSQL tests");
  }
  return uri;
}

/// Runs `sql` (one or more statements) on `database` of the test server as its superuser;
/// returns the first column of the first row of the last result as an integer (0 when there
/// is none). Throws std::runtime_error with the server's message.
inline long long postgres_count(const std::string& sql,
                                const std::string& database = "vigil_test") {
  const std::string uri = postgres_server_uri() + "/" + database;
  PGconn* conn = PQconnectdb(uri.c_str());
  std::string error;
  long long value = 0;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = "cannot connect to the PostgreSQL test server " + uri + ": " + PQerrorMessage(conn);
  } else {
    PGresult* result = PQexec(conn, sql.c_str());
    const ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      error = "'" + sql + "' failed: " + PQerrorMessage(conn);
    } else if (status == PGRES_TUPLES_OK && PQntuples(result) > 0 && !PQgetisnull(result, 0, 0)) {
      value = std::stoll(PQgetvalue(result, 0, 0));
    }
    PQclear(result);
  }
  PQfinish(conn);
  if (!error.empty()) throw std::runtime_error(error);
  return value;
}

/// Runs `sql` on `database` of the test server as its superuser (see postgres_count).
inline void postgres_admin(const std::string& sql, const std::string& database = "postgres") {
  (void)postgres_count(sql, database);
}

/// A new, empty store on the test server: a schema of its own in database vigil_test
/// (created by scripts/pg_test_cluster.sh), named by the URI's search_path (a store lives in
/// the connection's current schema). Schemas are much faster to create than databases.
inline std::string fresh_postgres_store() {
  static std::atomic<unsigned> counter{0};
  std::random_device seed;
  const std::string name =
      "store_" + std::to_string(seed()) + "_" + std::to_string(counter.fetch_add(1));
  postgres_admin("CREATE SCHEMA " + name, "vigil_test");
  return postgres_server_uri() + "/vigil_test?options=-csearch_path%3D" + name;
}

/// The URI of a new, empty store on `backend`, distinct for each `name` within `dir`'s test.
/// Throws std::invalid_argument for a backend this helper does not know.
inline std::string fresh_store_uri(const std::string& backend, const TempDir& dir,
                                   const std::string& name) {
  if (backend == "sqlite") return dir.file(name + ".db");
  if (backend == "postgresql") return fresh_postgres_store();
  throw std::invalid_argument("fresh_store_uri: unknown test backend '" + backend + "'");
}

}  // namespace vigil::testing
