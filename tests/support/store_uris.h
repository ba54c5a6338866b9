#pragma once

// The backends that store-level tests run on, for tests parameterised over backends
// (INSTANTIATE_TEST_SUITE_P(..., ::testing::ValuesIn(test_backends()))). SQLite always; a
// server backend joins the list where its fixture provides a server (e.g. PostgreSQL via
// VIGIL_TEST_POSTGRES_URI), and fresh_store_uri() learns to make an empty store on it.

#include <stdexcept>
#include <string>
#include <vector>

#include "temp_dir.h"

namespace vigil::testing {

/// Names of the backends to test ("sqlite", ...).
inline std::vector<std::string> test_backends() { return {"sqlite"}; }

/// The URI of a new, empty store on `backend`, distinct for each `name` within `dir`'s test.
/// Throws std::invalid_argument for a backend this helper does not know.
inline std::string fresh_store_uri(const std::string& backend, const TempDir& dir,
                                   const std::string& name) {
  if (backend == "sqlite") return dir.file(name + ".db");
  throw std::invalid_argument("fresh_store_uri: unknown test backend '" + backend + "'");
}

}  // namespace vigil::testing
