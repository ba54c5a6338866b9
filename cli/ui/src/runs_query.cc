#include "runs_query.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>
#include <set>
#include <string_view>
#include <utility>

#include "http_error.h"
#include "vigil/tracker/errors.h"

namespace vigil::ui {
namespace {

constexpr std::size_t kMaxFacetEntries = 500;
constexpr int kMaxFacetDepth = 6;
constexpr std::size_t kMaxLimit = 1'000'000;

const std::set<std::string_view> kKnownParams = {
    "experiment", "name", "tag",   "status", "since", "until", "param",  "metric",
    "verdict",    "id",   "limit", "offset", "sort",  "order", "facets", "token"};

std::vector<std::string> values_of(const QueryParams& params, const std::string& key) {
  std::vector<std::string> values;
  const auto [begin, end] = params.equal_range(key);
  for (auto it = begin; it != end; ++it) values.push_back(it->second);
  return values;
}

std::optional<std::string> single_value(const QueryParams& params, const std::string& key) {
  const auto values = values_of(params, key);
  if (values.empty()) return std::nullopt;
  if (values.size() > 1) {
    throw HttpError(400, "parameter '" + key + "' was given " + std::to_string(values.size()) +
                             " times; expected it at most once");
  }
  return values.front();
}

std::size_t parse_count(const std::string& key, const std::string& text) {
  const bool digits =
      !text.empty() && text.size() <= 9 &&
      std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
  if (!digits || std::stoul(text) > kMaxLimit) {
    throw HttpError(400, "parameter '" + key + "' is '" + text +
                             "'; expected a whole number from 0 to " + std::to_string(kMaxLimit));
  }
  return std::stoul(text);
}

bool parse_bool(const std::string& key, const std::string& text) {
  if (text == "1" || text == "true") return true;
  if (text == "0" || text == "false") return false;
  throw HttpError(400, "parameter '" + key + "' is '" + text + "'; expected 1, 0, true or false");
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find(',', start), text.size());
    if (end > start) parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// Runs tracker parsing, turning its InvalidArgument into a 400 that names the parameter.
template <typename Fn>
auto parse_with(const std::string& key, Fn&& fn) {
  try {
    return fn();
  } catch (const tracker::InvalidArgument& e) {
    throw HttpError(400, "parameter '" + key + "': " + e.what());
  }
}

tracker::Timestamp parse_bound(const std::string& key, const std::string& text,
                               tracker::TimeBound bound) {
  return parse_with(key, [&] { return tracker::parse_time_bound(text, bound); });
}

SortKey parse_sort(const std::string& text) {
  static const std::set<std::string_view> kFields = {
      "name", "experiment", "status", "created_at", "duration", "verdict", "score", "tags"};
  if (text.rfind("param:", 0) == 0 && text.size() > 6) {
    return {SortKey::Kind::kParam, text.substr(6)};
  }
  if (text.rfind("metric:", 0) == 0 && text.size() > 7) {
    return {SortKey::Kind::kMetric, text.substr(7)};
  }
  if (kFields.count(text) != 0) return {SortKey::Kind::kField, text};
  throw HttpError(400, "parameter 'sort' is '" + text +
                           "'; expected name, experiment, status, created_at, duration, verdict, "
                           "score, tags, param:PATH or metric:NAME");
}

// Missing values are nullopt; NaN counts as missing so it never lands between numbers.
std::optional<nlohmann::json> sort_value(const tracker::RunInfo& run, const SortKey& key) {
  switch (key.kind) {
    case SortKey::Kind::kParam: {
      const auto* value = find_param(run.params, key.name);
      if (value == nullptr || value->is_null()) return std::nullopt;
      return *value;
    }
    case SortKey::Kind::kMetric:
      for (const auto& summary : run.metrics) {
        if (summary.key.qualified_name() == key.name) {
          if (std::isnan(summary.last)) return std::nullopt;
          return summary.last;
        }
      }
      return std::nullopt;
    case SortKey::Kind::kField:
      break;
  }
  if (key.name == "name") return run.name;
  if (key.name == "experiment") return run.experiment;
  if (key.name == "status") return std::string(tracker::to_string(run.status));
  if (key.name == "created_at") return run.created_at;
  if (key.name == "duration") {
    if (!run.finished_at) return std::nullopt;
    return *run.finished_at - run.started_at;
  }
  if (key.name == "verdict") {
    if (!run.verdict) return std::nullopt;
    return *run.verdict;
  }
  if (key.name == "score") {
    if (!run.score) return std::nullopt;
    return *run.score;
  }
  std::string joined;
  for (const auto& tag : run.tags) joined += tag + ",";
  return joined;
}

// Numbers (and booleans) before strings; other JSON compares by its text.
int compare_json(const nlohmann::json& a, const nlohmann::json& b) {
  const auto rank = [](const nlohmann::json& v) {
    return v.is_number() || v.is_boolean() ? 0 : v.is_string() ? 1 : 2;
  };
  if (rank(a) != rank(b)) return rank(a) < rank(b) ? -1 : 1;
  if (rank(a) == 0) {
    const double x = a.is_boolean() ? double(a.get<bool>()) : a.get<double>();
    const double y = b.is_boolean() ? double(b.get<bool>()) : b.get<double>();
    return x < y ? -1 : (y < x ? 1 : 0);
  }
  const auto x = rank(a) == 1 ? a.get<std::string>() : a.dump();
  const auto y = rank(b) == 1 ? b.get<std::string>() : b.dump();
  return x.compare(y) < 0 ? -1 : (x == y ? 0 : 1);
}

void collect_paths(const nlohmann::json& value, const std::string& prefix, int depth,
                   std::set<std::string>& out) {
  if (value.is_object() && !value.empty() && depth < kMaxFacetDepth) {
    for (const auto& [key, child] : value.items()) {
      if (out.size() >= kMaxFacetEntries) return;
      collect_paths(child, prefix.empty() ? key : prefix + "." + key, depth + 1, out);
    }
  } else if (!prefix.empty()) {
    out.insert(prefix);
  }
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
               hex_digit(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

QueryParams parse_query_string(std::string_view target) {
  QueryParams params;
  const auto mark = target.find('?');
  if (mark == std::string_view::npos) return params;
  auto query = target.substr(mark + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    const auto end = std::min(query.find('&'), query.size());
    const auto pair = query.substr(0, end);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      params.emplace(percent_decode(pair.substr(0, eq)), eq == std::string_view::npos
                                                             ? std::string()
                                                             : percent_decode(pair.substr(eq + 1)));
    }
    query = end < query.size() ? query.substr(end + 1) : std::string_view();
  }
  return params;
}

const nlohmann::json* find_param(const nlohmann::json& params, const std::string& path) {
  const nlohmann::json* node = &params;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = std::min(path.find('.', start), path.size());
    if (!node->is_object()) return nullptr;
    const auto it = node->find(path.substr(start, end - start));
    if (it == node->end()) return nullptr;
    node = &*it;
    start = end + 1;
  }
  return node;
}

RunsQuery parse_runs_query(const QueryParams& params) {
  for (const auto& [key, value] : params) {
    if (kKnownParams.count(key) == 0) {
      throw HttpError(400, "unknown parameter '" + key +
                               "'; expected experiment, name, tag, status, since, until, param, "
                               "metric, verdict, id, limit, offset, sort, order or facets");
    }
  }
  RunsQuery query;
  auto& filter = query.filter;
  filter.experiment = single_value(params, "experiment");
  if (auto name = single_value(params, "name"); name && !name->empty()) filter.name_contains = name;
  filter.tags = values_of(params, "tag");
  filter.ids = values_of(params, "id");
  for (const auto& value : values_of(params, "status")) {
    for (const auto& part : split_commas(value)) {
      filter.statuses.push_back(
          parse_with("status", [&] { return tracker::parse_run_status(part); }));
    }
  }
  if (auto since = single_value(params, "since")) {
    filter.created_since = parse_bound("since", *since, tracker::TimeBound::kStart);
  }
  if (auto until = single_value(params, "until")) {
    filter.created_until = parse_bound("until", *until, tracker::TimeBound::kEnd);
  }
  for (const auto& text : values_of(params, "param")) {
    filter.params.push_back(
        parse_with("param", [&] { return tracker::ParamCondition::parse(text); }));
  }
  for (const auto& text : values_of(params, "metric")) {
    filter.metrics.push_back(
        parse_with("metric", [&] { return tracker::MetricCondition::parse(text); }));
  }
  if (auto verdict = single_value(params, "verdict")) {
    std::string upper = *verdict;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (upper != "PASS" && upper != "FAIL") {
      throw HttpError(400, "parameter 'verdict' is '" + *verdict + "'; expected PASS or FAIL");
    }
    filter.verdict = upper;
  }
  if (auto limit = single_value(params, "limit")) query.limit = parse_count("limit", *limit);
  if (auto offset = single_value(params, "offset")) query.offset = parse_count("offset", *offset);
  if (auto sort = single_value(params, "sort")) query.sort = parse_sort(*sort);
  if (auto order = single_value(params, "order")) {
    if (*order != "asc" && *order != "desc") {
      throw HttpError(400, "parameter 'order' is '" + *order + "'; expected asc or desc");
    }
    query.descending = *order == "desc";
  }
  if (auto facets = single_value(params, "facets")) query.facets = parse_bool("facets", *facets);
  return query;
}

std::vector<std::size_t> sorted_order(const std::vector<tracker::RunInfo>& runs, const SortKey& key,
                                      bool descending) {
  std::vector<std::size_t> order(runs.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  // The store lists newest first, so that order needs no work.
  if (key.kind == SortKey::Kind::kField && key.name == "created_at" && descending) return order;
  std::vector<std::optional<nlohmann::json>> values;
  values.reserve(runs.size());
  for (const auto& run : runs) values.push_back(sort_value(run, key));
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const auto& x = values[a];
    const auto& y = values[b];
    if (!x || !y) return x.has_value() && !y.has_value();
    const int cmp = compare_json(*x, *y);
    return descending ? cmp > 0 : cmp < 0;
  });
  return order;
}

std::string filter_key(const QueryParams& params) {
  static const std::set<std::string_view> kNotFilters = {"limit", "offset", "sort",
                                                         "order", "facets", "token"};
  std::string key;
  for (const auto& [name, value] : params) {  // a multimap: sorted by name, stable per name
    if (kNotFilters.count(name) != 0) continue;
    key += name;
    key += '\x1f';
    key += value;
    key += '\x1e';
  }
  return key;
}

nlohmann::json runs_facets(const std::vector<tracker::RunInfo>& runs) {
  std::set<std::string> params;
  std::set<std::string> metrics;
  std::set<std::string> tags;
  for (const auto& run : runs) {
    if (params.size() < kMaxFacetEntries) collect_paths(run.params, "", 0, params);
    for (const auto& summary : run.metrics) {
      if (metrics.size() >= kMaxFacetEntries) break;
      metrics.insert(summary.key.qualified_name());
    }
    for (const auto& tag : run.tags) {
      if (tags.size() >= kMaxFacetEntries) break;
      tags.insert(tag);
    }
  }
  return {{"params", params}, {"metrics", metrics}, {"tags", tags}};
}

}  // namespace vigil::ui
