#pragma once

#include <exception>
#include <memory>
#include <vector>

#include "vigil/plugin/callback.h"

// How run_main learns the message of an exception that left a training loop: a CallbackList
// destroyed during that exception's unwinding hands its fit over (callbacks and state) instead
// of ending it without the message; run_main's catch then calls on_exception with the real
// exception. Per thread: run_main and the loop run on the same thread.
namespace vigil::plugin::detail {

/// Marks this thread as running inside run_main while it lives.
class RunMainScope {
 public:
  RunMainScope() noexcept;
  ~RunMainScope();
  RunMainScope(const RunMainScope&) = delete;
  RunMainScope& operator=(const RunMainScope&) = delete;
};

/// True while a RunMainScope lives on this thread.
bool inside_run_main() noexcept;

/// Keeps a fit left by an exception until end_unwound_fits. False when it could not be kept
/// (the caller then ends it itself).
bool adopt_unwound_fit(std::vector<std::shared_ptr<Callback>>& callbacks,
                       TrainingState& state) noexcept;

/// Calls on_exception(error) on every fit adopted on this thread, then drops them.
void end_unwound_fits(std::exception_ptr error) noexcept;

/// Records, for run_main on this thread, that an exception ended a rank of a distributed job
/// after another rank asked the job to stop (TrackingCallback::on_exception): run_main then
/// returns kExitAborted.
void note_job_stopped() noexcept;
/// Whether note_job_stopped was called on this thread since the last call; clears it.
bool take_job_stopped() noexcept;

}  // namespace vigil::plugin::detail
