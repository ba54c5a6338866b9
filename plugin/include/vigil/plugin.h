#pragma once

/// vigil::plugin: experiment tracking and governance callbacks for hand-written LibTorch
/// training loops. Start with vigil::plugin::Session (session.h).
#include "vigil/plugin/callback.h"
#include "vigil/plugin/guard.h"
#include "vigil/plugin/hyperparams.h"
#include "vigil/plugin/session.h"
#include "vigil/plugin/tracking.h"
