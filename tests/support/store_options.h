#pragma once

// StoreOptions for tests: a fast flush and no signal handlers (the test runner owns signals).

#include <chrono>

#include "vigil/tracker/store.h"

namespace vigil::testing {

inline tracker::StoreOptions quiet_store_options() {
  tracker::StoreOptions options;
  options.flush_interval = std::chrono::milliseconds(10);
  options.handle_signals = false;
  return options;
}

}  // namespace vigil::testing
