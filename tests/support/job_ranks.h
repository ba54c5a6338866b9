#pragma once

// Ranks of a distributed job on one host, for tests that build a job's run with join_run.

#include <string>

#include "vigil/tracker/job.h"

namespace vigil::testing {

/// Rank `rank` of the `world_size`-rank job `job_id`, with local rank = rank (one host).
inline tracker::RankOptions job_rank(const std::string& job_id, int rank, int world_size,
                                     const std::string& device) {
  tracker::RankOptions options;
  options.job_id = job_id;
  options.rank = rank;
  options.world_size = world_size;
  options.local_rank = rank;
  options.device = device;
  return options;
}

}  // namespace vigil::testing
