#pragma once

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "temp_dir.h"
#include "vigil/tracker.h"

namespace vigil::tracker {

/// A fresh store file per test, with a short flush interval and no signal handlers.
class StoreTest : public ::testing::Test {
 protected:
  static StoreOptions fast_options() {
    StoreOptions options;
    options.flush_interval = std::chrono::milliseconds(10);
    options.handle_signals = false;
    return options;
  }
  Store open(StoreOptions options = fast_options()) { return Store(path_, options); }

  testing::TempDir dir_;
  std::string path_ = dir_.file("store.db");
};

}  // namespace vigil::tracker
