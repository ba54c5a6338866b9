#include "vigil/plugin/session.h"

#include <utility>

namespace vigil::plugin {

Session::Session(TrackingOptions tracking, std::optional<GuardOptions> guard)
    : tracking_(std::make_shared<TrackingCallback>(std::move(tracking))) {
  callbacks_.add(tracking_);
  if (guard) {
    guard_ = std::make_shared<GuardCallback>(tracking_, std::move(*guard));
    callbacks_.add(guard_);
  }
}

}  // namespace vigil::plugin
