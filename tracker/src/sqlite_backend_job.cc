// SqliteBackend's rows of distributed jobs: ranks, stop requests, and ending a job's run when
// its last rank ends. The writes that need them (commit, join_run, import_run) are in
// sqlite_backend.cc; the statements are here, once.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sqlite_backend.h"
#include "sqlite_backend_tx.h"
#include "sqlite_job_rows.h"

namespace vigil::tracker::detail {
namespace {

// Once every rank of a job has ended, ends its run (if still running) as end_of_job says.
// Returns how the run ended when this call ended it.
std::optional<std::pair<RunStatus, std::string>> end_job_if_done(Connection& db,
                                                                 const std::string& run_id,
                                                                 Timestamp at) {
  std::vector<RankInfo> ranks = read_ranks(db, run_id);
  if (ranks.empty()) return std::nullopt;
  auto ended = end_of_job(ranks, ranks.front().world_size, read_stop(db, run_id));
  const auto& [status, error] = ended;
  if (status == RunStatus::kRunning) return std::nullopt;
  db.cached(
        "UPDATE runs SET status = ?1, error = ?2, finished_at = ?3 WHERE id = ?4 AND "
        "status = 'running'")
      .bind(1, to_string(status))
      .bind(2, error)
      .bind(3, job_end_time(ranks, at))
      .bind(4, run_id)
      .run();
  if (sqlite3_changes(db.get()) == 0) return std::nullopt;
  return ended;
}

}  // namespace

// Stores one rank row of a run, replacing an earlier row of the same rank (join_run: a rank
// restarted; import_run).
void upsert_rank(Connection& db, const std::string& run_id, const RankInfo& rank) {
  auto& insert = db.cached(
      "INSERT OR REPLACE INTO ranks(run_id, rank, world_size, local_rank, host, pid, device, "
      "status, started_at, heartbeat_at, finished_at, error) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  insert.bind(1, run_id)
      .bind(2, rank.rank)
      .bind(3, rank.world_size)
      .bind(4, rank.local_rank)
      .bind(5, rank.host)
      .bind(6, rank.pid)
      .bind(7, rank.device)
      .bind(8, to_string(rank.status))
      .bind(9, rank.started_at)
      .bind(10, rank.heartbeat_at);
  if (rank.finished_at) insert.bind(11, *rank.finished_at);  // unbound: NULL
  insert.bind(12, rank.error).run();
}

// Stores a run's stop request unless it has one (the first wins); returns whether it did.
bool insert_stop_request(Connection& db, const std::string& run_id, const StopRequest& request) {
  db.cached(
        "INSERT OR IGNORE INTO stop_requests(run_id, rank, step, value, message, requested_at) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6)")
      .bind(1, run_id)
      .bind(2, request.rank)
      .bind(3, request.step)
      .bind(4, request.value)
      .bind(5, request.message)
      .bind(6, request.requested_at)
      .run();
  return sqlite3_changes(db.get()) > 0;
}

// The heartbeat and final status of one rank of a job (inside the commit's transaction).
// Sets r.job_end when this rank's end ended the job's run.
void write_rank(Connection& db, RunWrite& r) {
  r.job_end.reset();  // a retried transaction starts over
  if (r.heartbeat_at) {
    db.cached(
          "UPDATE ranks SET heartbeat_at = ?1 WHERE run_id = ?2 AND rank = ?3 AND "
          "status = 'running'")
        .bind(1, *r.heartbeat_at)
        .bind(2, r.run_id)
        .bind(3, *r.rank)
        .run();
    db.cached("UPDATE runs SET heartbeat_at = max(heartbeat_at, ?1) WHERE id = ?2")
        .bind(1, *r.heartbeat_at)
        .bind(2, r.run_id)
        .run();
  }
  if (r.final_status) {
    db.cached(
          "UPDATE ranks SET status = ?1, error = ?2, finished_at = ?3, heartbeat_at = ?3 "
          "WHERE run_id = ?4 AND rank = ?5 AND status IN ('running', 'crashed')")
        .bind(1, to_string(*r.final_status))
        .bind(2, r.error)
        .bind(3, r.finished_at)
        .bind(4, r.run_id)
        .bind(5, *r.rank)
        .run();
    r.job_end = end_job_if_done(db, r.run_id, r.finished_at);
  }
}

bool SqliteBackend::set_rank_crashed(const std::string& run_id, int rank, std::string_view error,
                                     Timestamp at) {
  return write("storing a crashed rank", [&] {
    writer_
        .cached(
            "UPDATE ranks SET status = 'crashed', error = ?1, finished_at = ?2 "
            "WHERE run_id = ?3 AND rank = ?4 AND status = 'running'")
        .bind(1, error)
        .bind(2, at)
        .bind(3, run_id)
        .bind(4, rank)
        .run();
    const bool changed = sqlite3_changes(writer_.get()) > 0;
    writer_
        .cached(
            "UPDATE runs SET status = 'crashed', error = ?1, finished_at = ?2 "
            "WHERE id = ?3 AND status = 'running'")
        .bind(1, rank_error(rank, error))
        .bind(2, at)
        .bind(3, run_id)
        .run();
    return changed;
  });
}

}  // namespace vigil::tracker::detail
