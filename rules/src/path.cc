#include "vigil/rules/path.h"

#include <string>
#include <utility>

#include "detail.h"
#include "vigil/rules/errors.h"

namespace vigil::rules {
namespace {

constexpr std::string_view kWildcard = "*";

constexpr const char* kAcceptedForms =
    "expected params.KEY[.KEY...], results.KEY[.KEY...] (a KEY may be *), "
    "metrics.SERIES.(last|min|max|count) or "
    "run.(name|experiment|id|status|host)";

[[noreturn]] void bad_path(std::string_view text, std::string_view why) {
  throw InvalidArgument("invalid path '" + std::string(text) + "' (" + std::string(why) +
                        "): " + kAcceptedForms);
}

std::vector<std::string> split_keys(std::string_view full, std::string_view rest) {
  std::vector<std::string> keys;
  std::size_t start = 0;
  while (true) {
    auto dot = rest.find('.', start);
    auto key = rest.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (key.empty()) bad_path(full, "empty key");
    keys.emplace_back(key);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return keys;
}

}  // namespace

ValuePath ValuePath::parse(std::string_view text) {
  ValuePath path;
  path.text_ = std::string(text);
  auto dot = text.find('.');
  if (dot == std::string_view::npos) bad_path(text, "no root");
  auto root = text.substr(0, dot);
  auto rest = text.substr(dot + 1);
  if (rest.empty()) bad_path(text, "nothing after the root");
  if (root == "params" || root == "results") {
    path.root_ = root == "params" ? Root::kParams : Root::kResults;
    path.keys_ = split_keys(text, rest);
  } else if (root == "metrics") {
    path.root_ = Root::kMetrics;
    if (rest.find('*') != std::string_view::npos) {
      bad_path(text, "a * key is allowed only in params and results paths");
    }
    auto last_dot = rest.rfind('.');
    if (last_dot == std::string_view::npos || last_dot == 0) bad_path(text, "no statistic");
    auto stat = rest.substr(last_dot + 1);
    if (stat != "last" && stat != "min" && stat != "max" && stat != "count") {
      bad_path(text, "unknown statistic '" + std::string(stat) + "'");
    }
    std::string series;
    try {
      series = detail::normalize_series(rest.substr(0, last_dot));
    } catch (const InvalidArgument& e) {
      bad_path(text, e.what());
    }
    path.keys_ = {std::move(series), std::string(stat)};
  } else if (root == "run") {
    path.root_ = Root::kRun;
    if (rest != "name" && rest != "experiment" && rest != "id" && rest != "status" &&
        rest != "host") {
      bad_path(text, "unknown run field '" + std::string(rest) + "'");
    }
    path.keys_ = {std::string(rest)};
  } else {
    bad_path(text, "unknown root '" + std::string(root) + "'");
  }
  return path;
}

bool ValuePath::has_wildcard() const noexcept {
  if (root_ != Root::kParams && root_ != Root::kResults) return false;
  for (const auto& key : keys_) {
    if (key == kWildcard) return true;
  }
  return false;
}

std::optional<nlohmann::json> ValuePath::lookup(const tracker::RunInfo& run) const {
  if (root_ == Root::kParams || root_ == Root::kResults) {
    auto all = lookup_all(run);
    if (all.empty()) return std::nullopt;
    return std::move(all.front().value);
  }
  return lookup_single(run);
}

std::vector<ResolvedValue> ValuePath::lookup_all(const tracker::RunInfo& run) const {
  std::vector<ResolvedValue> out;
  if (root_ == Root::kParams) {
    collect(run.params, 0, "params", out);
  } else if (root_ == Root::kResults) {
    collect(run.results, 0, "results", out);
  } else if (auto value = lookup_single(run)) {
    out.push_back({text_, std::move(*value)});
  }
  return out;
}

void ValuePath::collect(const nlohmann::json& node, std::size_t depth, const std::string& prefix,
                        std::vector<ResolvedValue>& out) const {
  if (depth == keys_.size()) {
    if (!node.is_null()) out.push_back({prefix, node});
    return;
  }
  if (!node.is_object()) return;
  const std::string& key = keys_[depth];
  if (key == kWildcard) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      collect(it.value(), depth + 1, prefix + "." + it.key(), out);
    }
    return;
  }
  auto it = node.find(key);
  if (it != node.end()) collect(*it, depth + 1, prefix + "." + key, out);
}

std::optional<nlohmann::json> ValuePath::lookup_single(const tracker::RunInfo& run) const {
  switch (root_) {
    case Root::kParams:
    case Root::kResults:
      return std::nullopt;  // collect() walks objects
    case Root::kMetrics: {
      const auto* summary = detail::find_series(run, keys_[0]);
      if (summary == nullptr || summary->count == 0) return std::nullopt;
      const auto& stat = keys_[1];
      if (stat == "count") return nlohmann::json(summary->count);
      if (stat == "last") return detail::number_json(summary->last);
      if (stat == "min") return detail::number_json(summary->min);
      return detail::number_json(summary->max);
    }
    case Root::kRun: {
      const auto& field = keys_[0];
      std::string value;
      if (field == "name") {
        value = run.name;
      } else if (field == "experiment") {
        value = run.experiment;
      } else if (field == "id") {
        value = run.id;
      } else if (field == "status") {
        value = std::string(tracker::to_string(run.status));
      } else {
        value = run.host;
      }
      if (value.empty()) return std::nullopt;
      return nlohmann::json(std::move(value));
    }
  }
  return std::nullopt;
}

std::optional<ResolvedValue> resolve(const PathAlternatives& paths, const tracker::RunInfo& run) {
  for (const auto& path : paths) {
    auto values = path.lookup_all(run);
    if (!values.empty()) return std::move(values.front());
  }
  return std::nullopt;
}

std::vector<ResolvedValue> resolve_all(const PathAlternatives& paths, const tracker::RunInfo& run) {
  for (const auto& path : paths) {
    auto values = path.lookup_all(run);
    if (!values.empty()) return values;
  }
  return {};
}

std::string describe(const PathAlternatives& paths) {
  std::string text;
  for (const auto& path : paths) {
    if (!text.empty()) text += " | ";
    text += path.text();
  }
  return text;
}

}  // namespace vigil::rules
