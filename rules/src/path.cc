#include "vigil/rules/path.h"

#include <string>
#include <utility>

#include "detail.h"
#include "vigil/rules/errors.h"

namespace vigil::rules {
namespace {

constexpr const char* kAcceptedForms =
    "expected params.KEY[.KEY...], results.KEY[.KEY...], metrics.SERIES.(last|min|max|count) or "
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

std::optional<nlohmann::json> ValuePath::lookup(const tracker::RunInfo& run) const {
  switch (root_) {
    case Root::kParams:
    case Root::kResults: {
      const nlohmann::json* node = root_ == Root::kParams ? &run.params : &run.results;
      for (const auto& key : keys_) {
        if (!node->is_object()) return std::nullopt;
        auto it = node->find(key);
        if (it == node->end()) return std::nullopt;
        node = &*it;
      }
      if (node->is_null()) return std::nullopt;
      return *node;
    }
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
    if (auto value = path.lookup(run)) return ResolvedValue{path.text(), std::move(*value)};
  }
  return std::nullopt;
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
