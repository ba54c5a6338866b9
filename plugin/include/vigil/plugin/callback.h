#pragma once

#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <torch/torch.h>

namespace vigil::plugin {

/// Named scalar metrics of one evaluation, e.g. {{"loss", 0.31}, {"accuracy", 0.89}}.
using MetricMap = std::map<std::string, double>;

/// How a stop request takes effect.
enum class StopMode {
  kNone,        ///< no stop requested
  kEndOfEpoch,  ///< finish the current epoch (incl. validation), then stop
  kImmediate,   ///< leave the batch loop now; the optimizer step of this batch is skipped
};

/// Lets callbacks ask the training loop to stop, with a reason. The loop polls it: after each
/// on_batch_end (`stop_now()`) and after each on_epoch_end (`stop_requested()`).
///
/// The first request's reason is kept; a later kImmediate request upgrades a kEndOfEpoch one.
/// Thread safety: not thread-safe; used from the training thread only.
class TrainingControl {
 public:
  /// Asks the loop to stop. `reason` is one line, e.g. "plateau: accuracy{subset=val} ...".
  void request_stop(std::string reason, StopMode mode = StopMode::kEndOfEpoch);
  /// True once any stop was requested: the epoch loop should end.
  bool stop_requested() const { return mode_ != StopMode::kNone; }
  /// True when an immediate stop was requested: the batch loop should end before the
  /// optimizer step.
  bool stop_now() const { return mode_ == StopMode::kImmediate; }
  StopMode mode() const { return mode_; }
  /// Reason of the first request; empty when none.
  const std::string& reason() const { return reason_; }
  /// Clears any request (a new fit with the same callbacks).
  void reset();

 private:
  StopMode mode_ = StopMode::kNone;
  std::string reason_;
};

/// What one training batch produced, handed to on_batch_end.
struct BatchOutput {
  torch::Tensor loss;     ///< scalar loss of the batch (required; may require grad)
  torch::Tensor outputs;  ///< optional [N, C] scores (logits or log-probabilities)
  torch::Tensor targets;  ///< optional [N] class indices; with outputs, gives accuracy
  std::string name;       ///< name of the loss ("g_loss"); empty = the loop's only loss, "loss"
};

/// A model of a loop with several (a GAN's generator and discriminator), by name:
/// `{"generator", *generator}`. The module must outlive the fit.
struct NamedModel {
  NamedModel(std::string name, torch::nn::Module& module)
      : name(std::move(name)), module(&module) {}
  std::string name;           ///< not empty; the key under params.models
  torch::nn::Module* module;  ///< never null
};

/// An optimizer of a loop with several, by name: `{"generator", generator_optimizer}`. The
/// optimizer must outlive the fit.
struct NamedOptimizer {
  NamedOptimizer(std::string name, torch::optim::Optimizer& optimizer)
      : name(std::move(name)), optimizer(&optimizer) {}
  std::string name;                    ///< not empty; key under params.optimizers, lr context
  torch::optim::Optimizer* optimizer;  ///< never null
};

/// A value for CallbackList::log: a tensor with one element (kept on its device and read with
/// the step values, so logging it costs no device sync) or a number.
class LogValue {
 public:
  LogValue(torch::Tensor tensor) : tensor_(std::move(tensor)) {}  // NOLINT: implicit on purpose
  LogValue(double number) : number_(number) {}                    // NOLINT: implicit on purpose
  /// The tensor; undefined when the value is a number.
  const torch::Tensor& tensor() const noexcept { return tensor_; }
  /// The number; meaningful only when tensor() is undefined.
  double number() const noexcept { return number_; }

 private:
  torch::Tensor tensor_;
  double number_ = 0.0;
};

/// Several named values for CallbackList::log: `{{"D(x)", d_x}, {"D(G(z))", d_g_z}}`.
using LogValues = std::vector<std::pair<std::string, LogValue>>;

/// The training loop as the callbacks see it. Owned by CallbackList, passed to every hook.
struct TrainingState {
  torch::nn::Module* model = nullptr;            ///< set by on_train_begin (the first model)
  torch::optim::Optimizer* optimizer = nullptr;  ///< the first optimizer; may be null
  /// Every model. The single-model form of on_train_begin gives one entry with an empty name.
  std::vector<NamedModel> models;
  /// Every optimizer. The single-model form gives at most one entry, with an empty name.
  std::vector<NamedOptimizer> optimizers;
  std::int64_t epoch = 0;           ///< current epoch (0-based), set by on_epoch_begin
  std::int64_t step = 0;            ///< global 0-based index of the step being reported
  std::int64_t batch_in_epoch = 0;  ///< 0-based index of that step within its epoch
  /// True in the on_batch_end that opened `step` (its first loss), false for the other losses
  /// of the same step.
  bool new_step = false;
  TrainingControl control;  ///< stop requests
};

/// Base class of training callbacks, modelled on Keras and Lightning callbacks.
///
/// Hook order for one fit (CallbackList calls them, each in registration order):
///
///   on_train_begin                 once, before the first forward pass. May throw to refuse
///                                  the run (the guard throws RunRejected here).
///   for each epoch:
///     on_epoch_begin               optional (the epoch number follows on_epoch_end)
///     for each batch:
///       on_batch_end               after loss.backward(), BEFORE optimizer.step(). May throw
///                                  to stop at once so that the step is not taken (the guard
///                                  throws RunAborted), or request a stop through the control.
///                                  Once per loss of the step (a GAN reports d_loss and g_loss).
///       on_log                     values the loop logs with CallbackList::log (any time).
///     on_validation_end            optional, with the validation metrics of the epoch.
///     on_epoch_end                 may request a graceful stop (plateau, target).
///   on_train_end                   once, after the last epoch (normal end or graceful stop).
///   on_exception                   instead of on_train_end when the loop throws (including
///                                  RunAborted/RunRejected); must not throw.
///
/// Default implementations do nothing. Thread safety: hooks run on the training thread.
class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin(TrainingState& state) {}
  virtual void on_epoch_begin(TrainingState& state) {}
  virtual void on_batch_end(TrainingState& state, const BatchOutput& batch) {}
  /// Extra values of the current step (CallbackList::log): names are series names.
  virtual void on_log(TrainingState& state, const LogValues& values) {}
  virtual void on_validation_end(TrainingState& state, const MetricMap& metrics) {}
  virtual void on_epoch_end(TrainingState& state) {}
  virtual void on_train_end(TrainingState& state) {}
  /// `error` is the exception that ended the loop; its message is available through
  /// describe_exception(). Implementations must not throw. When run_main ends a fit that an
  /// exception left (no try/catch in the loop), the loop's scope is gone: state.model,
  /// state.optimizer, models and optimizers are null/empty then.
  virtual void on_exception(TrainingState& state, std::exception_ptr error) noexcept {}
};

/// The message of an exception_ptr ("unknown exception" for non-std exceptions).
std::string describe_exception(std::exception_ptr error);

/// An ordered list of callbacks and the state they share; what the training loop calls.
///
/// Usage (a plain LibTorch loop; `callbacks` from vigil::plugin::Session or built by hand;
/// run_main (session.h) turns every outcome into an exit code):
///
///   callbacks.on_train_begin(*model, optimizer);
///   for (int64_t epoch = 0; epoch < epochs && !callbacks.stop_requested(); ++epoch) {
///     callbacks.on_epoch_begin(epoch);
///     for (auto& [x, y] : batches) {
///       optimizer.zero_grad();
///       auto out = model->forward(x);
///       auto loss = torch::nn::functional::cross_entropy(out, y);
///       loss.backward();
///       callbacks.on_batch_end(loss, out, y);  // before step(): a guard may stop here
///       if (callbacks.stop_now()) break;
///       optimizer.step();
///     }
///     callbacks.on_validation_end({{"loss", val_loss}, {"accuracy", val_accuracy}});
///     callbacks.on_epoch_end(epoch);
///   }
///   callbacks.on_train_end();
///
/// Several models and losses (a GAN): on_train_begin({{"generator", *g}, {"discriminator",
/// *d}}, {{"generator", g_opt}, {"discriminator", d_opt}}), then per step
/// on_batch_end("d_loss", d_loss) before d_opt.step() and on_batch_end("g_loss", g_loss)
/// before g_opt.step(). A step ends when a loss name comes again (or at on_epoch_end), so no
/// step counting is needed; log("D(x)", value) adds any value to the current step.
///
/// A fit that does not end with on_train_end or on_exception (an exception left the loop)
/// is ended when the list is destroyed: inside run_main, with the exception's message once
/// run_main has caught it; elsewhere as failed with a generic message.
///
/// An exception thrown by a callback propagates to the caller after the callbacks before it
/// in the list have run; later callbacks are skipped for that hook.
/// Thread safety: not thread-safe; use from the training thread only.
class CallbackList {
 public:
  CallbackList() = default;
  explicit CallbackList(std::vector<std::shared_ptr<Callback>> callbacks);
  /// Ends a fit still in progress (see above). Never throws.
  ~CallbackList();
  CallbackList(const CallbackList&) = delete;
  CallbackList& operator=(const CallbackList&) = delete;
  /// Moving transfers the callbacks and a fit in progress.
  CallbackList(CallbackList&& other) noexcept;
  CallbackList& operator=(CallbackList&& other) noexcept;

  /// Appends a callback (not null). Callbacks run in the order they were added.
  void add(std::shared_ptr<Callback> callback);
  const std::vector<std::shared_ptr<Callback>>& callbacks() const { return callbacks_; }

  /// Starts a fit: resets the step counter and the control, records model and optimizer
  /// (both must outlive the fit), then calls every on_train_begin.
  void on_train_begin(torch::nn::Module& model, torch::optim::Optimizer& optimizer);
  /// As above, for loops without a torch::optim::Optimizer (no optimizer params, no lr series).
  void on_train_begin(torch::nn::Module& model);
  /// Several named models and optimizers (e.g. a GAN's generator and discriminator); at least
  /// one model; names not empty and unique per list (else tracker::InvalidArgument, nothing
  /// started).
  void on_train_begin(std::vector<NamedModel> models, std::vector<NamedOptimizer> optimizers = {});
  void on_epoch_begin(std::int64_t epoch);
  /// Reports the loss of one training step (global step numbers are assigned here, from 0).
  /// Call it after loss.backward() and before optimizer.step().
  void on_batch_end(const torch::Tensor& loss, const torch::Tensor& outputs = {},
                    const torch::Tensor& targets = {});
  /// Reports a named loss ("g_loss", "d_loss"): one call per loss of a step, each before its
  /// optimizer's step(). A name already reported in the current step starts the next step.
  void on_batch_end(std::string_view name, const torch::Tensor& loss,
                    const torch::Tensor& outputs = {}, const torch::Tensor& targets = {});
  /// Logs extra values at the current step and epoch (the step of the latest on_batch_end, 0
  /// before the first): `log("D(x)", d_x)` or `log({{"D(x)", d_x}, {"D(G(z))", d_g_z}})`.
  /// Tensors stay on their device until the next periodic read. Nothing to do for the loop:
  /// no handles, no step numbers; a no-op without callbacks.
  void log(const std::string& name, LogValue value);
  void log(const LogValues& values);
  void on_validation_end(const MetricMap& metrics);
  void on_epoch_end(std::int64_t epoch);
  void on_train_end();
  /// Call from a catch block; defaults to the exception being handled. Never throws.
  void on_exception(std::exception_ptr error = std::current_exception()) noexcept;

  TrainingControl& control() { return state_.control; }
  bool stop_requested() const { return state_.control.stop_requested(); }
  bool stop_now() const { return state_.control.stop_now(); }
  const TrainingState& state() const { return state_; }

 private:
  // Step numbering of one fit; reset by assignment at on_train_begin.
  struct Steps {
    std::int64_t next_step = 0;
    std::int64_t next_batch = 0;
    bool open = false;                    // a step has been opened and not closed
    std::vector<std::string> loss_names;  // losses reported in the open step
  };
  void begin_fit();
  void close_step() noexcept;
  void end_abandoned_fit() noexcept;

  std::vector<std::shared_ptr<Callback>> callbacks_;
  TrainingState state_;
  Steps steps_;
  bool fit_active_ = false;  // between on_train_begin and on_train_end/on_exception
  int uncaught_at_construction_ = std::uncaught_exceptions();
};

}  // namespace vigil::plugin
