#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include "log.h"
#include "unwound_fits.h"
#include "vigil/error.h"
#include "vigil/plugin/callback.h"
#include "vigil/tracker/errors.h"

namespace vigil::plugin {

std::shared_ptr<spdlog::logger> detail::logger() {
  if (auto existing = spdlog::get("vigil")) return existing;
  try {
    // Library code never touches the default logger; a stderr logger named "vigil" is created
    // only when the host program did not register one.
    return spdlog::stderr_color_mt("vigil");
  } catch (const spdlog::spdlog_ex&) {
    return spdlog::get("vigil");  // registered concurrently by another thread
  }
}

void TrainingControl::request_stop(std::string reason, StopMode mode) {
  if (mode == StopMode::kNone) return;
  if (mode_ == StopMode::kNone) reason_ = std::move(reason);
  if (mode == StopMode::kImmediate || mode_ == StopMode::kNone) mode_ = mode;
}

void TrainingControl::reset() {
  mode_ = StopMode::kNone;
  reason_.clear();
}

std::string describe_exception(std::exception_ptr error) {
  if (!error) return "no exception";
  try {
    std::rethrow_exception(error);
  } catch (const c10::Error& e) {
    // LibTorch messages carry a C++ backtrace after the first line; keep the message only.
    return e.what_without_backtrace();
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

namespace detail {
namespace {

struct UnwoundFit {
  std::vector<std::shared_ptr<Callback>> callbacks;
  TrainingState state;
};

thread_local int run_main_depth = 0;
thread_local std::vector<UnwoundFit> unwound_fits;
thread_local bool job_stopped = false;

}  // namespace

RunMainScope::RunMainScope() noexcept { ++run_main_depth; }
RunMainScope::~RunMainScope() { --run_main_depth; }

bool inside_run_main() noexcept { return run_main_depth > 0; }

bool adopt_unwound_fit(std::vector<std::shared_ptr<Callback>>& callbacks,
                       TrainingState& state) noexcept {
  try {
    unwound_fits.push_back({std::move(callbacks), std::move(state)});
    return true;
  } catch (...) {
    return false;
  }
}

void note_job_stopped() noexcept { job_stopped = true; }

bool take_job_stopped() noexcept { return std::exchange(job_stopped, false); }

void end_unwound_fits(std::exception_ptr error) noexcept {
  std::vector<UnwoundFit> fits;
  fits.swap(unwound_fits);
  for (UnwoundFit& fit : fits) {
    for (auto& callback : fit.callbacks) callback->on_exception(fit.state, error);
  }
}

}  // namespace detail

namespace {

void check_names(const std::vector<std::string>& names, const char* what) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) {
      throw tracker::InvalidArgument(std::string("on_train_begin: ") + what + " #" +
                                     std::to_string(i + 1) + " has an empty name; expected a name");
    }
    if (std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), names[i]) !=
        names.begin() + static_cast<std::ptrdiff_t>(i)) {
      throw tracker::InvalidArgument(std::string("on_train_begin: ") + what + " name '" + names[i] +
                                     "' is given twice; expected unique names");
    }
  }
}

}  // namespace

CallbackList::CallbackList(std::vector<std::shared_ptr<Callback>> callbacks) {
  for (auto& callback : callbacks) add(std::move(callback));
}

CallbackList::~CallbackList() { end_abandoned_fit(); }

CallbackList::CallbackList(CallbackList&& other) noexcept
    : callbacks_(std::move(other.callbacks_)),
      state_(std::move(other.state_)),
      steps_(std::move(other.steps_)),
      fit_active_(std::exchange(other.fit_active_, false)) {}

CallbackList& CallbackList::operator=(CallbackList&& other) noexcept {
  if (this == &other) return *this;
  end_abandoned_fit();
  callbacks_ = std::move(other.callbacks_);
  state_ = std::move(other.state_);
  steps_ = std::move(other.steps_);
  fit_active_ = std::exchange(other.fit_active_, false);
  return *this;
}

void CallbackList::end_abandoned_fit() noexcept {
  if (!fit_active_) return;
  fit_active_ = false;
  // The modules and optimizers may already be gone (declared in the loop's scope).
  state_.model = nullptr;
  state_.optimizer = nullptr;
  state_.models.clear();
  state_.optimizers.clear();
  const bool unwinding = std::uncaught_exceptions() > uncaught_at_construction_;
  if (unwinding && detail::inside_run_main() && detail::adopt_unwound_fit(callbacks_, state_)) {
    return;  // run_main ends it with the exception's message
  }
  on_exception(std::make_exception_ptr(std::runtime_error(
      unwinding ? "the training loop was left by an exception that was not passed to "
                  "on_exception (wrap the program in vigil::plugin::run_main)"
                : "the training loop ended without on_train_end or on_exception")));
}

void CallbackList::add(std::shared_ptr<Callback> callback) {
  if (!callback) throw vigil::InvalidArgument("CallbackList::add: callback is null");
  callbacks_.push_back(std::move(callback));
}

void CallbackList::begin_fit() {
  end_abandoned_fit();  // a previous fit that never ended
  state_.epoch = 0;
  state_.step = 0;
  state_.batch_in_epoch = 0;
  state_.new_step = false;
  state_.control.reset();
  steps_ = Steps();
  fit_active_ = true;
  for (auto& callback : callbacks_) callback->on_train_begin(state_);
}

void CallbackList::on_train_begin(torch::nn::Module& model, torch::optim::Optimizer& optimizer) {
  state_.model = &model;
  state_.optimizer = &optimizer;
  state_.models = {NamedModel("", model)};
  state_.optimizers = {NamedOptimizer("", optimizer)};
  begin_fit();
}

void CallbackList::on_train_begin(torch::nn::Module& model) {
  state_.model = &model;
  state_.optimizer = nullptr;
  state_.models = {NamedModel("", model)};
  state_.optimizers.clear();
  begin_fit();
}

void CallbackList::on_train_begin(std::vector<NamedModel> models,
                                  std::vector<NamedOptimizer> optimizers) {
  if (models.empty()) {
    throw tracker::InvalidArgument("on_train_begin: no model; expected at least one named model");
  }
  std::vector<std::string> names;
  for (const auto& model : models) names.push_back(model.name);
  check_names(names, "model");
  names.clear();
  for (const auto& optimizer : optimizers) names.push_back(optimizer.name);
  check_names(names, "optimizer");
  state_.model = models.front().module;
  state_.optimizer = optimizers.empty() ? nullptr : optimizers.front().optimizer;
  state_.models = std::move(models);
  state_.optimizers = std::move(optimizers);
  begin_fit();
}

void CallbackList::close_step() noexcept {
  steps_.open = false;
  steps_.loss_names.clear();
}

void CallbackList::on_epoch_begin(std::int64_t epoch) {
  state_.epoch = epoch;
  steps_.next_batch = 0;
  close_step();
  for (auto& callback : callbacks_) callback->on_epoch_begin(state_);
}

void CallbackList::on_batch_end(const torch::Tensor& loss, const torch::Tensor& outputs,
                                const torch::Tensor& targets) {
  on_batch_end(std::string_view(), loss, outputs, targets);
}

void CallbackList::on_batch_end(std::string_view name, const torch::Tensor& loss,
                                const torch::Tensor& outputs, const torch::Tensor& targets) {
  const bool repeated = std::find(steps_.loss_names.begin(), steps_.loss_names.end(), name) !=
                        steps_.loss_names.end();
  state_.new_step = !steps_.open || repeated;
  if (state_.new_step) {
    state_.step = steps_.next_step++;
    state_.batch_in_epoch = steps_.next_batch++;
    steps_.open = true;
    steps_.loss_names.clear();
  }
  steps_.loss_names.emplace_back(name);
  if (callbacks_.empty()) return;
  const BatchOutput batch{loss, outputs, targets, std::string(name)};
  for (auto& callback : callbacks_) callback->on_batch_end(state_, batch);
}

void CallbackList::log(const std::string& name, LogValue value) {
  if (callbacks_.empty()) return;
  log(LogValues{{name, std::move(value)}});
}

void CallbackList::log(const LogValues& values) {
  for (auto& callback : callbacks_) callback->on_log(state_, values);
}

void CallbackList::on_validation_end(const MetricMap& metrics) {
  for (auto& callback : callbacks_) callback->on_validation_end(state_, metrics);
}

void CallbackList::on_epoch_end(std::int64_t epoch) {
  state_.epoch = epoch;
  close_step();
  for (auto& callback : callbacks_) callback->on_epoch_end(state_);
  // Loops that skip on_epoch_begin still get the right epoch numbers.
  state_.epoch = epoch + 1;
  steps_.next_batch = 0;
}

void CallbackList::on_train_end() {
  for (auto& callback : callbacks_) callback->on_train_end(state_);
  fit_active_ = false;
}

void CallbackList::on_exception(std::exception_ptr error) noexcept {
  fit_active_ = false;
  for (auto& callback : callbacks_) callback->on_exception(state_, error);
}

}  // namespace vigil::plugin
