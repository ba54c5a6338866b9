#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "vigil/tracker/query.h"
#include "vigil/tracker/types.h"

namespace vigil::ui {

/// Query-string parameters as parsed by the HTTP server (a key may repeat).
using QueryParams = std::multimap<std::string, std::string>;

/// Parses the query string of a request target ("/api/runs?a=1&b=x%3Dy"): pairs split at '&',
/// key and value split at the FIRST '=' (so "param=lr==0.1" keeps its "=="), both
/// percent-decoded with '+' as space. httplib's own parser splits at every '='.
QueryParams parse_query_string(std::string_view target);

/// A column to sort runs by: a fixed field, a param path or a metric's last value.
struct SortKey {
  enum class Kind { kField, kParam, kMetric };
  Kind kind = Kind::kField;
  std::string name;  ///< field name, dotted param path or qualified metric name
};

/// A parsed GET /api/runs request: the tracker filter plus the dashboard's paging and sorting.
struct RunsQuery {
  tracker::RunFilter filter;    ///< what to list (limit applied by paging, see below)
  std::optional<SortKey> sort;  ///< none = newest first (the store's order)
  bool descending = false;      ///< sort direction when `sort` is set
  std::size_t offset = 0;       ///< runs to skip after sorting
  std::size_t limit = 0;        ///< page size; 0 = all
  bool facets = false;          ///< also report param paths, metric names and tags
};

/// Parses the parameters of GET /api/runs: experiment, name, tag*, status* (also
/// comma-separated), since, until, param*, metric*, verdict, id*, limit, offset, sort, order,
/// facets (* = repeatable); `token` is ignored. Throws HttpError(400) naming the parameter and
/// what was expected for any malformed or unknown parameter.
RunsQuery parse_runs_query(const QueryParams& params);

/// Indices of `runs` in the order of `key` (stable; runs lacking the value go last in both
/// directions).
std::vector<std::size_t> sorted_order(const std::vector<tracker::RunInfo>& runs, const SortKey& key,
                                      bool descending);

/// The filter part of a /api/runs query as one canonical string (paging, sorting, facets and
/// token left out), to recognise the same listing.
std::string filter_key(const QueryParams& params);

/// {"params": [leaf paths], "metrics": [qualified names], "tags": [tags]} over `runs`, each
/// sorted and capped at a few hundred entries, for the dashboard's column and tag pickers.
nlohmann::json runs_facets(const std::vector<tracker::RunInfo>& runs);

/// The value at dotted `path` in `params`, or nullptr when absent.
const nlohmann::json* find_param(const nlohmann::json& params, const std::string& path);

}  // namespace vigil::ui
