#pragma once

// Helpers shared by the Store implementation files.

#include <string>
#include <string_view>
#include <vector>

#include "backend.h"
#include "vigil/tracker/store.h"

namespace vigil::tracker::detail {

/// Lower-cases a run id or prefix (ids are stored lower-case) and trims spaces.
inline std::string normalize_prefix(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

/// The end of a run that crashed: the later of its last heartbeat and its last metric point.
Timestamp last_sign_of_life(const RunInfo& run);

/// Reports a `running` run as `crashed` when its process is gone (same host, pid dead) or
/// its heartbeat is older than options.stale_after. Returns whether it changed `run`.
bool derive_crash(RunInfo& run, const StoreOptions& options, Timestamp now_time);

/// derive_crash for one rank of a job (status, error and finished_at of `rank`).
bool derive_rank_crash(RankInfo& rank, const StoreOptions& options, Timestamp now_time);

/// derive_crash over `runs` (for a job's run: over its ranks, naming the rank that died),
/// persisting each derived crash unless the store is read-only.
void derive_crashes(Backend& backend, const StoreOptions& options, std::vector<RunInfo>& runs);

/// Completes runs read from a backend: decodes non-finite params/results (json_numbers.h),
/// ends crashed runs at their last sign of life, then derive_crashes.
void complete_loaded_runs(Backend& backend, const StoreOptions& options,
                          std::vector<RunInfo>& runs);

/// Appends one audit event by this process's actor (current_actor()). Best effort: the action
/// it records has happened already, so a failure is logged as an error, never thrown.
void record_audit(Backend& backend, std::string_view action, const std::string& run_id,
                  nlohmann::json details = nlohmann::json::object()) noexcept;

/// The audit events of a committed writer batch: run ends (final statuses; for a job's ranks
/// only the end of the job's run, RunWrite::job_end) and tag changes.
void audit_committed(Backend& backend, const WriteBatch& batch) noexcept;

/// The audit action of a run that ended with `status` (refused, aborted, else finished).
std::string_view end_action(RunStatus status) noexcept;

/// Points of a series in a step range, whole or downsampled (see Store::points).
std::vector<MetricPoint> read_points(Backend& backend, std::int64_t series_id,
                                     const PointsQuery& query);

}  // namespace vigil::tracker::detail
