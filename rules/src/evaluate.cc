#include "vigil/rules/evaluate.h"

#include <algorithm>
#include <exception>
#include <string>

#include "detail.h"
#include "vigil/tracker/errors.h"
#include "vigil/tracker/store.h"

namespace vigil::rules {
namespace {

/// Points of a stored run, for post-hoc replay of during-training rules.
class StoreSeriesSource : public SeriesSource {
 public:
  StoreSeriesSource(const tracker::Store& store, const tracker::RunInfo& run)
      : store_(store), run_(run) {}
  std::optional<std::vector<tracker::MetricPoint>> points(
      const tracker::SeriesKey& series) const override {
    // RunInfo::metrics lists the run's series: ask the store only for one that exists.
    if (run_.id.empty() || detail::find_series(run_, series.qualified_name()) == nullptr) {
      return std::nullopt;
    }
    return store_.points(run_.id, series);
  }

 private:
  const tracker::Store& store_;
  const tracker::RunInfo& run_;
};

}  // namespace

double compute_score(const ScoringOptions& scoring, const SeverityCounts& counts,
                     double passed_weight, double total_weight) noexcept {
  double score = 100.0;
  if (scoring.model == ScoringModel::kPenalty) {
    score -= scoring.error_penalty * counts.error + scoring.warning_penalty * counts.warning +
             scoring.info_penalty * counts.info;
  } else if (total_weight > 0) {
    score = 100.0 * passed_weight / total_weight;
  }
  return std::clamp(score, 0.0, 100.0);
}

Report evaluate(const RuleSet& rules, const tracker::RunInfo& run,
                const EvaluationOptions& options) {
  Report report;
  report.run_id = run.id;
  report.run_name = run.name;
  report.phase = options.phase;
  report.created_at = options.created_at.value_or(tracker::now());

  std::optional<StoreSeriesSource> store_series;
  const SeriesSource* series = options.series;
  if (series == nullptr && options.store != nullptr) {
    store_series.emplace(*options.store, run);
    series = &*store_series;
  }
  const RunContext ctx(run, options.store, series, options.baselines);

  for (const auto& rule : rules.active_rules(options.phase)) {
    ++report.rules_evaluated;
    Outcome outcome;
    try {
      outcome = rule->evaluate(ctx);
    } catch (const std::exception& e) {
      // A broken rule or an unreadable store must not hide the rule: it is not evaluable.
      outcome =
          Outcome::not_evaluable(rule->target(), std::string("could not evaluate: ") + e.what());
    }
    // A missing value is scored only when when_missing makes it a warning or an error.
    const Severity severity = outcome.status == Outcome::Status::kMissing
                                  ? detail::outcome_severity(*rule, outcome)
                                  : rule->info().severity;
    const bool scored = severity == Severity::kWarning || severity == Severity::kError;
    if (scored) report.total_weight += rule->info().weight;
    if (outcome.ok()) {
      if (scored) report.passed_weight += rule->info().weight;
      continue;
    }
    if (severity == Severity::kOff) continue;  // when_missing: skip
    report.violations.push_back(detail::make_violation(*rule, std::move(outcome)));
  }
  detail::finalize(report, rules);
  return report;
}

}  // namespace vigil::rules
