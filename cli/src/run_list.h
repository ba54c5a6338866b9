#pragma once

#include <ostream>
#include <vector>

#include "output.h"
#include "vigil/tracker/types.h"

namespace vigil::cli {

/// Writes `runs` in the given format:
///   table: one line per run sized to output_width(): short id, name, experiment, status,
///          created (local time), duration, verdict, score, tags (verdict tags omitted: they
///          are the VERDICT column); "No runs found." when empty.
///   json:  an array of tracker::to_json(RunInfo) objects.
///   csv:   header row, then id, name, experiment, status, created_at, started_at,
///          finished_at, duration_s, verdict, score, tags (";"-joined), then one column per
///          param leaf ("param.optimizer.lr"), result leaf ("result.final_accuracy") and series
///          ("metric.loss{subset=val}", its last value), over the union of all listed runs.
void print_runs(std::ostream& out, const std::vector<tracker::RunInfo>& runs, Format format);

/// The first 8 characters of a run id, as shown in tables.
std::string short_id(const std::string& run_id);

}  // namespace vigil::cli
