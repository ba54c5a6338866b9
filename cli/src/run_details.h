#pragma once

#include <ostream>

#include "output.h"
#include "vigil/tracker/store.h"

namespace vigil::cli {

/// Writes everything about `run` for `vigil runs show`:
///   table: a key/value header (ids, status, times, host, command, error, tags, verdict),
///          params and results as dotted lists, a table of every series (last/min/max/count/
///          last step) and the latest validation report, if any.
///   json:  tracker::to_json(run) plus "validation": the latest ValidationRecord or null.
void print_run_details(std::ostream& out, const tracker::Store& store, const tracker::RunInfo& run,
                       Format format);

}  // namespace vigil::cli
