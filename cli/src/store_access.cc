#include "store_access.h"

namespace vigil::cli {

tracker::Store open_store(const std::string& uri, StoreAccess access) {
  tracker::StoreOptions options;
  options.handle_signals = false;
  options.read_only = true;
  std::string resolved = tracker::Store::resolve_uri(uri);
  if (access == StoreAccess::kRead) return tracker::Store(resolved, options);
  // Open read-only first: a mistyped --store must fail ("does not exist"), not silently
  // create an empty store that a tag or validate command would then write to.
  try {
    tracker::Store probe(resolved, options);
  } catch (const tracker::StoreNeedsUpgrade&) {
    // It exists; opening it for writing below upgrades it.
  }
  options.read_only = false;
  return tracker::Store(resolved, options);
}

}  // namespace vigil::cli
