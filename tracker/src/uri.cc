// Store URI resolution and backend selection.

#include <algorithm>
#include <cstdlib>

#include "backend.h"
#include "pg_backend.h"
#include "pg_util.h"
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

void Store::check_uri(const std::string& uri) { detail::parse_store_uri(uri); }

std::string Store::redact_uri(std::string_view uri) { return detail::redact_uri(uri); }

namespace detail {

StoreLocation parse_store_uri(const std::string& uri) {
  const std::string expected =
      "expected sqlite:///PATH, postgresql://[USER@]HOST[:PORT]/DBNAME or a plain path";
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
  if (scheme == "postgresql" || scheme == "postgres") {
    check_pg_uri(uri);
    return {"postgresql", uri};
  }
  if (scheme != "sqlite") {
    throw InvalidArgument("unsupported store URI '" + redact_uri(uri) + "' (scheme '" + scheme +
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
  if (location.scheme == "postgresql") {
    return std::make_shared<PgBackend>(location.path, options.read_only);
  }
  return std::make_shared<SqliteBackend>(location.path, options.read_only);
}

std::string redact_uri(std::string_view uri) {
  const std::size_t sep = uri.find("://");
  if (sep == std::string_view::npos) return std::string(uri);
  // Any URI with user info may carry a password (an unsupported scheme is printed too);
  // SQLite URIs and paths have none.
  if (uri.substr(0, sep) == "sqlite") return std::string(uri);
  std::string out(uri);
  // User info: between "://" and the last '@' before the path or query.
  const std::size_t start = sep + 3;
  const std::size_t end = std::min(out.find('/', start), out.find('?', start));
  const std::size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
  if (at != std::string::npos && at >= start) {
    const std::size_t colon = out.find(':', start);
    if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  // A password=... parameter.
  const std::size_t query = out.find('?');
  for (std::size_t pos = query; pos != std::string::npos && pos < out.size();) {
    const std::size_t name = pos + 1;
    if (out.compare(name, 9, "password=") == 0) {
      const std::size_t value = name + 9;
      const std::size_t stop = out.find('&', value);
      out.replace(value, (stop == std::string::npos ? out.size() : stop) - value, "***");
    }
    pos = out.find('&', name);
  }
  return out;
}

std::string canonical_context(const nlohmann::json& context) {
  if (context.is_null() || (context.is_object() && context.empty())) return "{}";
  return context.dump();  // nlohmann objects keep keys sorted: dump() is canonical
}

}  // namespace detail
}  // namespace vigil::tracker
