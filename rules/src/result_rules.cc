// Post-training rules: metric_threshold (a metric summary against a bound) and baseline (against
// the best earlier PASS run of the same experiment).
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "detail.h"
#include "vigil/rules/baseline.h"
#include "vigil/tracker/store.h"

namespace vigil::rules::detail {
namespace {

class MetricThresholdRule : public Rule {
 public:
  MetricThresholdRule(std::string metric, std::string stat, bool maximize, double threshold,
                      bool inclusive)
      : Rule(Phase::kPost),
        metric_(std::move(metric)),
        stat_(std::move(stat)),
        maximize_(maximize),
        threshold_(threshold),
        inclusive_(inclusive) {}

  Outcome evaluate(const RunContext& ctx) const override {
    const auto* summary = find_series(ctx.run(), metric_);
    if (summary == nullptr || summary->count == 0) {
      return Outcome::missing(metric_, "the run has no metric series '" + metric_ + "'",
                              condition());
    }
    const std::string stat = stat_ == "best" ? (maximize_ ? "max" : "min") : stat_;
    const double v = stat == "last" ? summary->last : stat == "min" ? summary->min : summary->max;
    // NaN fails every bound: a NaN final loss is a failure, not a missing value.
    const bool ok = maximize_ ? (inclusive_ ? v >= threshold_ : v > threshold_)
                              : (inclusive_ ? v <= threshold_ : v < threshold_);
    if (ok) return Outcome::passed();
    return Outcome::failed(
        metric_, stat_ + " of " + metric_ + " = " + number_text(v) + ", expected " + bound_text(),
        number_json(v), bound_text());
  }
  std::string target() const override { return metric_ + " (" + stat_ + ")"; }
  std::string condition() const override { return stat_ + " " + bound_text(); }

 private:
  std::string bound_text() const {
    return std::string(maximize_ ? (inclusive_ ? ">= " : "> ") : (inclusive_ ? "<= " : "< ")) +
           number_text(threshold_);
  }
  std::string metric_;
  std::string stat_;
  bool maximize_;
  double threshold_;
  bool inclusive_;
};

class BaselineRule : public Rule {
 public:
  enum class OnMissing { kPass, kWarn, kFail };

  BaselineRule(PathAlternatives paths, bool maximize, double min_improvement,
               double min_relative_improvement, OnMissing on_missing)
      : Rule(Phase::kPost),
        paths_(std::move(paths)),
        maximize_(maximize),
        min_improvement_(min_improvement),
        min_relative_improvement_(min_relative_improvement),
        on_missing_(on_missing) {}

  Outcome evaluate(const RunContext& ctx) const override {
    auto found = ctx.resolve(paths_);
    if (!found)
      return Outcome::missing(describe(paths_), "none of " + describe(paths_) + " is set");
    auto value = as_number(found->value);
    if (!value) {
      return Outcome::not_evaluable(
          found->path, found->path + " is " + describe_type(found->value) + ", expected a number",
          found->value);
    }
    if (ctx.store() == nullptr && ctx.baseline_run() == nullptr) {
      return Outcome::not_evaluable(
          found->path, "no store to look up baseline runs (evaluate with a Store)", found->value);
    }
    const auto best_run = best_baseline(ctx);
    const std::optional<double> best =
        best_run ? std::optional<double>(best_run->value) : std::nullopt;
    const auto& run = ctx.run();
    if (!best) {
      const std::string message =
          ctx.baseline_run() != nullptr
              ? "the baseline run " + ctx.baseline_run()->id.substr(0, 8) + " has no finite " +
                    describe(paths_) + " to compare with"
              : "no " + std::string(ctx.baseline_any_time() ? "" : "earlier ") +
                    "PASS run of experiment '" + run.experiment + "' with " + describe(paths_) +
                    " to compare with";
      if (on_missing_ == OnMissing::kPass) return Outcome::passed();
      auto outcome = Outcome::failed(found->path, message, found->value, "an earlier PASS run");
      if (on_missing_ == OnMissing::kWarn) outcome.severity = Severity::kWarning;
      return outcome;
    }
    const double absolute = maximize_ ? *best + min_improvement_ : *best - min_improvement_;
    const double relative = maximize_ ? *best + min_relative_improvement_ * std::fabs(*best)
                                      : *best - min_relative_improvement_ * std::fabs(*best);
    const double needed = maximize_ ? std::max(absolute, relative) : std::min(absolute, relative);
    const bool ok = maximize_ ? *value >= needed : *value <= needed;
    const std::string expected = (maximize_ ? ">= " : "<= ") + number_text(needed) + " (baseline " +
                                 number_text(*best) + " of run " + best_run->run + ")";
    if (ok) return Outcome::passed();
    return Outcome::failed(found->path,
                           found->path + " = " + number_text(*value) + ", expected " + expected,
                           found->value, expected);
  }
  std::string target() const override { return describe(paths_); }
  std::string condition() const override {
    std::string text = maximize_ ? ">= best earlier PASS run" : "<= best earlier PASS run";
    if (min_improvement_ != 0) {
      text += (maximize_ ? " + " : " - ") + number_text(min_improvement_);
    }
    if (min_relative_improvement_ != 0) {
      text += ", by " + number_text(min_relative_improvement_ * 100) + "%";
    }
    const char* missing = on_missing_ == OnMissing::kPass   ? "pass"
                          : on_missing_ == OnMissing::kWarn ? "warn"
                                                            : "fail";
    return text + "; none: " + missing;
  }

 private:
  // A candidate's finite number at the rule's paths.
  std::optional<double> value_of(const tracker::RunInfo& candidate) const {
    auto other = rules::resolve(paths_, candidate);
    if (!other) return std::nullopt;
    auto number = as_number(other->value);
    if (!number || !std::isfinite(*number)) return std::nullopt;
    return number;
  }

  static BaselineRuns::Best best_of(const tracker::RunInfo& candidate, double value) {
    return {value,
            candidate.id.substr(0, 8) + (candidate.name.empty() ? "" : " " + candidate.name)};
  }

  // What the run is compared with: the caller's baseline run (whatever its verdict), else the
  // best value among the PASS runs of the run's experiment created before it (among all of
  // them with baseline_any_time, or when the run has no creation time), with the run that has
  // it; the newest on ties.
  std::optional<BaselineRuns::Best> best_baseline(const RunContext& ctx) const {
    const auto& run = ctx.run();
    if (const tracker::RunInfo* chosen = ctx.baseline_run()) {
      const auto number = value_of(*chosen);
      if (!number) return std::nullopt;
      return best_of(*chosen, *number);
    }
    const bool earlier_only = !ctx.baseline_any_time() && run.created_at > 0;
    if (ctx.baselines() != nullptr && !ctx.baseline_any_time()) {
      return ctx.baselines()->best_before(run, describe(paths_), maximize_,
                                          [this](const auto& c) { return value_of(c); });
    }
    tracker::RunFilter filter;
    filter.experiment = run.experiment;
    filter.verdict = std::string(tracker::kPassVerdict);
    if (earlier_only) filter.created_until = run.created_at;
    std::optional<BaselineRuns::Best> best;
    for (const auto& candidate : ctx.store()->list_runs(filter)) {  // newest first
      if (candidate.id == run.id) continue;
      if (earlier_only && !(candidate.created_at < run.created_at)) continue;
      const auto number = value_of(candidate);
      if (!number) continue;
      if (!best || (maximize_ ? *number > best->value : *number < best->value)) {
        best = best_of(candidate, *number);
      }
    }
    return best;
  }

  PathAlternatives paths_;
  bool maximize_;
  double min_improvement_;
  double min_relative_improvement_;
  OnMissing on_missing_;
};

}  // namespace

void register_result_rules(RuleRegistry& registry) {
  registry.add("metric_threshold", [](RuleFields& f) -> std::unique_ptr<Rule> {
    auto metric = f.string("metric");
    if (f.has("metric")) {
      try {
        metric = normalize_series(metric);
      } catch (const InvalidArgument& e) {
        f.problem("metric", e.what());
      }
    }
    auto stat = f.choice("stat", {"last", "best", "min", "max"}, "last");
    const bool maximize = f.choice("direction", {"max", "min"}, "max") == "max";
    const double threshold = f.number("threshold");
    const bool inclusive = f.boolean("inclusive", true);
    return std::make_unique<MetricThresholdRule>(std::move(metric), std::move(stat), maximize,
                                                 threshold, inclusive);
  });
  registry.add("baseline", [](RuleFields& f) -> std::unique_ptr<Rule> {
    auto paths = f.paths("path");
    for (const auto& path : paths) {
      if (path.has_wildcard()) {
        f.problem("path", "'" + path.text() +
                              "': a baseline compares one value per run: expected a path without "
                              "a * key");
      }
    }
    const bool maximize = f.choice("direction", {"max", "min"}, "max") == "max";
    const double absolute = f.optional_number("min_improvement").value_or(0.0);
    const double relative = f.optional_number("min_relative_improvement").value_or(0.0);
    if (!f.has("on_missing_baseline")) {
      f.problem({}, "missing required field 'on_missing_baseline': expected pass, warn or fail");
    }
    auto missing = f.choice("on_missing_baseline", {"pass", "warn", "fail"}, "fail");
    auto on_missing = missing == "pass"   ? BaselineRule::OnMissing::kPass
                      : missing == "warn" ? BaselineRule::OnMissing::kWarn
                                          : BaselineRule::OnMissing::kFail;
    return std::make_unique<BaselineRule>(std::move(paths), maximize, absolute, relative,
                                          on_missing);
  });
}

}  // namespace vigil::rules::detail
