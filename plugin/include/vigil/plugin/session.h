#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "vigil/error.h"
#include "vigil/plugin/callback.h"
#include "vigil/plugin/guard.h"
#include "vigil/plugin/tracking.h"

namespace vigil::plugin {

/// Tracking plus governance for a training loop, in one object: a TrackingCallback (store,
/// run, metrics) followed by a GuardCallback (rules) sharing its run, in a CallbackList that
/// the loop calls. Add your own callbacks with callbacks().add().
///
/// Example (see CallbackList for the full loop, run_main for the exit code):
///
///   int main() {
///     return vigil::plugin::run_main([&] {
///       vigil::plugin::Session vigil(vigil::plugin::TrackingOptions("mnist")
///                                        .run_name("cnn-adam").batch_size(64).epochs(10));
///       auto& callbacks = vigil.callbacks();
///       callbacks.on_train_begin(*model, optimizer);    // params logged; may throw RunRejected
///       ...
///       callbacks.on_batch_end(loss, output, target);   // before optimizer.step(); may throw
///                                                       // RunAborted
///       ...
///       callbacks.on_train_end();                       // results, verdict and score stored
///     });
///   }
///
/// Thread safety: not thread-safe; use from the training thread.
class Session {
 public:
  /// `guard` = std::nullopt: tracking only. Throws rules::RulesError for a bad rules file and
  /// tracker::InvalidArgument for bad tracking options; never for an unusable store (tracking
  /// then reports failures and training goes on).
  explicit Session(TrackingOptions tracking, std::optional<GuardOptions> guard = GuardOptions());

  CallbackList& callbacks() noexcept { return callbacks_; }
  TrackingCallback& tracking() noexcept { return *tracking_; }
  /// Null when the session was created without a guard.
  GuardCallback* guard() noexcept { return guard_.get(); }

 private:
  std::shared_ptr<TrackingCallback> tracking_;
  std::shared_ptr<GuardCallback> guard_;
  CallbackList callbacks_;
};

/// Process exit codes of run_main (the error codes are those of vigil::Error, vigil/error.h).
inline constexpr int kExitFinished = 0;  ///< the program returned (whatever the verdict)
inline constexpr int kExitFailed = vigil::kExitFailure;    ///< any other exception (stored failed)
inline constexpr int kExitRejected = vigil::kExitRefused;  ///< RunRejected: refused before step 1
inline constexpr int kExitAborted = vigil::kExitAborted;   ///< RunAborted: stopped by a rule

/// Runs `program` (a training program: data, model, Session, loop) and turns every outcome
/// into a process exit code, so that no exception reaches std::terminate:
///
///   int main(int argc, char** argv) {
///     return vigil::plugin::run_main([&] { ... });
///   }
///
/// Returns kExitFinished when `program` returns, kExitRejected for RunRejected, kExitAborted
/// for RunAborted and, on a rank of a distributed job, for any exception after another rank
/// asked the job to stop (a collective failing because that rank left), kExitFailed for any
/// other exception, whose message is logged as one line
/// through the "vigil" logger ("vigil: error: MESSAGE"; the guard has logged the others).
/// A fit the exception left without on_exception (no try/catch in the loop) is stored failed
/// with that message before this returns. Never throws. Thread safety: the program runs on
/// the calling thread; fits on other threads are not seen.
[[nodiscard]] int run_main(const std::function<void()>& program) noexcept;

}  // namespace vigil::plugin
