#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "vigil/rules.h"

namespace vigil::rules::testing {

/// A run with the given params/results, named "reference-run", experiment "exp".
inline tracker::RunInfo make_run(nlohmann::json params = nlohmann::json::object(),
                                 nlohmann::json results = nlohmann::json::object()) {
  tracker::RunInfo run;
  run.id = "0123456789abcdef0123456789abcdef";
  run.name = "reference-run";
  run.experiment = "exp";
  run.created_at = 1000.0;
  run.params = std::move(params);
  run.results = std::move(results);
  return run;
}

/// Adds a series summary to `run`.
inline void add_series(tracker::RunInfo& run, const std::string& qualified_name, double last,
                       double min, double max, std::int64_t count = 10) {
  tracker::SeriesSummary summary;
  summary.key = tracker::SeriesKey::parse(qualified_name);
  summary.last = last;
  summary.min = min;
  summary.max = max;
  summary.count = count;
  run.metrics.push_back(summary);
}

/// Points held in memory, as the plugin would provide them.
class MemorySeries : public SeriesSource {
 public:
  std::map<std::string, std::vector<tracker::MetricPoint>> series;
  std::optional<std::vector<tracker::MetricPoint>> points(
      const tracker::SeriesKey& key) const override {
    auto it = series.find(key.qualified_name());
    if (it == series.end()) return std::nullopt;
    return it->second;
  }
};

/// One point; per-epoch when `epoch` is given.
inline tracker::MetricPoint point(std::int64_t step, double value,
                                  std::optional<std::int64_t> epoch = std::nullopt) {
  tracker::MetricPoint p;
  p.step = step;
  p.value = value;
  p.epoch = epoch;
  return p;
}

/// A rule set holding the given rule objects (a JSON array text or single object).
inline RuleSet rules_of(const nlohmann::json& rules,
                        nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json doc = std::move(extra);
  doc["rules"] = rules.is_array() ? rules : nlohmann::json::array({rules});
  return RuleSet::parse(doc.dump(2), "test-rules");
}

/// Evaluates one rule (JSON object) against `run`.
inline Report check_one(const nlohmann::json& rule, const tracker::RunInfo& run,
                        Phase phase = Phase::kAll) {
  EvaluationOptions options;
  options.phase = phase;
  return evaluate(rules_of(rule), run, options);
}

/// The problems of `text` (RuleSet::check), as one string for failure messages.
inline std::string problems_text(const std::vector<Problem>& problems) {
  std::string out;
  for (const auto& p : problems) out += p.to_string() + "\n";
  return out;
}

}  // namespace vigil::rules::testing
