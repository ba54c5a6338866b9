#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "vigil/error.h"
#include "vigil/plugin/callback.h"
#include "vigil/plugin/tracking.h"
#include "vigil/rules/monitor.h"
#include "vigil/rules/rule_set.h"
#include "vigil/rules/types.h"

namespace vigil::plugin {

/// Base of the exceptions by which a guard ends a run. what() is a summary line followed by
/// one line per violation ("  - RULE_ID (SEVERITY): MESSAGE"). A vigil::Error whose exit code
/// is kExitRefused (RunRejected) or kExitAborted (RunAborted).
class GuardError : public vigil::Error {
 public:
  GuardError(const std::string& message, rules::Report report, int exit_code);
  /// The report that ended the run (phase pre for RunRejected, during for RunAborted).
  const rules::Report& report() const noexcept { return report_; }
  const std::vector<rules::Violation>& violations() const noexcept { return report_.violations; }

 private:
  rules::Report report_;
};

/// The pre-training rules failed: the run was refused before its first step (stored
/// `rejected`, with its validation). No optimizer step was taken. Exit code kExitRefused (3).
class RunRejected : public GuardError {
 public:
  RunRejected(const std::string& message, rules::Report report)
      : GuardError(message, std::move(report), kExitRefused) {}
};

/// A during-training rule asked to stop at once (NaN/Inf loss, divergence): the run was stored
/// `aborted` with the step and value that tripped it. Thrown from on_batch_end, so the step of
/// that batch is not taken when on_batch_end is called before optimizer.step(). Exit code
/// kExitAborted (4).
class RunAborted : public GuardError {
 public:
  RunAborted(const std::string& message, rules::Report report, std::int64_t step, double value);
  /// Step (per-step metrics) or epoch (per-epoch metrics) of the value that tripped the rule.
  std::int64_t step() const noexcept { return step_; }
  double value() const noexcept { return value_; }

 private:
  std::int64_t step_;
  double value_;
};

/// Settings of a GuardCallback (chained setters, PyTorch style):
///
///   GuardOptions().rules_file("team.json")
struct GuardOptions {
  /// Rules file to load; empty = the policy bound to the run's experiment in
  /// $VIGIL_POLICY_DIR (rules::policy_for_experiment), else the shipped default policy.
  /// Ignored when rules() is set.
  TORCH_ARG(std::string, rules_file);
  /// An already loaded rule set; overrides rules_file. Default none.
  TORCH_ARG(std::optional<rules::RuleSet>, rules);
  /// Evaluate pre-training rules at on_train_begin (and refuse the run on FAIL). Default true.
  TORCH_ARG(bool, check_before) = true;
  /// Stream metrics through during-training rules (abort / stop gracefully). Default true.
  TORCH_ARG(bool, check_during) = true;
  /// Validate the finished run (every phase), store and log verdict and score. Default true.
  TORCH_ARG(bool, check_after) = true;
};

/// Enforces a rule set (vigil::rules) on a training run recorded by a TrackingCallback.
///
///   on_train_begin     evaluates the pre-training rules on the params the tracking callback
///                      collected. Warnings are logged and stored; a FAIL stores the report,
///                      marks the run `rejected` and throws RunRejected.
///   during training    observes the tracking callback (TrackingObserver): every step value
///                      it reads (losses, accuracy, lr, values given to CallbackList::log) and
///                      the epoch means, plus the validation metrics, go through a
///                      rules::TrainingMonitor, fed to the rules that watch its series by
///                      name or `*` pattern (the default policy's finite-loss rule watches
///                      "loss" and "*loss*": named losses too). A stop-now decision (non_finite,
///                      divergence) stores the report, marks the run `aborted` (error names the
///                      rule, step and value), asks every rank of a distributed job to stop
///                      (TrackingCallback::request_job_stop) and throws RunAborted; a graceful
///                      decision (plateau, target) asks the loop to stop at the end of the epoch
///                      through TrainingControl.
///   on_batch_end       in a distributed job: when another rank's guard asked the job to stop
///                      (seen through the store within TrackingOptions::store_options()
///                      .stop_poll_interval, one atomic load per step), marks this rank
///                      `aborted` and throws RunAborted with that rank's step and value.
///   on_train_end       validates the finished run against every phase (as `vigil validate`
///                      does), stores the report (tags validated + PASS/FAIL) and logs verdict
///                      and score.
///
/// In a distributed job every rank checks the pre-training rules itself (the same params give
/// the same verdict, so a refused configuration refuses every rank before its first step);
/// rank 0 alone stores the reports.
///
/// Violations are logged through the "vigil" logger at the level of their severity (error,
/// warn, info). Must come after its TrackingCallback in the CallbackList (Session does
/// this). Values are
/// checked when the tracking callback reads them from the device: every step on the CPU, every
/// TrackingOptions::log_every steps otherwise (the failing step is still reported exactly, but
/// up to log_every - 1 optimizer steps may have followed it).
///
/// Thread safety: not thread-safe; hooks run on the training thread.
class GuardCallback : public Callback, public TrackingObserver {
 public:
  /// Loads the rules (throws rules::RulesError for a bad rules file) and subscribes to
  /// `tracking` (not null).
  GuardCallback(std::shared_ptr<TrackingCallback> tracking, GuardOptions options = {});
  ~GuardCallback() override;
  GuardCallback(const GuardCallback&) = delete;
  GuardCallback& operator=(const GuardCallback&) = delete;

  void on_train_begin(TrainingState& state) override;
  void on_batch_end(TrainingState& state, const BatchOutput& batch) override;
  void on_validation_end(TrainingState& state, const MetricMap& metrics) override;
  void on_train_end(TrainingState& state) override;
  void on_steps_read(TrainingState& state, const std::vector<StepValue>& values) override;
  void on_epoch_metrics(TrainingState& state, const MetricMap& train) override;

  const rules::RuleSet& rules() const noexcept { return rules_; }
  /// Report of the pre-training check (after on_train_begin).
  const std::optional<rules::Report>& pre_report() const noexcept { return pre_report_; }
  /// Report of the final validation (after on_train_end).
  const std::optional<rules::Report>& final_report() const noexcept { return final_report_; }
  /// Reason of a graceful stop requested by a rule; empty when none.
  const std::string& stop_reason() const noexcept { return stop_reason_; }

 private:
  tracker::RunInfo live_run_info() const;
  void observe_epoch(TrainingState& state, const std::string& series, double value);
  void handle(TrainingState& state, const rules::MonitorResult& result, double value);
  /// Stores `report` from rank 0 (or the only process); with any_rank, from this rank too.
  void store(const rules::Report& report, bool any_rank = false);

  std::shared_ptr<TrackingCallback> tracking_;
  GuardOptions options_;
  rules::RuleSet rules_;
  std::optional<rules::TrainingMonitor> monitor_;
  std::optional<rules::Report> pre_report_;
  std::optional<rules::Report> final_report_;
  std::string stop_reason_;
};

/// One-line description of a violation: "RULE_ID (SEVERITY): MESSAGE" (during-training
/// messages name the step or epoch).
std::string describe_violation(const rules::Violation& violation);

}  // namespace vigil::plugin
