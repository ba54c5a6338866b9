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

// The waivers that may apply to `run`: given ones, else the store's (none for an unstored run).
std::vector<tracker::Waiver> candidate_waivers(const tracker::RunInfo& run,
                                               const EvaluationOptions& options,
                                               tracker::Timestamp at) {
  if (options.waivers) return *options.waivers;
  if (options.store == nullptr) return {};
  tracker::WaiverQuery query;
  if (!run.id.empty()) query.run_id = run.id;
  query.experiment = run.experiment;
  query.in_force_at = at;
  return options.store->waivers(query);
}

// The waiver in force at `at` that covers a violation of `rule_id` in `run`: a waiver of the
// run itself wins over an experiment-wide one.
std::optional<WaiverNote> covering_waiver(const std::vector<tracker::Waiver>& waivers,
                                          const tracker::RunInfo& run, const std::string& rule_id,
                                          tracker::Timestamp at) {
  std::optional<WaiverNote> found;
  for (const auto& waiver : waivers) {
    if (waiver.rule_id != rule_id || !waiver.in_force(at)) continue;
    const bool for_run = !waiver.run_id.empty() && waiver.run_id == run.id;
    const bool for_experiment = waiver.run_id.empty() && waiver.experiment == run.experiment;
    if (!for_run && !for_experiment) continue;
    if (found && !found->experiment_wide) continue;
    found = WaiverNote{waiver.id, waiver.reason, waiver.owner, waiver.until, for_experiment};
  }
  return found;
}

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
  RunContext ctx(run, options.store, series, options.baselines);
  ctx.set_baseline(options.baseline_run, options.baseline_any_time);
  const std::vector<tracker::Waiver> waivers = candidate_waivers(run, options, report.created_at);

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
    const bool scored = (severity == Severity::kWarning || severity == Severity::kError) &&
                        rule->info().mode == RuleMode::kEnforce;
    if (scored) report.total_weight += rule->info().weight;
    if (outcome.ok()) {
      if (scored) report.passed_weight += rule->info().weight;
      continue;
    }
    if (severity == Severity::kOff) continue;  // when_missing: skip
    Violation violation = detail::make_violation(*rule, std::move(outcome));
    violation.waiver = covering_waiver(waivers, run, violation.rule_id, report.created_at);
    if (violation.waiver && scored) report.passed_weight += rule->info().weight;
    report.violations.push_back(std::move(violation));
  }
  detail::finalize(report, rules);
  return report;
}

}  // namespace vigil::rules
