#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "vigil/plugin/callback.h"
#include "vigil/tracker/store.h"

namespace vigil::plugin {

/// Settings of a TrackingCallback: the experiment in the constructor, the rest as chained
/// setters (PyTorch options style):
///
///   TrackingOptions("mnist").run_name("cnn-adam").batch_size(64).epochs(10).seed(42)
struct TrackingOptions {
  /// `experiment`: the experiment the run belongs to (created on first use); not empty.
  explicit TrackingOptions(std::string experiment = "default");

  /// Experiment name. Default "default".
  TORCH_ARG(std::string, experiment);
  /// Run name (free text). Default empty.
  TORCH_ARG(std::string, run_name);
  /// Store URI (see tracker::Store::resolve_uri). Default empty: $VIGIL_STORE, else
  /// ./.vigil/vigil.db.
  TORCH_ARG(std::string, store);
  /// Settings of the store the callback opens. Default tracker::StoreOptions().
  TORCH_ARG(tracker::StoreOptions, store_options);
  /// Read per-step values back from the device every N steps (one host sync per N steps;
  /// every step still gets its own point). 0 = automatic: 1 when the loss is on the CPU,
  /// 10 otherwise. Must be >= 0.
  TORCH_ARG(std::int64_t, log_every) = 0;
  /// Batch size, logged as param `batch_size`. Default: not logged.
  TORCH_ARG(std::optional<std::int64_t>, batch_size);
  /// Planned number of epochs, logged as param `epochs`. Default: not logged.
  TORCH_ARG(std::optional<std::int64_t>, epochs);
  /// Seed of the run, logged as param `seed`. Default: the initial seed of LibTorch's
  /// default CPU generator (what torch::manual_seed set, or its random default).
  TORCH_ARG(std::optional<std::uint64_t>, seed);
  /// Model name, logged as `model.name`. Default: the module's name() (its C++ class).
  TORCH_ARG(std::string, model_name);
  /// Extra params deep-merged over the automatic ones (e.g. {{"dataset", "fashion-mnist"}}).
  /// Must be a JSON object. Default {}.
  TORCH_ARG(nlohmann::json, params) = nlohmann::json::object();
  /// Tags of the run. Default none.
  TORCH_ARG(std::vector<std::string>, tags);
  /// Log the module structure (pretty_print text) as `model.structure`. Default true.
  TORCH_ARG(bool, log_structure) = true;
};

/// One training step as read back from the device.
struct StepRecord {
  std::int64_t step = 0;           ///< global step
  std::int64_t epoch = 0;          ///< epoch of the step
  double loss = 0.0;               ///< loss of the batch (may be NaN/Inf)
  std::optional<double> accuracy;  ///< batch accuracy, when outputs and targets were given
  std::optional<double> lr;        ///< learning rate of param group 0 at that step
  std::int64_t samples = 0;        ///< batch size (0 when unknown)
};

/// What tracking did; see TrackingCallback::report().
struct TrackingReport {
  bool tracking = false;        ///< a run was started in the store
  std::string run_id;           ///< its id (empty when none)
  std::string store_uri;        ///< resolved store URI
  std::uint64_t failures = 0;   ///< tracking operations that failed (training went on)
  std::string last_failure;     ///< message of the last one
  tracker::WriterStats writer;  ///< the run's writer statistics, at the end of training
};

/// Records a training run in a vigil store: hyperparameters read from the optimizer and the
/// model (nothing typed twice), per-step loss/accuracy/lr, per-epoch train and validation
/// metrics, final results.
///
/// Series: per step `loss`, `accuracy` (when outputs and targets are given), `lr`; per epoch
/// `loss{subset=train}`, `accuracy{subset=train}` and every validation metric as
/// `NAME{subset=val}`. Results at the end: `final_accuracy`, `best_accuracy`, `final_loss`
/// (validation values when there was validation, else train), `epochs_completed`, `steps`.
///
/// Cost: no device-to-host copy per step: losses and correct counts stay on the device and are
/// read every log_every steps with one copy; the store's background writer does all I/O.
///
/// Failure policy: tracking never stops training. A failing store operation is logged
/// through the spdlog logger "vigil", counted, and summarised by report() and at
/// on_train_end; the training loop goes on (with no store at all if it cannot be opened).
///
/// The run ends with on_train_end (finished), on_exception (failed, with the message) or
/// finish_run() (e.g. rejected/aborted by a guard), whichever comes first.
///
/// Thread safety: not thread-safe; hooks run on the training thread.
class TrackingCallback : public Callback {
 public:
  explicit TrackingCallback(TrackingOptions options);
  ~TrackingCallback() override;

  void on_train_begin(TrainingState& state) override;
  void on_epoch_begin(TrainingState& state) override;
  void on_batch_end(TrainingState& state, const BatchOutput& batch) override;
  void on_validation_end(TrainingState& state, const MetricMap& metrics) override;
  void on_epoch_end(TrainingState& state) override;
  void on_train_end(TrainingState& state) override;
  void on_exception(TrainingState& state, std::exception_ptr error) noexcept override;

  const TrackingOptions& options() const { return options_; }

  /// Params collected at on_train_begin (also when the store is unavailable).
  const nlohmann::json& params() const { return params_; }

  /// Results logged at the end of training (empty before).
  const nlohmann::json& results() const { return results_; }

  /// The run, between on_train_begin and the end of the callback; null when tracking could
  /// not start.
  tracker::Run* run() { return run_.get(); }
  /// The store the run lives in; null when it could not be opened.
  tracker::Store* store() { return store_.get(); }

  /// Steps read back from the device by the latest on_batch_end or on_epoch_end (empty when
  /// that call did not read). Valid until the next hook call.
  const std::vector<StepRecord>& steps_read() const { return steps_read_; }

  /// Train metrics of the last completed epoch ("loss", "accuracy"), validation metrics of
  /// the last on_validation_end.
  const MetricMap& last_train_metrics() const { return last_train_; }
  const MetricMap& last_val_metrics() const { return last_val_; }

  /// Ends the run with `status` and `error` (idempotent; later hooks then write nothing).
  /// Never throws: failures are counted like every tracking failure.
  void finish_run(tracker::RunStatus status, std::string_view error = {}) noexcept;

  /// Reads pending per-step values now (normally done every log_every steps and at epoch
  /// end). Used by guards that need the latest values.
  void read_pending();

  TrackingReport report() const;

  /// Runs `action`; on an exception logs "vigil: tracking: WHAT failed: MESSAGE", counts it
  /// and returns false. Used for every store operation.
  bool guarded(std::string_view what, const std::function<void()>& action) noexcept;

 private:
  struct Pending;
  void log_epoch_train(const TrainingState& state);
  void reset_epoch();
  void log_results() noexcept;
  nlohmann::json collect_params(const TrainingState& state) const;

  TrackingOptions options_;
  std::unique_ptr<tracker::Store> store_;
  std::unique_ptr<tracker::Run> run_;
  nlohmann::json params_ = nlohmann::json::object();
  nlohmann::json results_ = nlohmann::json::object();
  std::int64_t log_every_ = 1;

  // Series handles, created with their first point (a refused run has no empty series).
  std::optional<tracker::MetricHandle> loss_;
  std::optional<tracker::MetricHandle> accuracy_;
  std::optional<tracker::MetricHandle> lr_;

  std::unique_ptr<Pending> pending_;  // per-step tensors not read back yet
  std::vector<StepRecord> steps_read_;

  // Epoch accumulators over read steps (host values).
  double epoch_loss_sum_ = 0.0;
  double epoch_correct_ = 0.0;
  std::int64_t epoch_samples_ = 0;
  std::int64_t epoch_batches_ = 0;
  bool epoch_has_accuracy_ = false;

  MetricMap last_train_;
  MetricMap last_val_;
  std::optional<double> best_accuracy_;
  std::int64_t epochs_completed_ = 0;
  std::int64_t steps_ = 0;

  std::uint64_t failures_ = 0;
  std::string last_failure_;
  std::string store_uri_;
  std::string run_id_;
  tracker::WriterStats final_stats_;
};

}  // namespace vigil::plugin
