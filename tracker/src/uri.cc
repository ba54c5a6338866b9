// Store URI resolution and backend selection.

#include <cstdlib>

#include "backend.h"
#include "sqlite_backend.h"
#include "vigil/tracker/errors.h"
#include "vigil/tracker/store.h"

namespace vigil::tracker {

std::string Store::resolve_uri(std::string_view explicit_uri) {
  if (!explicit_uri.empty()) return std::string(explicit_uri);
  const char* env = std::getenv("VIGIL_STORE");
  if (env && *env) return env;
  return "./.vigil/vigil.db";
}

namespace detail {

StoreLocation parse_store_uri(const std::string& uri) {
  const std::string expected = "expected sqlite:///PATH or a plain path";
  if (uri.empty()) throw InvalidArgument("empty store URI: " + expected);
  auto sep = uri.find("://");
  bool has_scheme = sep != std::string::npos && sep > 0;
  for (std::size_t i = 0; has_scheme && i < sep; ++i) {
    char c = uri[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
    if (!ok) has_scheme = false;  // a path that merely contains "://"
  }
  if (!has_scheme) return {"sqlite", uri};
  std::string scheme = uri.substr(0, sep);
  if (scheme != "sqlite") {
    throw InvalidArgument("unsupported store URI '" + uri + "' (scheme '" + scheme +
                          "'): " + expected);
  }
  std::string path = uri.substr(sep + 3);
  if (path.size() < 2 || path[0] != '/') {
    throw InvalidArgument("invalid store URI '" + uri +
                          "': expected sqlite:///ABSOLUTE/PATH (three slashes) or a plain path");
  }
  return {"sqlite", path};
}

std::shared_ptr<Backend> open_backend(const std::string& uri, const StoreOptions& options) {
  StoreLocation location = parse_store_uri(uri);
  // Only "sqlite" gets here today; a new scheme adds a branch and its Backend class.
  return std::make_shared<SqliteBackend>(location.path, options.read_only);
}

std::string canonical_context(const nlohmann::json& context) {
  if (context.is_null() || (context.is_object() && context.empty())) return "{}";
  return context.dump();  // nlohmann objects keep keys sorted: dump() is canonical
}

}  // namespace detail
}  // namespace vigil::tracker
