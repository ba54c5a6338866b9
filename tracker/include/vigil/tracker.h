#pragma once

/// Umbrella header of vigil::tracker, the embedded experiment store.
#include "vigil/tracker/copy.h"
#include "vigil/tracker/errors.h"
#include "vigil/tracker/job.h"
#include "vigil/tracker/json_limits.h"
#include "vigil/tracker/query.h"
#include "vigil/tracker/run.h"
#include "vigil/tracker/store.h"
#include "vigil/tracker/system_metrics.h"
#include "vigil/tracker/tags.h"
#include "vigil/tracker/text.h"
#include "vigil/tracker/types.h"
