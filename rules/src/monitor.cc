#include "vigil/rules/monitor.h"

#include <algorithm>
#include <exception>
#include <map>
#include <utility>

#include "detail.h"
#include "vigil/rules/errors.h"

namespace vigil::rules {

struct TrainingMonitor::Slot {
  std::shared_ptr<const Rule> rule;
  std::unique_ptr<RuleMonitor> state;
  std::vector<std::string> metrics;  // canonical qualified names or `*` patterns
  bool fired = false;
};

namespace {

Decision stronger(Decision a, Decision b) {
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

}  // namespace

TrainingMonitor::TrainingMonitor(RuleSet rules) : rules_(std::move(rules)) {
  for (const auto& rule : rules_.active_rules(Phase::kDuring)) {
    Slot slot;
    slot.rule = rule;
    slot.state = rule->start_monitor();
    slot.metrics = rule->watched_metrics();
    if (!slot.state || slot.metrics.empty()) {
      detail::logger()->warn(
          "vigil rules: during-training rule '{}' (kind '{}') has no monitor; it is checked "
          "only after training",
          rule->info().id, rule->info().kind);
      continue;
    }
    slots_.push_back(std::move(slot));
  }
}

TrainingMonitor::~TrainingMonitor() = default;
TrainingMonitor::TrainingMonitor(TrainingMonitor&&) noexcept = default;
TrainingMonitor& TrainingMonitor::operator=(TrainingMonitor&&) noexcept = default;

MonitorResult TrainingMonitor::observe_step(std::string_view metric, std::int64_t step,
                                            double value) {
  return observe(Observation{metric, step, false, value});
}

MonitorResult TrainingMonitor::observe_epoch(std::string_view metric, std::int64_t epoch,
                                             double value) {
  return observe(Observation{metric, epoch, true, value});
}

const std::string& TrainingMonitor::canonical(std::string_view metric) const {
  auto it = canonical_.find(metric);
  if (it == canonical_.end()) {
    std::string name(metric);
    try {
      name = detail::normalize_series(metric);
    } catch (const InvalidArgument&) {
      // Not a valid series name: no rule can watch it; keep it as given.
    }
    it = canonical_.emplace(std::string(metric), std::move(name)).first;
  }
  return it->second;
}

bool TrainingMonitor::watches(std::string_view metric) const {
  const auto& name = canonical(metric);
  for (const auto& slot : slots_) {
    if (detail::matches_any(slot.metrics, name)) return true;
  }
  return false;
}

std::vector<std::string> TrainingMonitor::watched_metrics() const {
  std::vector<std::string> out;
  for (const auto& slot : slots_) out.insert(out.end(), slot.metrics.begin(), slot.metrics.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

MonitorResult TrainingMonitor::observe(const Observation& given) {
  MonitorResult result;
  if (slots_.empty()) return result;
  Observation observation = given;
  observation.metric = canonical(given.metric);
  for (auto& slot : slots_) {
    if (slot.fired) continue;
    if (!detail::matches_any(slot.metrics, observation.metric)) continue;
    Outcome outcome;
    try {
      outcome = slot.state->observe(observation);
    } catch (const std::exception& e) {
      outcome = Outcome::not_evaluable(std::string(observation.metric),
                                       std::string("could not evaluate: ") + e.what());
    }
    if (outcome.ok()) continue;
    slot.fired = true;
    if (!outcome.step) outcome.step = observation.index;
    auto violation = detail::make_violation(*slot.rule, std::move(outcome));
    if (rules_.enforcement() == Enforcement::kEnforce) {
      result.decision = stronger(result.decision, violation.decision);
    }
    violations_.push_back(violation);
    result.violations.push_back(std::move(violation));
  }
  decision_ = stronger(decision_, result.decision);
  return result;
}

Report TrainingMonitor::report(const tracker::RunInfo& run) const {
  Report report;
  report.run_id = run.id;
  report.run_name = run.name;
  report.phase = Phase::kDuring;
  report.created_at = tracker::now();
  report.violations = violations_;
  for (const auto& slot : slots_) {
    ++report.rules_evaluated;
    const Severity severity = slot.rule->info().severity;
    if (severity != Severity::kWarning && severity != Severity::kError) continue;
    if (slot.rule->info().mode == RuleMode::kAudit) continue;  // never scored
    report.total_weight += slot.rule->info().weight;
    if (!slot.fired) report.passed_weight += slot.rule->info().weight;
  }
  detail::finalize(report, rules_);
  return report;
}

}  // namespace vigil::rules
