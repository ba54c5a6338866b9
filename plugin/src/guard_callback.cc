#include <spdlog/spdlog.h>

#include <cmath>
#include <sstream>
#include <utility>

#include "log.h"
#include "vigil/plugin/guard.h"
#include "vigil/rules/evaluate.h"
#include "vigil/rules/format.h"
#include "vigil/rules/policy.h"
#include "vigil/rules/storage.h"
#include "vigil/tracker/errors.h"
#include "vigil/tracker/store.h"

namespace vigil::plugin {
namespace {

using rules::Decision;
using rules::Phase;
using tracker::RunStatus;

// "SUMMARY\n  - violation\n  - violation" (one line per violation).
std::string guard_message(const std::string& summary, const std::vector<rules::Violation>& list) {
  std::string message = summary;
  for (const auto& violation : list) message += "\n  - " + describe_violation(violation);
  return message;
}

std::string counts_text(const rules::SeverityCounts& counts) {
  std::ostringstream text;
  text << counts.error << " error(s), " << counts.warning << " warning(s), " << counts.info
       << " info";
  return text.str();
}

}  // namespace

GuardError::GuardError(const std::string& message, rules::Report report, int exit_code)
    : vigil::Error(message, exit_code), report_(std::move(report)) {}

RunAborted::RunAborted(const std::string& message, rules::Report report, std::int64_t step,
                       double value)
    : GuardError(message, std::move(report), kExitAborted), step_(step), value_(value) {}

std::string describe_violation(const rules::Violation& violation) {
  std::string line = violation.rule_id + " (" + std::string(rules::to_string(violation.severity)) +
                     "): " + violation.message;
  return line;
}

GuardCallback::GuardCallback(std::shared_ptr<TrackingCallback> tracking, GuardOptions options)
    : tracking_(std::move(tracking)), options_(std::move(options)) {
  if (!tracking_) {
    throw vigil::InvalidArgument(
        "GuardCallback: tracking callback is null; expected the "
        "TrackingCallback whose run the guard checks");
  }
  if (options_.rules()) {
    rules_ = *options_.rules();
  } else if (!options_.rules_file().empty()) {
    rules_ = rules::RuleSet::load_file(options_.rules_file());
  } else {
    rules_ = rules::policy_for_experiment(tracking_->options().experiment(),
                                          rules::resolve_policy_dir({}));
  }
  tracking_->add_observer(this);
}

GuardCallback::~GuardCallback() { tracking_->remove_observer(this); }

tracker::RunInfo GuardCallback::live_run_info() const {
  tracker::RunInfo info;
  const TrackingReport report = tracking_->report();
  info.id = report.run_id;
  info.name = tracking_->options().run_name();
  info.experiment = tracking_->options().experiment();
  info.params = tracking_->params();
  info.results = tracking_->results();
  info.host = info.params.value("host", "");
  return info;
}

void GuardCallback::store(const rules::Report& report, bool any_rank) {
  tracker::Store* store = tracking_->store();
  if (store == nullptr || report.run_id.empty() || !(any_rank || tracking_->primary())) return;
  tracking_->guarded("storing the validation report",
                     [&] { rules::store_report(*store, report, rules_); });
}

void GuardCallback::on_train_begin(TrainingState& state) {
  pre_report_.reset();
  final_report_.reset();
  stop_reason_.clear();
  monitor_.reset();
  if (options_.check_during()) monitor_.emplace(rules_);
  if (!options_.check_before()) return;

  rules::EvaluationOptions evaluation;
  evaluation.phase = Phase::kPre;
  evaluation.store = tracking_->store();
  rules::Report report = rules::evaluate(rules_, live_run_info(), evaluation);
  pre_report_ = report;
  const std::string summary = "run refused before training by rules '" + rules_.name() + "' (" +
                              counts_text(report.counts) + ", score " +
                              rules::format_value(report.score) + "):";
  if (!report.passed()) detail::logger()->error("vigil: {}", summary);
  for (const auto& violation : report.violations) rules::log_violation(violation, rules_.name());
  if (!report.violations.empty() || !report.passed()) store(report);
  if (report.passed()) return;
  const std::string message = guard_message(summary, report.violations);
  tracking_->finish_run(RunStatus::kRejected, message);
  throw RunRejected(message, std::move(report));
}

void GuardCallback::handle(TrainingState& state, const rules::MonitorResult& result, double value) {
  if (result.decision != Decision::kStopNow) {
    for (const auto& violation : result.violations) rules::log_violation(violation, rules_.name());
  }
  if (!result.stop()) return;
  if (result.decision == Decision::kStopGracefully) {
    std::string reason;
    for (const auto& violation : result.violations) {
      if (!reason.empty()) reason += "; ";
      reason += describe_violation(violation);
    }
    if (stop_reason_.empty()) stop_reason_ = reason;
    detail::logger()->info("vigil: stopping at the end of epoch {}: {}", state.epoch, reason);
    state.control.request_stop(reason, StopMode::kEndOfEpoch);
    return;
  }
  // Stop now: the run is over; store why, then leave the loop before the optimizer step.
  const rules::Violation& first = result.violations.front();
  const std::int64_t step = first.step.value_or(state.step);
  std::ostringstream summary;
  summary << "run aborted by rules '" << rules_.name() << "' at step " << step << " (value "
          << rules::format_value(tracker::finite_or_string(value)) << "):";
  const std::string message = guard_message(summary.str(), result.violations);
  rules::Report report = monitor_->report(live_run_info());
  store(report, true);  // the rank that tripped holds the evidence
  tracking_->request_job_stop(step, value, describe_violation(first));
  tracking_->finish_run(RunStatus::kAborted, message);
  detail::logger()->error("vigil: {}", message);
  throw RunAborted(message, std::move(report), step, value);
}

void GuardCallback::on_batch_end(TrainingState& state, const BatchOutput& batch) {
  const std::optional<tracker::StopRequest> stop = tracking_->job_stop_request();
  if (!stop) return;
  std::ostringstream message;
  message << "run aborted at step " << state.step << ": rank " << stop->rank
          << " stopped the job at step " << stop->step << " (value "
          << rules::format_value(tracker::finite_or_string(stop->value)) << "): " << stop->message;
  tracking_->finish_run(RunStatus::kAborted, message.str());
  detail::logger()->error("vigil: {}", message.str());
  rules::Report report = monitor_ ? monitor_->report(live_run_info()) : rules::Report{};
  throw RunAborted(message.str(), std::move(report), stop->step, stop->value);
}

void GuardCallback::on_steps_read(TrainingState& state, const std::vector<StepValue>& values) {
  if (!monitor_) return;
  for (const StepValue& value : values) {
    if (monitor_->watches(value.series)) {
      handle(state, monitor_->observe_step(value.series, value.step, value.value), value.value);
    }
  }
}

void GuardCallback::observe_epoch(TrainingState& state, const std::string& series, double value) {
  if (monitor_ && monitor_->watches(series)) {
    handle(state, monitor_->observe_epoch(series, state.epoch, value), value);
  }
}

void GuardCallback::on_epoch_metrics(TrainingState& state, const MetricMap& train) {
  for (const auto& [series, value] : train) observe_epoch(state, series, value);
}

void GuardCallback::on_validation_end(TrainingState& state, const MetricMap& metrics) {
  for (const auto& [name, value] : metrics) observe_epoch(state, name + "{subset=val}", value);
}

void GuardCallback::on_train_end(TrainingState& state) {
  if (!options_.check_after()) return;
  tracker::Store* store_ptr = tracking_->store();
  const std::string run_id = tracking_->report().run_id;
  std::optional<tracker::RunInfo> stored;
  if (store_ptr != nullptr && !run_id.empty()) {
    tracking_->guarded("reading the run back for validation",
                       [&] { stored = store_ptr->get_run(run_id); });
  }
  rules::EvaluationOptions evaluation;
  if (stored) {
    // The same evaluation as `vigil validate`: every phase, during rules replayed from the
    // stored series.
    evaluation.phase = Phase::kAll;
    evaluation.store = store_ptr;
    final_report_ = rules::evaluate(rules_, *stored, evaluation);
    store(*final_report_);
  } else {
    // No store to replay series from: post-training rules on what this process knows.
    evaluation.phase = Phase::kPost;
    final_report_ = rules::evaluate(rules_, live_run_info(), evaluation);
  }
  const rules::Report& report = *final_report_;
  for (const auto& violation : report.violations) {
    if (violation.phase == Phase::kPost) rules::log_violation(violation, rules_.name());
  }
  detail::logger()->log(report.passed() ? spdlog::level::info : spdlog::level::warn,
                        "vigil: run {} validated by rules '{}': {} (score {}, {})",
                        run_id.empty() ? "(untracked)" : run_id, rules_.name(),
                        rules::to_string(report.verdict), rules::format_value(report.score),
                        counts_text(report.counts));
}

}  // namespace vigil::plugin
