#pragma once

#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <string>
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
};

/// The training loop as the callbacks see it. Owned by CallbackList, passed to every hook.
struct TrainingState {
  torch::nn::Module* model = nullptr;            ///< set by on_train_begin; never null after
  torch::optim::Optimizer* optimizer = nullptr;  ///< set by on_train_begin; may be null
  std::int64_t epoch = 0;                        ///< current epoch (0-based), set by on_epoch_begin
  std::int64_t step = 0;            ///< global 0-based index of the batch being reported
  std::int64_t batch_in_epoch = 0;  ///< 0-based index of that batch within its epoch
  TrainingControl control;          ///< stop requests
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
  virtual void on_validation_end(TrainingState& state, const MetricMap& metrics) {}
  virtual void on_epoch_end(TrainingState& state) {}
  virtual void on_train_end(TrainingState& state) {}
  /// `error` is the exception that ended the loop; its message is available through
  /// describe_exception(). Implementations must not throw.
  virtual void on_exception(TrainingState& state, std::exception_ptr error) noexcept {}
};

/// The message of an exception_ptr ("unknown exception" for non-std exceptions).
std::string describe_exception(std::exception_ptr error);

/// An ordered list of callbacks and the state they share; what the training loop calls.
///
/// Usage (a plain LibTorch loop; `callbacks` from vigil::plugin::Session or built by hand):
///
///   callbacks.on_train_begin(*model, optimizer);
///   try {
///     for (int64_t epoch = 0; epoch < epochs && !callbacks.stop_requested(); ++epoch) {
///       callbacks.on_epoch_begin(epoch);
///       for (auto& [x, y] : batches) {
///         optimizer.zero_grad();
///         auto out = model->forward(x);
///         auto loss = torch::nn::functional::cross_entropy(out, y);
///         loss.backward();
///         callbacks.on_batch_end(loss, out, y);  // before step(): a guard may stop here
///         if (callbacks.stop_now()) break;
///         optimizer.step();
///       }
///       callbacks.on_validation_end({{"loss", val_loss}, {"accuracy", val_accuracy}});
///       callbacks.on_epoch_end(epoch);
///     }
///     callbacks.on_train_end();
///   } catch (...) {
///     callbacks.on_exception();
///     throw;
///   }
///
/// An exception thrown by a callback propagates to the caller after the callbacks before it
/// in the list have run; later callbacks are skipped for that hook.
/// Thread safety: not thread-safe; use from the training thread only.
class CallbackList {
 public:
  CallbackList() = default;
  explicit CallbackList(std::vector<std::shared_ptr<Callback>> callbacks);

  /// Appends a callback (not null). Callbacks run in the order they were added.
  void add(std::shared_ptr<Callback> callback);
  const std::vector<std::shared_ptr<Callback>>& callbacks() const { return callbacks_; }

  /// Starts a fit: resets the step counter and the control, records model and optimizer
  /// (both must outlive the fit), then calls every on_train_begin.
  void on_train_begin(torch::nn::Module& model, torch::optim::Optimizer& optimizer);
  /// As above, for loops without a torch::optim::Optimizer (no optimizer params, no lr series).
  void on_train_begin(torch::nn::Module& model);
  void on_epoch_begin(std::int64_t epoch);
  /// Reports one training batch (global step numbers are assigned here, from 0). Call it
  /// after loss.backward() and before optimizer.step().
  void on_batch_end(const torch::Tensor& loss, const torch::Tensor& outputs = {},
                    const torch::Tensor& targets = {});
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
  std::vector<std::shared_ptr<Callback>> callbacks_;
  TrainingState state_;
  std::int64_t next_step_ = 0;
  std::int64_t next_batch_ = 0;
};

}  // namespace vigil::plugin
