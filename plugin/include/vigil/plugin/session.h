#pragma once

#include <memory>
#include <optional>

#include "vigil/plugin/callback.h"
#include "vigil/plugin/guard.h"
#include "vigil/plugin/tracking.h"

namespace vigil::plugin {

/// Tracking plus governance for a training loop, in one object: a TrackingCallback (store,
/// run, metrics) followed by a GuardCallback (rules) sharing its run, in a CallbackList that
/// the loop calls. Add your own callbacks with callbacks().add().
///
/// Example (see CallbackList for the full loop):
///
///   vigil::plugin::Session vigil(
///       vigil::plugin::TrackingOptions("mnist").run_name("cnn-adam").batch_size(64).epochs(10));
///   auto& callbacks = vigil.callbacks();
///   callbacks.on_train_begin(*model, optimizer);    // params logged; may throw RunRejected
///   ...
///   callbacks.on_batch_end(loss, output, target);   // before optimizer.step(); may throw
///                                                   // RunAborted
///   ...
///   callbacks.on_train_end();                       // results, verdict and score stored
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

}  // namespace vigil::plugin
