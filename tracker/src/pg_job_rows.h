#pragma once

// The PostgreSQL statements on the rows of distributed jobs (pg_backend_job.cc), for the
// writes in pg_backend.cc. Each runs on `c` inside the caller's transaction.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backend.h"
#include "pg_util.h"

namespace vigil::tracker::detail {

/// The ranks of a run by rank.
std::vector<RankInfo> read_pg_ranks(PgConnection& c, const std::string& run_id);
/// The run's stop request, if any.
std::optional<StopRequest> read_pg_stop(PgConnection& c, const std::string& run_id);
/// The heartbeat and final status of one rank of a job. Sets r.job_end when this rank's end
/// ended the job's run.
void apply_rank_write(PgConnection& c, RunWrite& r);
/// Stores one rank row of a run, replacing an earlier row of the same rank.
void upsert_rank(PgConnection& c, const std::string& run_id, const RankInfo& rank);
/// Stores a run's stop request unless it has one (the first wins); returns whether it did.
bool insert_stop_request(PgConnection& c, const std::string& run_id, const StopRequest& request);

}  // namespace vigil::tracker::detail
