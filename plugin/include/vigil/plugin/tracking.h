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
#include "vigil/tracker/system_metrics.h"

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
  /// Model name, logged as `model.name` (single-model form of on_train_begin; named models
  /// log their class as `models.NAME.name`). Default: the module's name() (its C++ class).
  TORCH_ARG(std::string, model_name);
  /// Extra params deep-merged over the automatic ones (e.g. {{"dataset", "fashion-mnist"}}).
  /// Must be a JSON object. Default {}.
  TORCH_ARG(nlohmann::json, params) = nlohmann::json::object();
  /// Tags of the run. Default none.
  TORCH_ARG(std::vector<std::string>, tags);
  /// Log the module structure (pretty_print text) as `model.structure`. Default true.
  TORCH_ARG(bool, log_structure) = true;
  /// This process's rank in a distributed job: all ranks then record into the job's one run
  /// (tracker::Store::join_run). Default: read from the launcher's environment
  /// (tracker::rank_from_environment: RANK, WORLD_SIZE, LOCAL_RANK, TORCHELASTIC_RUN_ID,
  /// Slurm's variables, VIGIL_RUN_ID) when detect_distributed is true; none = one process.
  TORCH_ARG(std::optional<tracker::RankOptions>, rank);
  /// Look for a distributed job in the environment when rank() is not set. Default true.
  TORCH_ARG(bool, detect_distributed) = true;
  /// In a distributed job, log every rank's step and epoch values: ranks other than 0 write
  /// their series with context {"rank": N} (rank 0 keeps the plain series). Default false:
  /// rank 0's values only.
  TORCH_ARG(bool, log_all_ranks) = false;
  /// Seconds between two samples of this process's system metrics (sys.cpu_percent,
  /// sys.rss_bytes, sys.gpu_util_percent{gpu=N}, sys.gpu_memory_bytes{gpu=N}; context "rank"
  /// in a distributed job), taken on a background thread (tracker::SystemMetricsSampler) from
  /// the first step on (a refused run records none). 0 = off. Default 10; must be >= 0.
  TORCH_ARG(double, system_metrics_interval) = 10.0;
};

/// One value of one step as read back from the device: a point of a series.
struct StepValue {
  /// Qualified series name: "loss", "g_loss", "accuracy", "lr", "lr{optimizer=generator}",
  /// or a name given to CallbackList::log ("D(x)").
  std::string series;
  std::int64_t step = 0;   ///< global step
  std::int64_t epoch = 0;  ///< epoch of the step
  double value = 0.0;      ///< may be NaN/Inf
};

/// Receives what a TrackingCallback reads, when it reads it (GuardCallback is one). Called on
/// the training thread from inside the tracking callback's hooks; may throw to stop training
/// (the exception leaves that hook, e.g. on_batch_end before the optimizer step).
class TrackingObserver {
 public:
  virtual ~TrackingObserver() = default;
  /// Step values read back from the device, in step order: every step on the CPU, every
  /// log_every steps otherwise, and at the end of each epoch and of training.
  virtual void on_steps_read(TrainingState& state, const std::vector<StepValue>& values) {}
  /// Means of the epoch that just ended, by qualified series name with subset=train
  /// ("loss{subset=train}", "g_loss{subset=train}", "accuracy{subset=train}").
  virtual void on_epoch_metrics(TrainingState& state, const MetricMap& train) {}
};

/// What tracking did; see TrackingCallback::report().
struct TrackingReport {
  bool tracking = false;        ///< a run was started in the store
  std::string run_id;           ///< its id (empty when none)
  std::string store_uri;        ///< resolved store URI, without its password
  std::uint64_t failures = 0;   ///< tracking operations that failed (training went on)
  std::string last_failure;     ///< message of the last one
  tracker::WriterStats writer;  ///< the run's writer statistics, at the end of training
};

/// Records a training run in a vigil store: hyperparameters read from the optimizers and the
/// models (nothing typed twice), per-step losses/accuracy/lr, values the loop logs, per-epoch
/// train and validation metrics, final results.
///
/// Params: one model and optimizer give `model.*` and `optimizer.*` (`name`, `lr`, ...);
/// named ones give `models.NAME.*` and `optimizers.NAME.*`. Also `device`, `seed`,
/// `batch_size`, `epochs`, `libtorch_version`, `host`, `git_commit` and TrackingOptions::params.
///
/// Series: per step `loss` (or the loss's name: `g_loss`), `accuracy` (when outputs and
/// targets are given; `accuracy{loss=NAME}` for a named loss), `lr` (or `lr{optimizer=NAME}`
/// per named optimizer), every name given to CallbackList::log; per epoch each loss and
/// accuracy as `NAME{subset=train}` and every validation metric as `NAME{subset=val}`.
/// Results at the end: `steps`, `epochs_completed`, `final_loss` and `final_NAME` per named
/// loss, `final_accuracy`, `best_accuracy`: validation values when there was validation, else
/// the last epoch's train means, else (loops without epoch hooks) the mean of the last
/// kFinalWindow steps read.
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
/// Distributed jobs (TrackingOptions::rank, or the launcher's environment): every rank joins
/// the job's one run and records its host, pid, device and heartbeat; rank 0 records params
/// (with `distributed.world_size`), results and step values (every rank's with
/// log_all_ranks). An exception on a rank after another rank asked the job to stop (a
/// collective failing because that rank left) ends this rank `aborted` too, and run_main
/// returns kExitAborted for it.
///
/// Thread safety: not thread-safe; hooks run on the training thread.
class TrackingCallback : public Callback {
 public:
  explicit TrackingCallback(TrackingOptions options);
  ~TrackingCallback() override;

  void on_train_begin(TrainingState& state) override;
  void on_epoch_begin(TrainingState& state) override;
  void on_batch_end(TrainingState& state, const BatchOutput& batch) override;
  void on_log(TrainingState& state, const LogValues& values) override;
  void on_validation_end(TrainingState& state, const MetricMap& metrics) override;
  void on_epoch_end(TrainingState& state) override;
  void on_train_end(TrainingState& state) override;
  void on_exception(TrainingState& state, std::exception_ptr error) noexcept override;

  const TrackingOptions& options() const { return options_; }

  /// Params collected at on_train_begin (also when the store is unavailable).
  const nlohmann::json& params() const;

  /// Results logged at the end of training (empty before).
  const nlohmann::json& results() const;

  /// The run, between on_train_begin and the end of the callback; null when tracking could
  /// not start.
  tracker::Run* run();
  /// The store the run lives in; null when it could not be opened.
  tracker::Store* store() { return store_.get(); }

  /// Steps whose mean gives the final results of loops without epoch hooks.
  static constexpr std::size_t kFinalWindow = 10;

  /// Subscribes `observer` (not null; must stay valid until removed) to the values this
  /// callback reads. Observers are called in the order they were added.
  void add_observer(TrackingObserver* observer);
  void remove_observer(TrackingObserver* observer) noexcept;

  /// Train means of the last completed epoch by series ("loss", "g_loss", "accuracy"),
  /// validation metrics of the last on_validation_end.
  const MetricMap& last_train_metrics() const;
  const MetricMap& last_val_metrics() const;

  /// The rank of this process in its distributed job (TrackingOptions::rank or the
  /// environment); nullopt for one process.
  const std::optional<tracker::RankOptions>& rank() const noexcept { return rank_; }
  /// True for the process that records params, results and validations: rank 0 of a job, or
  /// the only process.
  bool primary() const noexcept { return !rank_ || rank_->rank == 0; }

  /// Asks every rank of the job to stop (a guard tripped here): stores the request with the
  /// step, value and one-line message. Does nothing for one process. Never throws (counted
  /// like every tracking failure).
  void request_job_stop(std::int64_t step, double value, const std::string& message) noexcept;
  /// The job's stop request when another rank stored one (one atomic load when none; the
  /// store is read by the writer thread every StoreOptions::stop_poll_interval).
  std::optional<tracker::StopRequest> job_stop_request() const;

  /// Ends the run with `status` and `error` (idempotent; later hooks then write nothing).
  /// Never throws: failures are counted like every tracking failure.
  void finish_run(tracker::RunStatus status, std::string_view error = {}) noexcept;

  TrackingReport report() const;

  /// Runs `action`; on an exception logs "vigil: tracking: WHAT failed: MESSAGE", counts it
  /// and returns false. Used for every store operation.
  bool guarded(std::string_view what, const std::function<void()>& action) noexcept;

 private:
  struct Fit;
  void record_loss(const TrainingState& state, const BatchOutput& batch);
  void record_lrs(const TrainingState& state);
  void add_pending(std::size_t series, const TrainingState& state, const LogValue& value,
                   std::int64_t samples = 0);
  std::vector<StepValue> read_pending() noexcept;
  void read_and_notify(TrainingState& state);
  void log_epoch_train(TrainingState& state);
  void log_results() noexcept;
  nlohmann::json collect_params(const TrainingState& state) const;

  TrackingOptions options_;
  std::unique_ptr<tracker::Store> store_;
  std::vector<TrackingObserver*> observers_;
  void start_run(Fit& fit);
  /// After an exception in a job: waits (bounded) for another rank's stop request, which
  /// explains a collective that failed because that rank left.
  std::optional<tracker::StopRequest> wait_for_job_stop() noexcept;

  std::unique_ptr<Fit> fit_;  // everything of the current fit, reset by assignment
  std::string store_uri_;
  std::optional<tracker::RankOptions> rank_;
};

}  // namespace vigil::plugin
