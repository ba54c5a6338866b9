#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/rules/rule.h"
#include "vigil/rules/rule_set.h"
#include "vigil/rules/types.h"

namespace vigil::rules {

/// Answer to one observation.
struct MonitorResult {
  /// The strongest decision of the rules that fired on this observation (kContinue when none,
  /// and always kContinue under warn_only).
  Decision decision = Decision::kContinue;
  /// Violations raised by this observation (usually none).
  std::vector<Violation> violations;
  bool stop() const noexcept { return decision != Decision::kContinue; }
};

/// Streams metric values of a live run through the during-training rules of a rule set.
/// Each rule fires at most once per monitor; after firing it is no longer fed.
///
/// Example (in a training loop):
///   vigil::rules::TrainingMonitor monitor(rules);
///   auto r = monitor.observe_step("loss", step, loss_value);
///   if (r.decision == vigil::rules::Decision::kStopNow) abort_training(r.violations);
///
/// Thread safety: not thread-safe; use one monitor per run from one thread (or lock).
class TrainingMonitor {
 public:
  /// Copies (shares) the rule set; only its active kDuring rules are used.
  explicit TrainingMonitor(RuleSet rules);
  ~TrainingMonitor();
  TrainingMonitor(TrainingMonitor&&) noexcept;
  TrainingMonitor& operator=(TrainingMonitor&&) noexcept;

  /// A per-step value of series `metric` (qualified name, e.g. "loss"; context keys in any
  /// order, as tracker::SeriesKey::parse accepts them).
  MonitorResult observe_step(std::string_view metric, std::int64_t step, double value);
  /// A per-epoch value of series `metric` (e.g. "loss{subset=val}").
  MonitorResult observe_epoch(std::string_view metric, std::int64_t epoch, double value);

  /// True when some during-training rule watches `metric` (cheap; lets callers skip work).
  bool watches(std::string_view metric) const;
  /// Qualified names (or `*` patterns, see Rule::watched_metrics) of all watched series,
  /// sorted, without duplicates.
  std::vector<std::string> watched_metrics() const;

  /// Strongest decision so far (sticky: once stop, stays stop). kContinue under warn_only.
  Decision decision() const noexcept { return decision_; }
  /// Every violation raised so far, in order.
  const std::vector<Violation>& violations() const noexcept { return violations_; }

  /// A phase-kDuring report of the violations so far for `run` (score/verdict computed as by
  /// evaluate()).
  Report report(const tracker::RunInfo& run) const;

  const RuleSet& rules() const noexcept { return rules_; }

 private:
  MonitorResult observe(const Observation& observation);
  const std::string& canonical(std::string_view metric) const;
  struct Slot;
  RuleSet rules_;
  std::vector<Slot> slots_;
  Decision decision_ = Decision::kContinue;
  std::vector<Violation> violations_;
  mutable std::map<std::string, std::string, std::less<>> canonical_;  // metric -> canonical
};

}  // namespace vigil::rules
