#include "vigil/rules/rule.h"

#include <string>
#include <utility>

#include "detail.h"
#include "vigil/rules/errors.h"

namespace vigil::rules {

Outcome Outcome::failed(std::string path, std::string message, nlohmann::json actual,
                        std::string expected) {
  Outcome outcome;
  outcome.status = Status::kFailed;
  outcome.path = std::move(path);
  outcome.message = std::move(message);
  outcome.actual = std::move(actual);
  outcome.expected = std::move(expected);
  return outcome;
}

Outcome Outcome::not_evaluable(std::string path, std::string message, nlohmann::json actual,
                               std::string expected) {
  Outcome outcome =
      failed(std::move(path), std::move(message), std::move(actual), std::move(expected));
  outcome.status = Status::kNotEvaluable;
  return outcome;
}

Outcome Outcome::missing(std::string path, std::string message, std::string expected) {
  Outcome outcome = failed(std::move(path), std::move(message), nullptr, std::move(expected));
  outcome.status = Status::kMissing;
  return outcome;
}

// Post-hoc replay of a during-training rule: feed the stored points, in step order, through a
// fresh monitor, exactly as the live loop would have.
Outcome Rule::evaluate(const RunContext& ctx) const {
  auto monitor = start_monitor();
  const auto metrics = watched_metrics();
  if (!monitor || metrics.empty()) {
    return Outcome::not_evaluable(
        target(), "rule kind '" + info().kind + "' implements neither evaluate() nor a monitor");
  }
  if (ctx.series() == nullptr) {  // the points are missing from this evaluation
    return Outcome::missing(target(),
                            "no metric points to replay (evaluate with a Store or a SeriesSource)");
  }
  bool replayed = false;
  for (const auto& metric : detail::replay_series(ctx.run(), metrics)) {
    auto points = ctx.series()->points(tracker::SeriesKey::parse(metric));
    if (!points) continue;
    replayed = true;
    for (const auto& point : *points) {
      Observation observation;
      observation.metric = metric;
      observation.per_epoch = point.epoch.has_value();
      observation.index = point.epoch.value_or(point.step);
      observation.value = point.value;
      auto outcome = monitor->observe(observation);
      if (!outcome.ok()) {
        if (!outcome.step) outcome.step = observation.index;
        return outcome;
      }
    }
  }
  if (!replayed) {
    return Outcome::missing(target(), metrics.size() == 1 && !detail::is_series_pattern(metrics[0])
                                          ? "the run has no metric series '" + metrics[0] + "'"
                                          : "the run has no metric series matching " + target());
  }
  return Outcome::passed();
}

Phase Rule::phase_of(const PathAlternatives& paths) noexcept {
  for (const auto& path : paths) {
    if (path.needs_results()) return Phase::kPost;
  }
  return Phase::kPre;
}

Phase Rule::phase_of(const std::vector<PathAlternatives>& path_lists) noexcept {
  for (const auto& paths : path_lists) {
    if (phase_of(paths) == Phase::kPost) return Phase::kPost;
  }
  return Phase::kPre;
}

}  // namespace vigil::rules
