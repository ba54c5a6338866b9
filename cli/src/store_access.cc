#include "store_access.h"

namespace vigil::cli {

tracker::Store open_store(const std::string& uri, StoreAccess access) {
  tracker::StoreOptions options;
  options.handle_signals = false;
  options.read_only = access == StoreAccess::kRead;
  return tracker::Store(tracker::Store::resolve_uri(uri), options);
}

}  // namespace vigil::cli
