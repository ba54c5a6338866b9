// Crash detection for runs and ranks read from a store: a run stored `running` whose owner
// process is gone (same host: its pid; elsewhere: a stale heartbeat) is reported `crashed`,
// ended at its last sign of life, and stored so unless the store is read-only.

#include <algorithm>

#include "backend.h"
#include "json_numbers.h"
#include "log.h"
#include "process_info.h"
#include "store_internal.h"

namespace vigil::tracker {
namespace detail {

Timestamp last_sign_of_life(const RunInfo& run) {
  Timestamp last = run.heartbeat_at;
  for (const auto& series : run.metrics) {
    if (series.count > 0 && series.last_time > last) last = series.last_time;
  }
  return last;
}

namespace {

// Why a process that should be alive is not: its pid is gone (same host) or its heartbeat is
// stale. Empty when it may still be alive.
std::string process_gone(const std::string& host, std::int64_t pid, Timestamp heartbeat_at,
                         const StoreOptions& options, Timestamp now_time) {
  if (host == host_name() && process_is_dead(pid)) {
    return "process " + std::to_string(pid) + " on " + host + " ended without finishing the run";
  }
  if (now_time - heartbeat_at > static_cast<double>(options.stale_after.count())) {
    return "no heartbeat since " + format_time(heartbeat_at) + " (process " + std::to_string(pid) +
           " on " + host + ")";
  }
  return {};
}

// A job's run: crashed when one of its running ranks is gone (naming it), or when its
// freshest heartbeat is stale (a rank that never joined). The owner pid is not checked: the
// rank that created the run may have ended normally.
bool derive_job_crash(RunInfo& run, std::vector<RankInfo>& ranks, const StoreOptions& options,
                      Timestamp now_time) {
  for (RankInfo& rank : ranks) {
    if (!derive_rank_crash(rank, options, now_time)) continue;
    run.status = RunStatus::kCrashed;
    run.error = rank_error(rank.rank, rank.error);
    run.finished_at = std::max(rank.heartbeat_at, last_sign_of_life(run));
    return true;
  }
  if (now_time - run.heartbeat_at <= static_cast<double>(options.stale_after.count())) {
    return false;
  }
  run.status = RunStatus::kCrashed;
  run.error = "no heartbeat from any rank since " + format_time(run.heartbeat_at);
  run.finished_at = last_sign_of_life(run);
  return true;
}

}  // namespace

bool derive_rank_crash(RankInfo& rank, const StoreOptions& options, Timestamp now_time) {
  if (rank.status != RunStatus::kRunning) return false;
  std::string why = process_gone(rank.host, rank.pid, rank.heartbeat_at, options, now_time);
  if (why.empty()) return false;
  // Say when the rank was last seen (a stale heartbeat's message already does).
  if (why.rfind("process ", 0) == 0)
    why += " (last heartbeat " + format_time(rank.heartbeat_at) + ")";
  rank.status = RunStatus::kCrashed;
  rank.error = std::move(why);
  rank.finished_at = rank.heartbeat_at;
  return true;
}

bool derive_crash(RunInfo& run, const StoreOptions& options, Timestamp now_time) {
  if (run.status != RunStatus::kRunning) return false;
  run.error = process_gone(run.host, run.pid, run.heartbeat_at, options, now_time);
  if (run.error.empty()) return false;
  run.status = RunStatus::kCrashed;
  run.finished_at = last_sign_of_life(run);
  return true;
}

void derive_crashes(Backend& backend, const StoreOptions& options, std::vector<RunInfo>& runs) {
  const Timestamp now_time = now();
  for (RunInfo& run : runs) {
    if (run.status != RunStatus::kRunning) continue;
    std::vector<RankInfo> ranks = backend.ranks(run.id);
    const bool crashed = ranks.empty() ? derive_crash(run, options, now_time)
                                       : derive_job_crash(run, ranks, options, now_time);
    if (!crashed || options.read_only) continue;
    try {  // persist, so other readers agree; best effort (the reading still holds)
      // Audited by the reader that stored the crash (set_rank_crashed also ends the job's run).
      bool stored = false;
      for (const RankInfo& rank : ranks) {
        if (rank.status == RunStatus::kCrashed && rank.finished_at) {
          stored |= backend.set_rank_crashed(run.id, rank.rank, rank.error, *rank.finished_at);
        }
      }
      stored |= backend.set_status(run.id, RunStatus::kCrashed, run.error, *run.finished_at, true);
      if (stored) {
        record_audit(backend, audit_action::kRunFinished, run.id,
                     {{"status", to_string(RunStatus::kCrashed)}, {"error", run.error}});
      }
    } catch (const std::exception& e) {
      logger()->debug("could not persist crashed status of run {}: {}", run.id, e.what());
    }
  }
}

void complete_loaded_runs(Backend& backend, const StoreOptions& options,
                          std::vector<RunInfo>& runs) {
  for (RunInfo& run : runs) {
    decode_non_finite(run.params);
    decode_non_finite(run.results);
    // Stores written before crash ends used the last heartbeat: the last point may be later.
    if (run.status == RunStatus::kCrashed && run.finished_at) {
      run.finished_at = std::max(*run.finished_at, last_sign_of_life(run));
    }
  }
  derive_crashes(backend, options, runs);
}

}  // namespace detail

}  // namespace vigil::tracker
