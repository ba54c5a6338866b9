// PgBackend's rows of distributed jobs: ranks, stop requests, and ending a job's run when its
// last rank ends. The writes that need them (commit, join_run, import_run) are in
// pg_backend.cc; the statements are here, once.
#include <string>
#include <utility>
#include <vector>

#include "pg_backend.h"
#include "pg_job_rows.h"

namespace vigil::tracker::detail {

std::vector<RankInfo> read_pg_ranks(PgConnection& c, const std::string& run_id) {
  PgResult r = c.exec("reading ranks",
                      // integer columns, read as int8 like every other integer
                      "SELECT rank::int8, world_size::int8, local_rank::int8, host, pid, device, "
                      "status, started_at, heartbeat_at, finished_at, error FROM ranks "
                      "WHERE run_id = $1 ORDER BY rank",
                      PgParams().add(run_id));
  std::vector<RankInfo> ranks;
  for (int i = 0; i < r.rows(); ++i) {
    RankInfo rank;
    rank.rank = static_cast<int>(r.int64(i, 0));
    rank.world_size = static_cast<int>(r.int64(i, 1));
    rank.local_rank = static_cast<int>(r.int64(i, 2));
    rank.host = r.text(i, 3);
    rank.pid = r.int64(i, 4);
    rank.device = r.text(i, 5);
    rank.status = parse_run_status(r.text(i, 6));
    rank.started_at = r.float8(i, 7);
    rank.heartbeat_at = r.float8(i, 8);
    if (!r.is_null(i, 9)) rank.finished_at = r.float8(i, 9);
    rank.error = r.text(i, 10);
    ranks.push_back(std::move(rank));
  }
  return ranks;
}

std::optional<StopRequest> read_pg_stop(PgConnection& c, const std::string& run_id) {
  PgResult r = c.exec("reading a stop request",
                      "SELECT rank::int8, step, value, message, requested_at FROM stop_requests "
                      "WHERE run_id = $1",
                      PgParams().add(run_id));
  if (r.rows() == 0) return std::nullopt;
  StopRequest stop;
  stop.rank = static_cast<int>(r.int64(0, 0));
  stop.step = r.int64(0, 1);
  stop.value = r.float8(0, 2);
  stop.message = r.text(0, 3);
  stop.requested_at = r.float8(0, 4);
  return stop;
}

namespace {

// Once every rank of a job has ended, ends its run (caller holds the run row locked).
// Returns how the run ended when this call ended it.
std::optional<std::pair<RunStatus, std::string>> end_pg_job_if_done(PgConnection& c,
                                                                    const std::string& run_id,
                                                                    Timestamp at) {
  std::vector<RankInfo> ranks = read_pg_ranks(c, run_id);
  if (ranks.empty()) return std::nullopt;
  auto ended = end_of_job(ranks, ranks.front().world_size, read_pg_stop(c, run_id));
  const auto& [status, error] = ended;
  if (status == RunStatus::kRunning) return std::nullopt;
  PgResult r =
      c.exec("ending a job's run",
             "UPDATE runs SET status = $1, error = $2, finished_at = $3 WHERE id = $4 "
             "AND status = 'running'",
             PgParams().add(to_string(status)).add(error).add(job_end_time(ranks, at)).add(run_id));
  if (r.affected() == 0) return std::nullopt;
  return ended;
}

}  // namespace

// The heartbeat and final status of one rank of a job. Sets r.job_end when this rank's end
// ended the job's run.
void apply_rank_write(PgConnection& c, RunWrite& r) {
  r.job_end.reset();  // a retried transaction starts over
  if (r.heartbeat_at) {
    c.exec("storing a rank's heartbeat",
           "UPDATE ranks SET heartbeat_at = $1 WHERE run_id = $2 AND rank = $3 AND "
           "status = 'running'",
           PgParams().add(*r.heartbeat_at).add(r.run_id).add(*r.rank));
    c.exec("storing a heartbeat",
           "UPDATE runs SET heartbeat_at = greatest(heartbeat_at, $1) WHERE id = $2",
           PgParams().add(*r.heartbeat_at).add(r.run_id));
  }
  if (r.final_status) {
    // Ranks ending at once on several hosts: the run row lock orders them, so the last one
    // sees every other rank's end.
    c.exec("locking a job's run", "SELECT 1 FROM runs WHERE id = $1 FOR UPDATE",
           PgParams().add(r.run_id));
    c.exec("ending a rank",
           "UPDATE ranks SET status = $1, error = $2, finished_at = $3, heartbeat_at = $3 "
           "WHERE run_id = $4 AND rank = $5 AND status IN ('running', 'crashed')",
           PgParams()
               .add(to_string(*r.final_status))
               .add(r.error)
               .add(r.finished_at)
               .add(r.run_id)
               .add(*r.rank));
    r.job_end = end_pg_job_if_done(c, r.run_id, r.finished_at);
  }
}
// Stores one rank row of a run, replacing an earlier row of the same rank (join_run: a rank
// restarted; import_run).
void upsert_rank(PgConnection& c, const std::string& run_id, const RankInfo& rank) {
  PgParams params;
  params.add(run_id).add(rank.rank).add(rank.world_size).add(rank.local_rank).add(rank.host);
  params.add(rank.pid).add(rank.device).add(to_string(rank.status)).add(rank.started_at);
  params.add(rank.heartbeat_at);
  if (rank.finished_at) {
    params.add(*rank.finished_at);
  } else {
    params.add_null(701);  // float8
  }
  params.add(rank.error);
  c.exec("storing a rank",
         "INSERT INTO ranks(run_id, rank, world_size, local_rank, host, pid, device, status, "
         "started_at, heartbeat_at, finished_at, error) "
         "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
         "ON CONFLICT (run_id, rank) DO UPDATE SET world_size = excluded.world_size, "
         "local_rank = excluded.local_rank, host = excluded.host, pid = excluded.pid, "
         "device = excluded.device, status = excluded.status, started_at = excluded.started_at, "
         "heartbeat_at = excluded.heartbeat_at, finished_at = excluded.finished_at, "
         "error = excluded.error",
         params);
}

// Stores a run's stop request unless it has one (the first wins); returns whether it did.
bool insert_stop_request(PgConnection& c, const std::string& run_id, const StopRequest& request) {
  PgResult r = c.exec("storing a stop request",
                      "INSERT INTO stop_requests(run_id, rank, step, value, message, "
                      "requested_at) VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                      PgParams()
                          .add(run_id)
                          .add(request.rank)
                          .add(request.step)
                          .add(request.value)
                          .add(request.message)
                          .add(request.requested_at));
  return r.affected() > 0;
}

bool PgBackend::set_rank_crashed(const std::string& run_id, int rank, std::string_view error,
                                 Timestamp at) {
  return write("storing a crashed rank", Idempotent::kNo, [&](PgConnection& c) {
    PgResult r = c.exec("storing a crashed rank",
                        "UPDATE ranks SET status = 'crashed', error = $1, finished_at = $2 "
                        "WHERE run_id = $3 AND rank = $4 AND status = 'running'",
                        PgParams().add(error).add(at).add(run_id).add(rank));
    c.exec("storing a crashed run",
           "UPDATE runs SET status = 'crashed', error = $1, finished_at = $2 WHERE id = $3 AND "
           "status = 'running'",
           PgParams().add(rank_error(rank, error)).add(at).add(run_id));
    return r.affected() > 0;
  });
}

std::vector<RankInfo> PgBackend::ranks(const std::string& run_id) {
  return read("reading the ranks of a run",
              [&](PgConnection& c) { return read_pg_ranks(c, run_id); });
}
std::optional<StopRequest> PgBackend::stop_request(const std::string& run_id) {
  return read("reading a stop request", [&](PgConnection& c) { return read_pg_stop(c, run_id); });
}

}  // namespace vigil::tracker::detail
