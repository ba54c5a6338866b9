#pragma once

#include <string>

#include "vigil/tracker/store.h"

namespace vigil::cli {

/// What a command does with the store.
enum class StoreAccess { kRead, kWrite };

/// Opens the store named by --store (or its default) for a short-lived command: no signal
/// handlers (the CLI never has live runs), read-only for kRead; neither access creates a
/// missing store (an error naming the path instead). Throws what tracker::Store's
/// constructor throws.
tracker::Store open_store(const std::string& uri, StoreAccess access);

}  // namespace vigil::cli
