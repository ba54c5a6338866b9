#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/tracker/types.h"

namespace vigil::tracker {

/// One process (rank) of a distributed job, as given to Store::join_run. Every rank of the job
/// passes the same job_id and world_size; the run they share is Store::job_run_id(experiment,
/// job_id), so ranks on different hosts agree on it without talking to each other.
struct RankOptions {
  /// Identifies the job: the launcher's run id (TORCHELASTIC_RUN_ID, SLURM_JOB_ID) or
  /// VIGIL_RUN_ID. Required, not empty; never derived from time.
  std::string job_id;
  /// This process's rank, 0 <= rank < world_size. Default 0.
  int rank = 0;
  /// Number of ranks of the job; the run ends when this many ranks have ended. Default 1.
  int world_size = 1;
  /// Rank within this host (LOCAL_RANK). Default 0.
  int local_rank = 0;
  /// Device the rank trains on, free text ("cpu", "cuda:1"). Default empty.
  std::string device;
};

/// What is stored about one rank of a run (Store::ranks).
struct RankInfo {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string host;
  std::int64_t pid = 0;
  std::string device;
  /// kRunning until the rank ends; kCrashed derived at read time as for runs (dead pid on
  /// this host, or heartbeat older than StoreOptions::stale_after).
  RunStatus status = RunStatus::kRunning;
  Timestamp started_at = 0.0;
  Timestamp heartbeat_at = 0.0;
  std::optional<Timestamp> finished_at;  ///< absent while running
  std::string error;                     ///< why the rank ended, if not finished
};

/// {rank, world_size, local_rank, host, pid, device, status, started_at, heartbeat_at,
/// finished_at (null while running), error}; timestamps ISO-8601 UTC.
void to_json(nlohmann::json& j, const RankInfo& rank);

/// A request, recorded by one rank, that every rank of the job stops (e.g. a guard saw NaN).
struct StopRequest {
  int rank = 0;                  ///< the rank that asked
  std::int64_t step = 0;         ///< its step when it asked
  double value = 0.0;            ///< the value that tripped it (may be NaN/Inf)
  std::string message;           ///< one line: what tripped and why
  Timestamp requested_at = 0.0;  ///< set by the store when 0
};

/// The job this process belongs to, read from the environment launchers set:
///   torchrun / torch.distributed: RANK, WORLD_SIZE, LOCAL_RANK, TORCHELASTIC_RUN_ID;
///   Slurm: SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, SLURM_JOB_ID.
/// The job id is VIGIL_RUN_ID when set, else TORCHELASTIC_RUN_ID, else SLURM_JOB_ID.
/// Returns nullopt when no rank variable is set or WORLD_SIZE/SLURM_NTASKS is 1 (not
/// distributed). Throws InvalidArgument naming the variable for a value that is not a
/// number, a rank outside [0, world size), or a distributed job with no job id (name the
/// variables to set).
std::optional<RankOptions> rank_from_environment();

/// The id of the run of job `job_id` in `experiment`: 32 lower-case hex characters, a hash of
/// both (the same on every host and in every process). Throws InvalidArgument for an empty
/// job id.
std::string job_run_id(std::string_view experiment, std::string_view job_id);

/// The status of a job's run from its ranks' statuses: running while fewer than world_size
/// ranks have ended; else the most severe status among them (aborted, rejected, crashed,
/// failed, killed, finished, in that order). The one place this policy lives: every backend
/// calls it when a rank ends.
RunStatus job_status(const std::vector<RunStatus>& rank_statuses, int world_size);

}  // namespace vigil::tracker
