#pragma once

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "store_options.h"
#include "store_uris.h"
#include "temp_dir.h"
#include "vigil/tracker.h"

namespace vigil::tracker {

/// Options for tests: a short flush interval and no signal handlers.
inline StoreOptions fast_store_options() { return testing::quiet_store_options(); }

/// A fresh store per test on the backend of the test's parameter ("sqlite" or "postgresql";
/// instantiate with testing::test_backends()). path_ is its URI.
class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  static StoreOptions fast_options() { return fast_store_options(); }
  Store open(StoreOptions options = fast_options()) { return Store(path_, options); }
  bool sqlite() const { return GetParam() == "sqlite"; }

  testing::TempDir dir_;
  std::string path_ = testing::fresh_store_uri(GetParam(), dir_, "store");
};

/// A fresh SQLite store file per test, for tests of the file itself (schema, migration).
class SqliteStoreTest : public ::testing::Test {
 protected:
  static StoreOptions fast_options() { return fast_store_options(); }
  Store open(StoreOptions options = fast_options()) { return Store(path_, options); }

  testing::TempDir dir_;
  std::string path_ = dir_.file("store.db");
};

/// Instantiates the TEST_Ps of `suite` on every test backend, named after the backend.
#define VIGIL_ON_EVERY_BACKEND(suite)                                              \
  INSTANTIATE_TEST_SUITE_P(Backends, suite,                                        \
                           ::testing::ValuesIn(::vigil::testing::test_backends()), \
                           [](const auto& param_info) { return param_info.param; })

}  // namespace vigil::tracker
