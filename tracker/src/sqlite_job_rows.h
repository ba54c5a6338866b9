#pragma once

// The SQLite statements on the rows of distributed jobs (sqlite_backend_job.cc), for the
// writes in sqlite_backend.cc. Each runs on `db` inside the caller's transaction.

#include <string>

#include "backend.h"
#include "sqlite_util.h"

namespace vigil::tracker::detail {

/// Stores one rank row of a run, replacing an earlier row of the same rank (join_run: a rank
/// restarted; import_run).
void upsert_rank(Connection& db, const std::string& run_id, const RankInfo& rank);
/// Stores a run's stop request unless it has one (the first wins); returns whether it did.
bool insert_stop_request(Connection& db, const std::string& run_id, const StopRequest& request);
/// The heartbeat and final status of one rank of a job (inside the commit's transaction).
/// Sets r.job_end when this rank's end ended the job's run.
void write_rank(Connection& db, RunWrite& r);

}  // namespace vigil::tracker::detail
