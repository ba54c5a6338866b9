#pragma once

#include <optional>
#include <vector>

#include "vigil/rules/rule.h"
#include "vigil/rules/rule_set.h"
#include "vigil/rules/types.h"
#include "vigil/tracker/governance.h"
#include "vigil/tracker/types.h"

namespace vigil::tracker {
class Store;
}  // namespace vigil::tracker

namespace vigil::rules {

/// What evaluate() looks at.
struct EvaluationOptions {
  /// Which rules: kPre, kDuring (replays stored series), kPost, or kAll. Default kAll.
  Phase phase = Phase::kAll;
  /// Store for baseline lookups and (when `series` is null) for series replay of the run with
  /// id RunInfo::id. Default none: baseline rules and during-training replays are then not
  /// evaluable (reported as violations).
  const tracker::Store* store = nullptr;
  /// Source of points for during-training replay; overrides `store`. Default none.
  const SeriesSource* series = nullptr;
  /// Report::created_at; default (nullopt) tracker::now().
  std::optional<tracker::Timestamp> created_at;
  /// Waivers that may cover violations (those in force at created_at for the run's id or its
  /// experiment apply). Default (nullopt): with a store, the store's waivers of the run and of
  /// its experiment; without one, none.
  std::optional<std::vector<tracker::Waiver>> waivers;
  /// The run baseline rules compare with (see RunContext::baseline_run). Default none.
  const tracker::RunInfo* baseline_run = nullptr;
  /// Baseline rules search every PASS run of the experiment, not only earlier ones.
  bool baseline_any_time = false;
  /// Earlier PASS runs for baseline rules, kept by a caller that validates many runs (see
  /// BaselineRuns); default none: a baseline rule lists them from `store` itself.
  BaselineRuns* baselines = nullptr;
};

/// Evaluates every active rule of `options.phase` against `run`, collects every violation, then
/// scores and gives a verdict (see ScoringOptions, Enforcement). A violation of an audit-mode
/// rule, or one covered by a waiver in force, is reported (Violation::mode, ::waiver) but not
/// counted: it does not lower the score (weighted model: its weight counts as passed; audit
/// rules carry no weight) and does not fail the verdict. Never throws for a rule that
/// cannot be evaluated (that is a violation); a rule implementation throwing is reported as a
/// not-evaluable violation carrying the exception message.
///
/// Example (before training; refuse the run on FAIL):
///   auto rules = vigil::rules::RuleSet::default_rules();
///   vigil::tracker::RunInfo run;  // or store.get_run(id)
///   run.params = {{"lr", 0.5}, {"epochs", 20}};
///   auto report = vigil::rules::evaluate(rules, run, {vigil::rules::Phase::kPre});
///   if (!report.passed()) std::cerr << vigil::rules::format_report(report);
///
/// Thread safety: safe to call concurrently (reads the rule set and the store only).
Report evaluate(const RuleSet& rules, const tracker::RunInfo& run,
                const EvaluationOptions& options = {});

/// Score of `violations` under `scoring` given the weights of scored rules (used by evaluate
/// and TrainingMonitor; exposed for tools that recompute scores).
double compute_score(const ScoringOptions& scoring, const SeverityCounts& counts,
                     double passed_weight, double total_weight) noexcept;

}  // namespace vigil::rules
