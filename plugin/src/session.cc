#include "vigil/plugin/session.h"

#include <exception>
#include <stdexcept>
#include <utility>

#include "log.h"
#include "unwound_fits.h"

namespace vigil::plugin {

Session::Session(TrackingOptions tracking, std::optional<GuardOptions> guard)
    : tracking_(std::make_shared<TrackingCallback>(std::move(tracking))) {
  callbacks_.add(tracking_);
  if (guard) {
    guard_ = std::make_shared<GuardCallback>(tracking_, std::move(*guard));
    callbacks_.add(guard_);
  }
}

namespace {

int exit_code(std::exception_ptr error) noexcept {
  try {
    std::rethrow_exception(error);
  } catch (const RunRejected&) {
    return kExitRejected;
  } catch (const RunAborted&) {
    return kExitAborted;
  } catch (...) {
    try {
      detail::logger()->error("vigil: error: {}", describe_exception(error));
    } catch (...) {
      // Nothing left to report with; the exit code still says it failed.
    }
  }
  // A vigil error says how the program should end (e.g. a malformed store URI: usage, 2).
  try {
    std::rethrow_exception(error);
  } catch (const vigil::Error& e) {
    return e.exit_code();
  } catch (...) {
    return kExitFailed;
  }
}

}  // namespace

int run_main(const std::function<void()>& program) noexcept {
  detail::RunMainScope scope;
  (void)detail::take_job_stopped();
  try {
    program();
  } catch (...) {
    const std::exception_ptr error = std::current_exception();
    detail::end_unwound_fits(error);
    // Another rank stopped the job and this one failed for it (its message is logged).
    if (detail::take_job_stopped()) return kExitAborted;
    return exit_code(error);
  }
  // The program caught an exception that had left a loop, and returned.
  detail::end_unwound_fits(std::make_exception_ptr(
      std::runtime_error("the training loop was left by an exception the program caught")));
  return kExitFinished;
}

}  // namespace vigil::plugin
