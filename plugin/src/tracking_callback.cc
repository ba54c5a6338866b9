#include <ATen/CPUGeneratorImpl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "log.h"
#include "vigil/error.h"
#include "vigil/plugin/hyperparams.h"
#include "vigil/plugin/tracking.h"
#include "vigil/tracker/errors.h"

namespace vigil::plugin {
namespace {

using nlohmann::json;
using tracker::RunStatus;

}  // namespace

// Per-step device tensors not yet read back, and the host facts of those steps.
struct TrackingCallback::Pending {
  std::vector<torch::Tensor> losses;   // 0-dim, detached
  std::vector<torch::Tensor> correct;  // 0-dim counts of steps with accuracy
  std::vector<StepRecord> records;     // step, epoch, lr, samples; loss/accuracy filled on read
  std::vector<bool> has_accuracy;
  void clear() {
    losses.clear();
    correct.clear();
    records.clear();
    has_accuracy.clear();
  }
};

TrackingOptions::TrackingOptions(std::string experiment) : experiment_(std::move(experiment)) {}

TrackingCallback::TrackingCallback(TrackingOptions options)
    : options_(std::move(options)), pending_(std::make_unique<Pending>()) {
  if (options_.experiment().empty()) {
    throw tracker::InvalidArgument("TrackingOptions: experiment name is empty; expected a name");
  }
  if (options_.log_every() < 0) {
    throw tracker::InvalidArgument("TrackingOptions: log_every is " +
                                   std::to_string(options_.log_every()) + "; expected >= 0");
  }
  if (!options_.params().is_object()) {
    throw tracker::InvalidArgument("TrackingOptions: params is " +
                                   std::string(options_.params().type_name()) +
                                   "; expected a JSON object");
  }
}

TrackingCallback::~TrackingCallback() = default;

bool TrackingCallback::guarded(std::string_view what,
                               const std::function<void()>& action) noexcept {
  try {
    action();
    return true;
  } catch (...) {
    ++failures_;
    last_failure_ = std::string(what) + ": " + describe_exception(std::current_exception());
    try {
      detail::logger()->warn("vigil: tracking: {} failed: {} (training continues)", what,
                             describe_exception(std::current_exception()));
    } catch (...) {
      // Logging must not turn a tracking problem into a training failure.
    }
    return false;
  }
}

json TrackingCallback::collect_params(const TrainingState& state) const {
  json params = json::object();
  if (state.optimizer != nullptr) params["optimizer"] = optimizer_params(*state.optimizer);
  if (options_.batch_size()) params["batch_size"] = *options_.batch_size();
  if (options_.epochs()) params["epochs"] = *options_.epochs();
  params["seed"] =
      options_.seed() ? *options_.seed() : at::detail::getDefaultCPUGenerator().current_seed();
  params["model"] = model_params(*state.model, options_.model_name(), options_.log_structure());
  params["device"] = model_device(*state.model);
  params["libtorch_version"] = libtorch_version();
  params["host"] = host_name();
  if (std::string commit = git_commit(); !commit.empty()) params["git_commit"] = commit;
  params.merge_patch(options_.params());
  return params;
}

void TrackingCallback::on_train_begin(TrainingState& state) {
  if (state.model == nullptr) {
    throw vigil::InvalidArgument(
        "TrackingCallback::on_train_begin: no model; expected "
        "CallbackList::on_train_begin(model, optimizer)");
  }
  // A second fit with the same callback starts a new run.
  run_.reset();
  loss_.reset();
  accuracy_.reset();
  lr_.reset();
  pending_->clear();
  steps_read_.clear();
  last_train_.clear();
  last_val_.clear();
  results_ = json::object();
  best_accuracy_.reset();
  epochs_completed_ = 0;
  steps_ = 0;
  failures_ = 0;
  last_failure_.clear();
  run_id_.clear();
  final_stats_ = {};
  reset_epoch();
  params_ = json::object();
  log_every_ = options_.log_every();

  guarded("collecting hyperparameters", [&] { params_ = collect_params(state); });
  guarded("opening the store", [&] {
    store_uri_ = tracker::Store::resolve_uri(options_.store());
    if (!store_ || store_->uri() != store_uri_) {
      store_ = std::make_unique<tracker::Store>(store_uri_, options_.store_options());
    }
  });
  if (!store_) return;
  guarded("starting the run", [&] {
    tracker::RunOptions run_options;
    run_options.name = options_.run_name();
    run_options.experiment = options_.experiment();
    run_options.params = params_;
    run_options.tags = options_.tags();
    run_ = std::make_unique<tracker::Run>(store_->start_run(run_options));
    run_id_ = run_->id();
  });
}

void TrackingCallback::on_epoch_begin(TrainingState& state) {
  steps_read_.clear();
  reset_epoch();
}

void TrackingCallback::reset_epoch() {
  epoch_loss_sum_ = 0.0;
  epoch_correct_ = 0.0;
  epoch_samples_ = 0;
  epoch_batches_ = 0;
  epoch_has_accuracy_ = false;
}

void TrackingCallback::on_batch_end(TrainingState& state, const BatchOutput& batch) {
  steps_read_.clear();
  guarded("recording a step", [&] {
    if (!batch.loss.defined() || batch.loss.numel() != 1) {
      throw vigil::InvalidArgument("on_batch_end: loss must be a tensor with one element");
    }
    if (log_every_ == 0) log_every_ = batch.loss.device().is_cpu() ? 1 : 10;
    StepRecord record;
    record.step = state.step;
    record.epoch = state.epoch;
    if (state.optimizer != nullptr) {
      double lr = current_lr(*state.optimizer);
      if (!std::isnan(lr)) record.lr = lr;
    }
    torch::NoGradGuard no_grad;
    pending_->losses.push_back(batch.loss.detach().reshape({}));
    const bool with_accuracy = batch.outputs.defined() && batch.targets.defined() &&
                               batch.outputs.dim() == 2 && batch.targets.dim() == 1;
    if (with_accuracy) {
      record.samples = batch.targets.size(0);
      pending_->correct.push_back(
          batch.outputs.detach().argmax(1).eq(batch.targets.detach()).sum());
    } else if (batch.targets.defined() && batch.targets.dim() > 0) {
      record.samples = batch.targets.size(0);
    }
    pending_->records.push_back(record);
    pending_->has_accuracy.push_back(with_accuracy);
  });
  ++steps_;
  if (static_cast<std::int64_t>(pending_->records.size()) >=
      std::max<std::int64_t>(log_every_, 1)) {
    read_pending();
  }
}

void TrackingCallback::read_pending() {
  if (pending_->records.empty()) return;
  guarded("reading step values", [&] {
    // One device-to-host copy for all pending steps.
    torch::NoGradGuard no_grad;
    torch::Tensor losses =
        torch::stack(pending_->losses).to(torch::kDouble).to(torch::kCPU).contiguous();
    torch::Tensor correct;
    if (!pending_->correct.empty()) {
      correct = torch::stack(pending_->correct).to(torch::kDouble).to(torch::kCPU).contiguous();
    }
    const double* loss_values = losses.data_ptr<double>();
    const double* correct_values = correct.defined() ? correct.data_ptr<double>() : nullptr;
    std::size_t next_correct = 0;
    const bool recording = run_ && run_->status() == RunStatus::kRunning;
    for (std::size_t i = 0; i < pending_->records.size(); ++i) {
      StepRecord record = pending_->records[i];
      record.loss = loss_values[i];
      if (pending_->has_accuracy[i] && record.samples > 0) {
        const double hits = correct_values[next_correct++];
        record.accuracy = hits / static_cast<double>(record.samples);
        epoch_correct_ += hits;
        epoch_has_accuracy_ = true;
      }
      epoch_loss_sum_ +=
          record.loss * static_cast<double>(std::max<std::int64_t>(record.samples, 1));
      epoch_samples_ += std::max<std::int64_t>(record.samples, 1);
      ++epoch_batches_;
      if (recording) {
        if (!loss_) loss_ = run_->metric("loss");
        loss_->log(record.loss, record.step, record.epoch);
        if (record.accuracy) {
          if (!accuracy_) accuracy_ = run_->metric("accuracy");
          accuracy_->log(*record.accuracy, record.step, record.epoch);
        }
        if (record.lr) {
          if (!lr_) lr_ = run_->metric("lr");
          lr_->log(*record.lr, record.step, record.epoch);
        }
      }
      steps_read_.push_back(record);
    }
  });
  pending_->clear();
}

void TrackingCallback::on_validation_end(TrainingState& state, const MetricMap& metrics) {
  steps_read_.clear();
  last_val_ = metrics;
  if (auto it = metrics.find("accuracy"); it != metrics.end() && !std::isnan(it->second)) {
    best_accuracy_ = best_accuracy_ ? std::max(*best_accuracy_, it->second) : it->second;
  }
  if (!run_ || run_->status() != RunStatus::kRunning) return;
  guarded("logging validation metrics", [&] {
    const json context = {{"subset", "val"}};
    for (const auto& [name, value] : metrics) {
      run_->log_metric(name, value, state.step, state.epoch, context);
    }
  });
}

void TrackingCallback::log_epoch_train(const TrainingState& state) {
  if (epoch_batches_ == 0) return;
  last_train_.clear();
  last_train_["loss"] = epoch_loss_sum_ / static_cast<double>(epoch_samples_);
  if (epoch_has_accuracy_) last_train_["accuracy"] = epoch_correct_ / epoch_samples_;
  if (!run_ || run_->status() != RunStatus::kRunning) return;
  guarded("logging epoch metrics", [&] {
    const json context = {{"subset", "train"}};
    for (const auto& [name, value] : last_train_) {
      run_->log_metric(name, value, state.step, state.epoch, context);
    }
  });
}

void TrackingCallback::on_epoch_end(TrainingState& state) {
  steps_read_.clear();
  read_pending();
  log_epoch_train(state);
  ++epochs_completed_;
  reset_epoch();
}

void TrackingCallback::log_results() noexcept {
  guarded("logging results", [&] {
    // Validation values when there was validation, else the last epoch's train values.
    const MetricMap& final_metrics = last_val_.empty() ? last_train_ : last_val_;
    json results = {{"epochs_completed", epochs_completed_}, {"steps", steps_}};
    if (auto it = final_metrics.find("accuracy"); it != final_metrics.end()) {
      results["final_accuracy"] = tracker::finite_or_string(it->second);
    }
    if (auto it = final_metrics.find("loss"); it != final_metrics.end()) {
      results["final_loss"] = tracker::finite_or_string(it->second);
    }
    std::optional<double> best = best_accuracy_;
    if (!best && last_val_.empty()) {
      if (auto it = last_train_.find("accuracy"); it != last_train_.end()) best = it->second;
    }
    if (best) results["best_accuracy"] = *best;
    results_ = results;
    if (run_ && run_->status() == RunStatus::kRunning) run_->log_results(results);
  });
}

void TrackingCallback::on_train_end(TrainingState& state) {
  steps_read_.clear();
  read_pending();
  if (!run_ || run_->status() != RunStatus::kRunning) {
    if (!run_) log_results();  // untracked: results stay available to guards
    return;
  }
  log_results();
  finish_run(RunStatus::kFinished);
  const TrackingReport summary = report();
  if (summary.failures > 0 || summary.writer.write_errors > 0) {
    detail::logger()->warn(
        "vigil: tracking: {} operation(s) failed and {} store write(s) failed during training; "
        "run {} in {} may be incomplete (last error: {})",
        summary.failures, summary.writer.write_errors, run_id_, store_uri_,
        summary.last_failure.empty() ? summary.writer.last_error : summary.last_failure);
  }
}

void TrackingCallback::on_exception(TrainingState& state, std::exception_ptr error) noexcept {
  steps_read_.clear();
  if (!run_ || run_->status() != RunStatus::kRunning) return;
  // Values of the steps before the failure are still worth keeping.
  read_pending();
  log_results();
  finish_run(RunStatus::kFailed, describe_exception(error));
}

void TrackingCallback::finish_run(RunStatus status, std::string_view error) noexcept {
  if (!run_) return;
  guarded("ending the run", [&] {
    if (run_->status() == RunStatus::kRunning) run_->finish(status, error);
  });
  guarded("reading writer statistics", [&] { final_stats_ = run_->stats(); });
}

TrackingReport TrackingCallback::report() const {
  TrackingReport out;
  out.tracking = !run_id_.empty();
  out.run_id = run_id_;
  out.store_uri = store_uri_;
  out.failures = failures_;
  out.last_failure = last_failure_;
  out.writer = final_stats_;
  if (run_) {
    try {
      out.writer = run_->stats();
    } catch (...) {
      // Keep the statistics captured when the run ended.
    }
  }
  return out;
}

}  // namespace vigil::plugin
