#include <ATen/CPUGeneratorImpl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <numeric>
#include <thread>
#include <utility>

#include "log.h"
#include "pending_values.h"
#include "unwound_fits.h"
#include "vigil/error.h"
#include "vigil/plugin/hyperparams.h"
#include "vigil/plugin/tracking.h"
#include "vigil/tracker/errors.h"

namespace vigil::plugin {
namespace {

using nlohmann::json;
using tracker::RunStatus;

constexpr std::string_view kLoss = "loss";
constexpr std::string_view kAccuracy = "accuracy";
constexpr std::string_view kLr = "lr";

// One series of the run, with what its epoch means and final value need.
struct Series {
  std::string name;
  json context = json::object();
  std::string qualified;  // name{context}
  std::string kind;       // "loss", "accuracy", "lr", or the series name of a logged value
  std::optional<tracker::MetricHandle> handle;  // created with the first point
  double epoch_sum = 0.0;     // loss: value x samples; accuracy: correct predictions
  double epoch_weight = 0.0;  // samples (1 per step when unknown)
  std::deque<double> recent;  // last kFinalWindow values (losses and accuracies)

  bool averaged() const { return kind == kLoss || kind == kAccuracy; }
};

double mean(const std::deque<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

// The system metrics sampler of a run (null when interval_seconds is 0): started with the
// first step, so a refused run records none.
std::unique_ptr<tracker::SystemMetricsSampler> start_sampler(
    tracker::Run& run, double interval_seconds, const std::optional<tracker::RankOptions>& rank) {
  if (interval_seconds <= 0.0 || run.status() != RunStatus::kRunning) return nullptr;
  tracker::SystemMetricsOptions sampling;
  sampling.interval =
      std::chrono::milliseconds(static_cast<std::int64_t>(interval_seconds * 1000.0 + 0.5));
  if (sampling.interval.count() == 0) sampling.interval = std::chrono::milliseconds(1);
  if (rank) sampling.context = {{"rank", rank->rank}};
  return std::make_unique<tracker::SystemMetricsSampler>(run, sampling);
}

}  // namespace

// Everything about one fit; a new fit replaces it whole.
struct TrackingCallback::Fit {
  std::unique_ptr<tracker::Run> run;  // first: destroyed after the handles of its series
  std::unique_ptr<tracker::SystemMetricsSampler> sampler;  // stopped before the run ends
  bool sampler_due = true;                                 // the sampler starts with the first step
  std::string run_id;
  bool logs_values = true;             // false on ranks other than 0 without log_all_ranks
  json rank_context = json::object();  // {"rank": N} on ranks other than 0
  json params = json::object();
  json results = json::object();
  std::int64_t log_every = 1;
  std::vector<Series> series;
  std::map<std::string, std::size_t, std::less<>> series_index;  // qualified name -> series
  std::vector<std::size_t> lr_series;                            // per TrainingState optimizer
  detail::PendingValues pending;  // values of steps not read back yet
  MetricMap last_train;
  MetricMap last_val;
  std::optional<double> best_accuracy;
  std::int64_t epochs_completed = 0;
  std::int64_t steps = 0;
  std::uint64_t failures = 0;
  std::string last_failure;
  tracker::WriterStats final_stats;

  bool recording() const { return run && run->status() == RunStatus::kRunning; }
  bool recording_values() const { return logs_values && recording(); }
  /// The context a series is stored with: this rank's added on ranks other than 0.
  json stored_context(const json& context) const {
    if (rank_context.empty()) return context;
    json merged = context;
    merged.update(rank_context);
    return merged;
  }

  std::size_t series_id(const std::string& name, const json& context, std::string_view kind) {
    if (name.empty()) {
      throw tracker::InvalidArgument("a value has an empty name; expected a series name");
    }
    if (name.find_first_of("{}") != std::string::npos) {
      throw tracker::InvalidArgument("value name '" + name +
                                     "' contains { or }; expected a plain series name");
    }
    std::string key = context.empty() ? name : tracker::SeriesKey{name, context}.qualified_name();
    if (auto it = series_index.find(key); it != series_index.end()) return it->second;
    Series added;
    added.name = name;
    added.context = context;
    added.qualified = key;
    added.kind = std::string(kind);
    series.push_back(std::move(added));
    series_index.emplace(std::move(key), series.size() - 1);
    return series.size() - 1;
  }
};

TrackingOptions::TrackingOptions(std::string experiment) : experiment_(std::move(experiment)) {}

TrackingCallback::TrackingCallback(TrackingOptions options)
    : options_(std::move(options)), fit_(std::make_unique<Fit>()) {
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
  // A malformed store URI is the caller's mistake: say so before training, not after it ran
  // untracked. (A valid store that cannot be reached is a tracking failure: training goes on.)
  tracker::Store::check_uri(tracker::Store::resolve_uri(options_.store()));
  if (!(options_.system_metrics_interval() >= 0.0)) {
    throw tracker::InvalidArgument("TrackingOptions: system_metrics_interval is " +
                                   std::to_string(options_.system_metrics_interval()) +
                                   "; expected seconds >= 0 (0 = off)");
  }
  rank_ = options_.rank();
  if (!rank_ && options_.detect_distributed()) rank_ = tracker::rank_from_environment();
}

TrackingCallback::~TrackingCallback() = default;

const json& TrackingCallback::params() const { return fit_->params; }
const json& TrackingCallback::results() const { return fit_->results; }
tracker::Run* TrackingCallback::run() { return fit_->run.get(); }
const MetricMap& TrackingCallback::last_train_metrics() const { return fit_->last_train; }
const MetricMap& TrackingCallback::last_val_metrics() const { return fit_->last_val; }

void TrackingCallback::add_observer(TrackingObserver* observer) {
  if (observer == nullptr) {
    throw tracker::InvalidArgument("TrackingCallback::add_observer: observer is null");
  }
  observers_.push_back(observer);
}

void TrackingCallback::remove_observer(TrackingObserver* observer) noexcept {
  observers_.erase(std::remove(observers_.begin(), observers_.end(), observer), observers_.end());
}

bool TrackingCallback::guarded(std::string_view what,
                               const std::function<void()>& action) noexcept {
  try {
    action();
    return true;
  } catch (...) {
    ++fit_->failures;
    fit_->last_failure = std::string(what) + ": " + describe_exception(std::current_exception());
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
  const bool single = state.models.size() == 1 && state.models.front().name.empty();
  if (single) {
    if (state.optimizer != nullptr) params["optimizer"] = optimizer_params(*state.optimizer);
    params["model"] = model_params(*state.model, options_.model_name(), options_.log_structure());
  } else {
    for (const NamedOptimizer& optimizer : state.optimizers) {
      params["optimizers"][optimizer.name] = optimizer_params(*optimizer.optimizer);
    }
    for (const NamedModel& model : state.models) {
      params["models"][model.name] = model_params(*model.module, "", options_.log_structure());
    }
  }
  if (options_.batch_size()) params["batch_size"] = *options_.batch_size();
  if (options_.epochs()) params["epochs"] = *options_.epochs();
  params["seed"] =
      options_.seed() ? *options_.seed() : at::detail::getDefaultCPUGenerator().current_seed();
  params["device"] = model_device(*state.model);
  params["libtorch_version"] = libtorch_version();
  params["host"] = host_name();
  if (rank_) params["distributed"]["world_size"] = rank_->world_size;
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
  fit_ = std::make_unique<Fit>();
  Fit& fit = *fit_;
  fit.log_every = options_.log_every();
  for (const NamedOptimizer& optimizer : state.optimizers) {
    fit.lr_series.push_back(
        optimizer.name.empty()
            ? fit.series_id(std::string(kLr), json::object(), kLr)
            : fit.series_id(std::string(kLr), {{"optimizer", optimizer.name}}, kLr));
  }

  guarded("collecting hyperparameters", [&] { fit.params = collect_params(state); });
  guarded("opening the store", [&] {
    store_uri_ = tracker::Store::resolve_uri(options_.store());
    if (!store_ || store_->uri() != store_uri_) {
      store_ = std::make_unique<tracker::Store>(store_uri_, options_.store_options());
    }
  });
  if (!store_) return;
  guarded("starting the run", [&] { start_run(fit); });
}

void TrackingCallback::start_run(Fit& fit) {
  tracker::RunOptions run_options;
  run_options.name = options_.run_name();
  run_options.experiment = options_.experiment();
  run_options.params = fit.params;
  run_options.tags = options_.tags();
  if (rank_) {
    tracker::RankOptions rank = *rank_;
    if (rank.device.empty()) rank.device = fit.params.value("device", "");
    fit.run = std::make_unique<tracker::Run>(store_->join_run(run_options, rank));
    fit.logs_values = rank.rank == 0 || options_.log_all_ranks();
    if (rank.rank != 0) fit.rank_context = {{"rank", rank.rank}};
  } else {
    fit.run = std::make_unique<tracker::Run>(store_->start_run(run_options));
  }
  fit.run_id = fit.run->id();
}

void TrackingCallback::on_epoch_begin(TrainingState& state) {
  for (Series& series : fit_->series) series.epoch_sum = series.epoch_weight = 0.0;
}

void TrackingCallback::add_pending(std::size_t series, const TrainingState& state,
                                   const LogValue& value, std::int64_t samples) {
  fit_->pending.add(series, fit_->series[series].qualified, state, value, samples);
}

void TrackingCallback::record_loss(const TrainingState& state, const BatchOutput& batch) {
  Fit& fit = *fit_;
  if (!batch.loss.defined() || batch.loss.numel() != 1) {
    throw tracker::InvalidArgument("on_batch_end: loss must be a tensor with one element");
  }
  if (fit.log_every == 0) fit.log_every = batch.loss.device().is_cpu() ? 1 : 10;
  const std::string name = batch.name.empty() ? std::string(kLoss) : batch.name;
  std::int64_t samples = 0;
  if (batch.targets.defined() && batch.targets.dim() > 0) samples = batch.targets.size(0);
  torch::NoGradGuard no_grad;
  add_pending(fit.series_id(name, json::object(), kLoss), state, batch.loss, samples);
  const bool with_accuracy = batch.outputs.defined() && batch.targets.defined() &&
                             batch.outputs.dim() == 2 && batch.targets.dim() == 1 && samples > 0;
  if (!with_accuracy) return;
  const std::size_t accuracy =
      batch.name.empty() ? fit.series_id(std::string(kAccuracy), json::object(), kAccuracy)
                         : fit.series_id(std::string(kAccuracy), {{"loss", name}}, kAccuracy);
  add_pending(accuracy, state, batch.outputs.detach().argmax(1).eq(batch.targets.detach()).sum(),
              samples);
}

void TrackingCallback::record_lrs(const TrainingState& state) {
  Fit& fit = *fit_;
  for (std::size_t i = 0; i < state.optimizers.size() && i < fit.lr_series.size(); ++i) {
    const double lr = current_lr(*state.optimizers[i].optimizer);
    if (!std::isnan(lr)) add_pending(fit.lr_series[i], state, lr);
  }
}

void TrackingCallback::on_batch_end(TrainingState& state, const BatchOutput& batch) {
  Fit& fit = *fit_;
  if (fit.sampler_due && fit.run) {
    fit.sampler_due = false;
    guarded("starting the system metrics sampler", [&] {
      fit.sampler = start_sampler(*fit.run, options_.system_metrics_interval(), rank_);
    });
  }
  guarded("recording a step", [&] {
    record_loss(state, batch);
    if (state.new_step) record_lrs(state);
  });
  if (state.new_step) ++fit.steps;
  if (fit.pending.steps() >= std::max<std::int64_t>(fit.log_every, 1)) read_and_notify(state);
}

void TrackingCallback::on_log(TrainingState& state, const LogValues& values) {
  guarded("logging values", [&] {
    torch::NoGradGuard no_grad;
    for (const auto& [name, value] : values) {
      add_pending(fit_->series_id(name, json::object(), name), state, value);
    }
  });
}

std::vector<StepValue> TrackingCallback::read_pending() noexcept {
  Fit& fit = *fit_;
  std::vector<StepValue> values;
  if (fit.pending.empty()) return values;
  std::vector<std::size_t> ids;
  guarded("reading step values", [&] {
    const std::vector<double> numbers = fit.pending.read();
    for (std::size_t i = 0; i < numbers.size(); ++i) {
      const detail::PendingValue& entry = fit.pending.values()[i];
      Series& series = fit.series[entry.series];
      double value = numbers[i];
      if (series.kind == kAccuracy) {
        series.epoch_sum += value;  // correct predictions
        series.epoch_weight += static_cast<double>(entry.samples);
        value /= static_cast<double>(entry.samples);
      } else if (series.kind == kLoss) {
        const double weight = static_cast<double>(std::max<std::int64_t>(entry.samples, 1));
        series.epoch_sum += value * weight;
        series.epoch_weight += weight;
      }
      if (series.averaged()) {
        series.recent.push_back(value);
        if (series.recent.size() > kFinalWindow) series.recent.pop_front();
      }
      values.push_back({series.qualified, entry.step, entry.epoch, value});
      ids.push_back(entry.series);
    }
  });
  fit.pending.clear();
  if (!fit.recording_values()) return values;
  guarded("recording step values", [&] {
    for (std::size_t i = 0; i < values.size(); ++i) {
      Series& series = fit.series[ids[i]];
      if (!series.handle) {
        series.handle = fit.run->metric(series.name, fit.stored_context(series.context));
      }
      series.handle->log(values[i].value, values[i].step, values[i].epoch);
    }
  });
  return values;
}

void TrackingCallback::read_and_notify(TrainingState& state) {
  const std::vector<StepValue> values = read_pending();
  if (values.empty()) return;
  // Outside guarded(): an observer (a guard) may stop training from here.
  for (TrackingObserver* observer : observers_) observer->on_steps_read(state, values);
}

void TrackingCallback::on_validation_end(TrainingState& state, const MetricMap& metrics) {
  Fit& fit = *fit_;
  fit.last_val = metrics;
  if (auto it = metrics.find("accuracy"); it != metrics.end() && !std::isnan(it->second)) {
    fit.best_accuracy = fit.best_accuracy ? std::max(*fit.best_accuracy, it->second) : it->second;
  }
  if (!fit.recording_values()) return;
  guarded("logging validation metrics", [&] {
    const json context = fit.stored_context({{"subset", "val"}});
    for (const auto& [name, value] : metrics) {
      fit.run->log_metric(name, value, state.step, state.epoch, context);
    }
  });
}

void TrackingCallback::log_epoch_train(TrainingState& state) {
  Fit& fit = *fit_;
  MetricMap train;  // by qualified name with subset=train, for observers
  guarded("logging epoch metrics", [&] {
    MetricMap means;
    for (Series& series : fit.series) {
      if (series.epoch_weight <= 0.0) continue;
      const double value = series.epoch_sum / series.epoch_weight;
      series.epoch_sum = series.epoch_weight = 0.0;
      means[series.qualified] = value;
      json context = series.context;
      context["subset"] = "train";
      train[tracker::SeriesKey{series.name, context}.qualified_name()] = value;
      if (fit.recording_values()) {
        fit.run->log_metric(series.name, value, state.step, state.epoch,
                            fit.stored_context(context));
      }
    }
    if (!means.empty()) fit.last_train = std::move(means);
  });
  if (train.empty()) return;
  for (TrackingObserver* observer : observers_) observer->on_epoch_metrics(state, train);
}

void TrackingCallback::on_epoch_end(TrainingState& state) {
  read_and_notify(state);
  log_epoch_train(state);
  ++fit_->epochs_completed;
}

void TrackingCallback::log_results() noexcept {
  Fit& fit = *fit_;
  guarded("logging results", [&] {
    json results = {{"epochs_completed", fit.epochs_completed}, {"steps", fit.steps}};
    // Validation values, else the last epoch's train means, else the last steps' mean.
    auto final_value = [&](const std::string& name,
                           const std::deque<double>* recent) -> std::optional<double> {
      if (auto it = fit.last_val.find(name); it != fit.last_val.end()) return it->second;
      if (auto it = fit.last_train.find(name); it != fit.last_train.end()) return it->second;
      if (recent != nullptr && !recent->empty()) return mean(*recent);
      return std::nullopt;
    };
    for (const Series& series : fit.series) {
      if (!series.averaged() || !series.context.empty()) continue;
      if (auto value = final_value(series.name, &series.recent)) {
        results["final_" + series.name] = tracker::finite_or_string(*value);
      }
    }
    for (const char* name : {"loss", "accuracy"}) {
      const std::string key = std::string("final_") + name;
      if (results.contains(key)) continue;
      if (auto value = final_value(name, nullptr)) results[key] = tracker::finite_or_string(*value);
    }
    std::optional<double> best = fit.best_accuracy;
    if (!best && fit.last_val.empty()) {
      if (auto it = fit.last_train.find("accuracy"); it != fit.last_train.end()) best = it->second;
    }
    if (best) results["best_accuracy"] = *best;
    fit.results = results;
    if (fit.recording() && primary()) fit.run->log_results(results);
  });
}

void TrackingCallback::on_train_end(TrainingState& state) {
  Fit& fit = *fit_;
  read_and_notify(state);
  if (!fit.recording()) {
    if (!fit.run) log_results();  // untracked: results stay available to guards
    return;
  }
  log_results();
  finish_run(RunStatus::kFinished);
  const TrackingReport summary = report();
  if (summary.failures > 0 || summary.writer.write_errors > 0) {
    detail::logger()->warn(
        "vigil: tracking: {} operation(s) failed and {} store write(s) failed during training; "
        "run {} in {} may be incomplete (last error: {})",
        summary.failures, summary.writer.write_errors, fit.run_id,
        tracker::Store::redact_uri(store_uri_),
        summary.last_failure.empty() ? summary.writer.last_error : summary.last_failure);
  }
}

void TrackingCallback::on_exception(TrainingState& state, std::exception_ptr error) noexcept {
  if (!fit_->recording()) return;
  // Values of the steps before the failure are still worth keeping.
  (void)read_pending();
  log_results();
  if (auto stop = wait_for_job_stop()) {
    const std::string message = "stopped with the job: rank " + std::to_string(stop->rank) +
                                " at step " + std::to_string(stop->step) + ": " + stop->message +
                                " (here: " + describe_exception(error) + ")";
    detail::logger()->error("vigil: {}", message);
    finish_run(RunStatus::kAborted, message);
    detail::note_job_stopped();
    return;
  }
  finish_run(RunStatus::kFailed, describe_exception(error));
}

std::optional<tracker::StopRequest> TrackingCallback::wait_for_job_stop() noexcept {
  Fit& fit = *fit_;
  if (!rank_ || !fit.run) return std::nullopt;
  // Two poll intervals: the stopping rank stores its request before it leaves, so by then it
  // is visible to a direct read.
  const auto deadline =
      std::chrono::steady_clock::now() + 2 * options_.store_options().stop_poll_interval;
  std::optional<tracker::StopRequest> stop;
  guarded("reading the job's stop request", [&] {
    for (;;) {
      stop = fit.run->stop_request();
      if (!stop) stop = store_->stop_request(fit.run_id);
      if (stop || std::chrono::steady_clock::now() >= deadline) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  if (stop && stop->rank == rank_->rank) return std::nullopt;  // this rank's own guard
  return stop;
}

void TrackingCallback::request_job_stop(std::int64_t step, double value,
                                        const std::string& message) noexcept {
  Fit& fit = *fit_;
  if (!rank_ || !fit.recording()) return;
  guarded("asking the job to stop", [&] {
    tracker::StopRequest request;
    request.step = step;
    request.value = value;
    request.message = message;
    fit.run->request_stop(request);
  });
}

std::optional<tracker::StopRequest> TrackingCallback::job_stop_request() const {
  const Fit& fit = *fit_;
  if (!rank_ || !fit.run) return std::nullopt;
  auto stop = fit.run->stop_request();
  if (stop && stop->rank == rank_->rank) return std::nullopt;
  return stop;
}

void TrackingCallback::finish_run(RunStatus status, std::string_view error) noexcept {
  Fit& fit = *fit_;
  if (!fit.run) return;
  fit.sampler.reset();  // its last points go in before the run ends
  guarded("ending the run", [&] {
    if (fit.run->status() == RunStatus::kRunning) fit.run->finish(status, error);
  });
  guarded("reading writer statistics", [&] { fit.final_stats = fit.run->stats(); });
}

TrackingReport TrackingCallback::report() const {
  const Fit& fit = *fit_;
  TrackingReport out;
  out.tracking = !fit.run_id.empty();
  out.run_id = fit.run_id;
  out.store_uri = tracker::Store::redact_uri(store_uri_);
  out.failures = fit.failures;
  out.last_failure = fit.last_failure;
  out.writer = fit.final_stats;
  if (fit.run) {
    try {
      out.writer = fit.run->stats();
    } catch (...) {
      // Keep the statistics captured when the run ended.
    }
  }
  return out;
}

}  // namespace vigil::plugin
