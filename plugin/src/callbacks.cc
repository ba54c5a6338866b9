#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <string>
#include <utility>

#include "log.h"
#include "vigil/error.h"
#include "vigil/plugin/callback.h"

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

CallbackList::CallbackList(std::vector<std::shared_ptr<Callback>> callbacks) {
  for (auto& callback : callbacks) add(std::move(callback));
}

void CallbackList::add(std::shared_ptr<Callback> callback) {
  if (!callback) throw vigil::InvalidArgument("CallbackList::add: callback is null");
  callbacks_.push_back(std::move(callback));
}

void CallbackList::on_train_begin(torch::nn::Module& model, torch::optim::Optimizer& optimizer) {
  state_.model = &model;
  state_.optimizer = &optimizer;
  state_.epoch = 0;
  state_.step = 0;
  state_.batch_in_epoch = 0;
  state_.control.reset();
  next_step_ = 0;
  next_batch_ = 0;
  for (auto& callback : callbacks_) callback->on_train_begin(state_);
}

void CallbackList::on_train_begin(torch::nn::Module& model) {
  state_.model = &model;
  state_.optimizer = nullptr;
  state_.epoch = 0;
  state_.step = 0;
  state_.batch_in_epoch = 0;
  state_.control.reset();
  next_step_ = 0;
  next_batch_ = 0;
  for (auto& callback : callbacks_) callback->on_train_begin(state_);
}

void CallbackList::on_epoch_begin(std::int64_t epoch) {
  state_.epoch = epoch;
  next_batch_ = 0;
  for (auto& callback : callbacks_) callback->on_epoch_begin(state_);
}

void CallbackList::on_batch_end(const torch::Tensor& loss, const torch::Tensor& outputs,
                                const torch::Tensor& targets) {
  state_.step = next_step_++;
  state_.batch_in_epoch = next_batch_++;
  if (callbacks_.empty()) return;
  const BatchOutput batch{loss, outputs, targets};
  for (auto& callback : callbacks_) callback->on_batch_end(state_, batch);
}

void CallbackList::on_validation_end(const MetricMap& metrics) {
  for (auto& callback : callbacks_) callback->on_validation_end(state_, metrics);
}

void CallbackList::on_epoch_end(std::int64_t epoch) {
  state_.epoch = epoch;
  for (auto& callback : callbacks_) callback->on_epoch_end(state_);
  // Loops that skip on_epoch_begin still get the right epoch numbers.
  state_.epoch = epoch + 1;
  next_batch_ = 0;
}

void CallbackList::on_train_end() {
  for (auto& callback : callbacks_) callback->on_train_end(state_);
}

void CallbackList::on_exception(std::exception_ptr error) noexcept {
  for (auto& callback : callbacks_) callback->on_exception(state_, error);
}

}  // namespace vigil::plugin
