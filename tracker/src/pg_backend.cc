// PgBackend: connecting, the reconnect policy and every write. Reads are in
// pg_backend_read.cc.
//
// Why libpq and not libpqxx: libpq is PostgreSQL's own C client (Debian libpq-dev), with
// binary parameters and results, which the bulk chunk statements need; libpqxx 6.4 wraps the
// same calls in another C++ layer (string conversions for every value) and adds nothing else
// the backend uses.

#include "pg_backend.h"

#include <random>
#include <thread>

#include "json_numbers.h"
#include "log.h"
#include "pg_job_rows.h"
#include "pg_param_rows.h"
#include "pg_schema.h"

namespace vigil::tracker::detail {
namespace {

// Reconnect policy (the only one): the first attempt after a loss is immediate; each failed
// attempt doubles the wait before the next one, from kReconnectFirstDelay up to
// kReconnectMaxDelay. Calls made meanwhile fail at once (the writer keeps its batch).
constexpr auto kReconnectFirstDelay = std::chrono::milliseconds(100);
constexpr auto kReconnectMaxDelay = std::chrono::milliseconds(5000);
// A transaction that lost a conflict with another (deadlock, serialization) is retried.
constexpr int kConflictRetries = 20;
// Rows of vigil_changes: each Backend object bumps one, picked at random, so concurrent
// writers rarely wait on each other's counter row.
constexpr std::int64_t kChangeSlots = 64;

std::int64_t ensure_experiment(PgConnection& c, const std::string& name, Timestamp created_at) {
  // When another transaction inserts the same name concurrently, the INSERT waits for it and
  // does nothing, while the SELECT's snapshot predates it: the row shows up on the next try.
  for (int attempt = 0; attempt < 3; ++attempt) {
    PgResult r = c.exec("creating an experiment",
                        "WITH ins AS (INSERT INTO experiments(name, created_at) VALUES($1, $2) "
                        "ON CONFLICT (name) DO NOTHING RETURNING id) "
                        "SELECT id FROM ins UNION ALL SELECT id FROM experiments WHERE name = $1",
                        PgParams().add(name).add(created_at));
    if (r.rows() > 0) return r.int64(0, 0);
  }
  throw Error("experiment '" + name + "' vanished");
}

void apply_tag_ops(PgConnection& c, const std::string& run_id, const TagOps& tag_ops) {
  for (const auto& [tag, add] : tag_ops) {
    c.exec("changing tags",
           // Only for a stored run: a set's rows exist only with their run (count_runs).
           add ? "INSERT INTO tags(run_id, tag) SELECT $1, $2 WHERE EXISTS "
                 "(SELECT 1 FROM runs WHERE id = $1) ON CONFLICT DO NOTHING"
               : "DELETE FROM tags WHERE run_id = $1 AND tag = $2",
           PgParams().add(run_id).add(tag));
  }
}

void delete_run_rows(PgConnection& c, const std::vector<std::string>& run_ids) {
  static const char* const kStatements[] = {
      "DELETE FROM chunks WHERE series_id IN (SELECT id FROM series WHERE run_id = ANY($1))",
      "DELETE FROM series WHERE run_id = ANY($1)",
      "DELETE FROM tags WHERE run_id = ANY($1)",
      "DELETE FROM validations WHERE run_id = ANY($1)",
      "DELETE FROM ranks WHERE run_id = ANY($1)",
      "DELETE FROM stop_requests WHERE run_id = ANY($1)",
      "DELETE FROM run_params WHERE run_id = ANY($1)",
      "DELETE FROM runs WHERE id = ANY($1)",
  };
  for (const char* sql : kStatements) c.exec("deleting runs", sql, PgParams().add_array(run_ids));
}

bool run_exists(PgConnection& c, const std::string& run_id) {
  return c.exec("finding a run", "SELECT 1 FROM runs WHERE id = $1", PgParams().add(run_id))
             .rows() > 0;
}

// Chunks of many series in one statement: each column travels as one binary array.
class ChunkColumns {
 public:
  void add(std::int64_t series_id, const ChunkRow& row) {
    series_.push_back(series_id);
    seq_.push_back(row.seq);
    first_.push_back(row.first_step);
    last_.push_back(row.last_step);
    n_.push_back(row.n);
    min_.push_back(row.min);
    max_.push_back(row.max);
    data_.push_back(row.data);
  }
  // Upserts by (series_id, seq): a batch sent again after a lost COMMIT stores the same rows.
  void upsert(PgConnection& c) const {
    if (series_.empty()) return;
    c.exec("storing metric chunks",
           "INSERT INTO chunks(series_id, seq, first_step, last_step, n, min, max, data) "
           "SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], "
           "$6::float8[], $7::float8[], $8::bytea[]) "
           "ON CONFLICT (series_id, seq) DO UPDATE SET first_step = excluded.first_step, "
           "last_step = excluded.last_step, n = excluded.n, min = excluded.min, "
           "max = excluded.max, data = excluded.data",
           PgParams()
               .add_array(series_)
               .add_array(seq_)
               .add_array(first_)
               .add_array(last_)
               .add_array(n_)
               .add_array(min_)
               .add_array(max_)
               .add_bytes_array(data_));
  }

 private:
  std::vector<std::int64_t> series_, seq_, first_, last_, n_;
  std::vector<double> min_, max_;
  std::vector<std::string_view> data_;
};

// The summaries of many series in one UPDATE.
void update_summaries(PgConnection& c, const std::vector<std::int64_t>& ids,
                      const std::vector<SeriesSummary>& summaries) {
  if (ids.empty()) return;
  std::vector<std::int64_t> count, last_step;
  std::vector<double> last, min, max, last_time;
  for (const SeriesSummary& m : summaries) {
    count.push_back(m.count);
    last.push_back(m.last);
    min.push_back(m.min);
    max.push_back(m.max);
    last_step.push_back(m.last_step);
    last_time.push_back(m.last_time);
  }
  c.exec("storing series summaries",
         "UPDATE series s SET count = u.count, last = u.last, min = u.min, max = u.max, "
         "last_step = u.last_step, last_time = u.last_time FROM unnest($1::int8[], $2::int8[], "
         "$3::float8[], $4::float8[], $5::float8[], $6::int8[], $7::float8[]) "
         "AS u(id, count, last, min, max, last_step, last_time) WHERE s.id = u.id",
         PgParams()
             .add_array(ids)
             .add_array(count)
             .add_array(last)
             .add_array(min)
             .add_array(max)
             .add_array(last_step)
             .add_array(last_time));
}

// The id of a series, its row created when new (by this or an earlier attempt); 0 when its
// run was deleted meanwhile (its points go with it: no series outlives its run).
std::int64_t ensure_series(PgConnection& c, const std::string& run_id, const SeriesKey& key) {
  PgResult r = c.exec("creating a series",
                      "INSERT INTO series(run_id, name, context) SELECT $1, $2, $3 "
                      "WHERE EXISTS (SELECT 1 FROM runs WHERE id = $1) "
                      "ON CONFLICT (run_id, name, context) DO UPDATE SET name = excluded.name "
                      "RETURNING id",
                      PgParams().add(run_id).add(key.name).add(canonical_context(key.context)));
  return r.rows() == 0 ? 0 : r.int64(0, 0);
}

void apply_run_write(PgConnection& c, RunWrite& r) {
  if (r.params_json) {
    PgResult updated = c.exec("storing params", "UPDATE runs SET params = $1 WHERE id = $2",
                              PgParams().add(*r.params_json).add(r.run_id));
    // No rows for a run deleted meanwhile.
    if (updated.affected() > 0) replace_param_rows(c, r.run_id, *r.params_json);
  }
  if (r.results_json) {
    c.exec("storing results", "UPDATE runs SET results = $1 WHERE id = $2",
           PgParams().add(*r.results_json).add(r.run_id));
  }
  apply_tag_ops(c, r.run_id, r.tag_ops);
  if (r.rank) {
    apply_rank_write(c, r);
    return;
  }
  if (r.heartbeat_at) {
    // A live owner proves a `crashed` verdict (stale heartbeat) wrong: revive the run.
    c.exec("storing a heartbeat",
           "UPDATE runs SET heartbeat_at = $1, status = 'running', error = '', "
           "finished_at = NULL WHERE id = $2 AND status IN ('running', 'crashed')",
           PgParams().add(*r.heartbeat_at).add(r.run_id));
  }
  if (r.final_status) {
    // A status set meanwhile by a tool or guard (set_status) wins over the owner's.
    c.exec(
        "ending a run",
        "UPDATE runs SET status = $1, error = $2, finished_at = $3, heartbeat_at = $3 "
        "WHERE id = $4 AND status IN ('running', 'crashed')",
        PgParams().add(to_string(*r.final_status)).add(r.error).add(r.finished_at).add(r.run_id));
  }
}

std::int64_t insert_validation(PgConnection& c, const ValidationRecord& record) {
  PgResult r = c.exec(
      "storing a validation",
      "INSERT INTO validations(run_id, rules_name, rules_hash, phase, verdict, score, "
      "violations, report, created_at) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
      PgParams()
          .add(record.run_id)
          .add(record.rules_name)
          .add(record.rules_hash)
          .add(record.phase)
          .add(record.verdict)
          .add(record.score)
          .add(record.violations.dump())
          .add(record.report.dump())
          .add(record.created_at));
  // The run row's summary follows its latest validation (ids increase: this one).
  c.exec("storing a validation", "UPDATE runs SET verdict = $1, score = $2 WHERE id = $3",
         PgParams().add(record.verdict).add(record.score).add(record.run_id));
  return r.int64(0, 0);
}

void insert_run_row(PgConnection& c, const RunInfo& run) {
  const std::int64_t experiment_id = ensure_experiment(c, run.experiment, run.created_at);
  PgParams params;
  params.add(run.id).add(run.name).add(experiment_id).add(to_string(run.status));
  params.add(run.created_at).add(run.started_at);
  if (run.finished_at) {
    params.add(*run.finished_at);
  } else {
    params.add_null(701);  // float8
  }
  params.add(run.heartbeat_at).add(run.host).add(run.pid).add(run.command).add(run.error);
  // Stored form: a copy reads params decoded (non-finite numbers as doubles).
  const nlohmann::json stored_params = encode_non_finite(run.params);
  params.add(stored_params.dump()).add(run.results.dump());
  c.exec("importing a run",
         "INSERT INTO runs(id, name, experiment_id, status, created_at, started_at, finished_at, "
         "heartbeat_at, host, pid, command, error, params, results) "
         "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
         params);
  insert_param_rows(c, run.id, stored_params);
  if (!run.tags.empty()) {
    c.exec("importing tags", "INSERT INTO tags(run_id, tag) SELECT $1, unnest($2::text[])",
           PgParams().add(run.id).add_array(run.tags));
  }
}

// A plain INSERT: a second series with the same key fails (and rolls back the import).
void insert_series(PgConnection& c, const std::string& run_id, const SeriesExport& series) {
  const SeriesSummary& m = series.summary;
  PgResult r = c.exec(
      "importing a series",
      "INSERT INTO series(run_id, name, context, count, last, min, max, last_step, last_time) "
      "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
      PgParams()
          .add(run_id)
          .add(m.key.name)
          .add(canonical_context(m.key.context))
          .add(m.count)
          .add(m.last)
          .add(m.min)
          .add(m.max)
          .add(m.last_step)
          .add(m.last_time));
  const std::int64_t series_id = r.int64(0, 0);
  ChunkColumns chunks;
  for (const ChunkRow& row : series.chunks) chunks.add(series_id, row);
  chunks.upsert(c);
}

// Inserts `run` as `running` with its tags unless a run with its id exists; returns whether it
// was inserted now (create_run and join_run).
bool insert_new_run(PgConnection& c, const NewRun& run, const char* what) {
  const std::int64_t experiment_id = ensure_experiment(c, run.experiment, run.created_at);
  PgResult created = c.exec(
      what,
      "INSERT INTO runs(id, name, experiment_id, status, created_at, started_at, "
      "heartbeat_at, host, pid, command, params) "
      "VALUES($1, $2, $3, 'running', $4, $4, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
      PgParams()
          .add(run.id)
          .add(run.name)
          .add(experiment_id)
          .add(run.created_at)
          .add(run.host)
          .add(run.pid)
          .add(run.command)
          .add(run.params.dump()));
  const bool inserted = created.affected() > 0;
  if (inserted) insert_param_rows(c, run.id, run.params);
  if (inserted && !run.tags.empty()) {
    c.exec("storing tags",
           "INSERT INTO tags(run_id, tag) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING",
           PgParams().add(run.id).add_array(run.tags));
  }
  return inserted;
}

}  // namespace

PgBackend::PgBackend(std::string uri, bool read_only)
    : uri_(std::move(uri)), display_(redact_uri(uri_)), read_only_(read_only) {
  std::random_device seed;
  change_slot_ = static_cast<std::int64_t>(seed() % kChangeSlots);
  try {
    read_.conn = PgConnection(uri_, display_);
    ensure_pg_schema(read_.conn, display_, read_only_);
  } catch (const PgError& e) {
    throw StoreError("cannot open store " + display_ + ": " + e.what());
  }
  // The write connection opens on first use (a reader never needs it).
}

void PgBackend::require_writable() const {
  if (read_only_) throw Error("store " + display_ + " was opened read-only");
}

void PgBackend::reconnect(Link& link) {
  const auto now = std::chrono::steady_clock::now();
  if (now < link.next_attempt) {
    throw PgError("connection lost; next reconnect attempt in " +
                      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         link.next_attempt - now)
                                         .count()) +
                      " ms",
                  "", true);
  }
  const bool lost = link.conn.get() != nullptr;  // not the first connection of this link
  try {
    link.conn = PgConnection(uri_, display_);
  } catch (const PgError&) {
    link.delay = std::min<std::chrono::milliseconds>(
        kReconnectMaxDelay,
        std::max<std::chrono::milliseconds>(kReconnectFirstDelay, link.delay * 2));
    link.next_attempt = std::chrono::steady_clock::now() + link.delay;
    throw;
  }
  link.delay = std::chrono::milliseconds(0);
  if (lost) {
    reconnects_.fetch_add(1);
    logger()->info("store {}: reconnected", display_);
  }
}

void PgBackend::rethrow(const char* what, const PgError& e) const {
  const std::string message = std::string(what) + " failed in store " + display_ + ": " + e.what();
  if (e.is_full()) throw StoreFull(message);
  throw Error(message);
}

void PgBackend::run_on(Link& link, const char* what, Idempotent idempotent,
                       const std::function<void(PgConnection&, bool&)>& body) {
  std::lock_guard<std::mutex> lock(link.mu);
  bool retried_loss = false;
  for (int conflicts = 0;;) {
    bool commit_sent = false;
    try {
      if (!link.conn.ok()) reconnect(link);
      body(link.conn, commit_sent);
      return;
    } catch (const PgError& e) {
      if (e.is_conflict() && ++conflicts <= kConflictRetries) continue;
      const bool may_repeat = idempotent == Idempotent::kYes || !commit_sent;
      if (e.connection_lost() && link.conn.get() && !link.conn.ok() && !retried_loss &&
          may_repeat) {
        retried_loss = true;  // the server may be back already (terminated backend)
        continue;
      }
      rethrow(what, e);
    }
  }
}

void PgBackend::finish_write(PgConnection& conn, PgTransaction& transaction, bool& commit_sent) {
  conn.exec("counting the change",
            "INSERT INTO vigil_changes(slot, counter) VALUES($1, 1) ON CONFLICT (slot) "
            "DO UPDATE SET counter = vigil_changes.counter + 1",
            PgParams().add(change_slot_));
  commit_sent = true;
  transaction.commit();
}

void PgBackend::create_run(const NewRun& run) {
  // Idempotent: a run already stored by a first attempt whose COMMIT reply was lost stays.
  write("creating a run", Idempotent::kYes,
        [&](PgConnection& c) { insert_new_run(c, run, "creating a run"); });
}

void PgBackend::commit(WriteBatch& batch) {
  // Idempotent: series are found by key, chunks upserted by (series, seq), summaries and
  // run fields replaced, tag changes are set operations. Sending a batch again after a lost
  // COMMIT reply stores it once.
  std::vector<std::int64_t> ids =
      write("committing metrics", Idempotent::kYes, [&](PgConnection& c) {
        std::vector<std::int64_t> series_ids(batch.series.size(), 0);
        ChunkColumns chunks;
        std::vector<SeriesSummary> summaries;
        for (std::size_t i = 0; i < batch.series.size(); ++i) {
          const SeriesWrite& s = batch.series[i];
          series_ids[i] = s.series_id != 0 ? s.series_id : ensure_series(c, s.run_id, s.key);
          if (series_ids[i] == 0) continue;  // the run was deleted
          for (const ChunkRow& row : s.chunks) chunks.add(series_ids[i], row);
          summaries.push_back(s.summary);
        }
        chunks.upsert(c);
        update_summaries(c, series_ids, summaries);
        for (RunWrite& r : batch.runs) apply_run_write(c, r);
        return series_ids;
      });
  for (std::size_t i = 0; i < ids.size(); ++i) batch.series[i].series_id = ids[i];
}

void PgBackend::change_tags(const std::string& run_id, const std::vector<std::string>& tags,
                            bool add) {
  write("changing tags", Idempotent::kYes, [&](PgConnection& c) {
    c.exec("changing tags",
           add ? "INSERT INTO tags(run_id, tag) SELECT $1, unnest($2::text[]) "
                 "WHERE EXISTS (SELECT 1 FROM runs WHERE id = $1) ON CONFLICT DO NOTHING"
               : "DELETE FROM tags WHERE run_id = $1 AND tag = ANY($2)",
           PgParams().add(run_id).add_array(tags));
  });
}

void PgBackend::delete_runs(const std::vector<std::string>& run_ids) {
  write("deleting runs", Idempotent::kYes, [&](PgConnection& c) { delete_run_rows(c, run_ids); });
}

bool PgBackend::set_status(const std::string& run_id, RunStatus status, std::string_view error,
                           Timestamp finished_at, bool only_if_running) {
  // Not idempotent in its answer: a repeat after a lost COMMIT would report "no change".
  return write("setting a run status", Idempotent::kNo, [&](PgConnection& c) {
    PgResult r =
        c.exec("setting a run status",
               only_if_running ? "UPDATE runs SET status = $1, error = $2, finished_at = $3 "
                                 "WHERE id = $4 AND status = 'running'"
                               : "UPDATE runs SET status = $1, error = $2, finished_at = $3 "
                                 "WHERE id = $4",
               PgParams().add(to_string(status)).add(error).add(finished_at).add(run_id));
    return r.affected() > 0;
  });
}

std::int64_t PgBackend::add_validation(const ValidationRecord& record, const TagOps& tag_ops) {
  return write("adding a validation", Idempotent::kNo, [&](PgConnection& c) {
    // Locks the run row: a concurrent delete_runs cannot leave the validation orphaned.
    if (c.exec("finding a run", "SELECT 1 FROM runs WHERE id = $1 FOR SHARE",
               PgParams().add(record.run_id))
            .rows() == 0) {
      throw RunNotFound("no run with id '" + record.run_id + "'");
    }
    const std::int64_t id = insert_validation(c, record);
    apply_tag_ops(c, record.run_id, tag_ops);
    return id;
  });
}

bool PgBackend::join_run(const NewRun& run, const NewRank& rank) {
  return write("joining a run", Idempotent::kNo, [&](PgConnection& c) {
    const bool is_new = insert_new_run(c, run, "joining a run");
    if (!is_new) {
      PgResult found = c.exec("joining a run",
                              "SELECT r.status, e.name FROM runs r JOIN experiments e ON "
                              "e.id = r.experiment_id WHERE r.id = $1 FOR SHARE OF r",
                              PgParams().add(run.id));
      check_joinable(run, found.rows() > 0, found.rows() ? found.text(0, 0) : "",
                     found.rows() ? found.text(0, 1) : "");
    }
    upsert_rank(c, run.id, joined_rank(rank));
    return is_new;
  });
}

bool PgBackend::request_stop(const std::string& run_id, const StopRequest& request) {
  return write("requesting a job stop", Idempotent::kNo, [&](PgConnection& c) {
    if (!run_exists(c, run_id)) throw RunNotFound("no run with id '" + run_id + "'");
    return insert_stop_request(c, run_id, request);
  });
}

ImportOutcome PgBackend::import_run(const RunExport& run, bool replace) {
  return write("importing a run", Idempotent::kNo, [&](PgConnection& c) {
    ImportOutcome outcome = ImportOutcome::kCreated;
    if (run_exists(c, run.run.id)) {
      if (!replace) return ImportOutcome::kExists;
      delete_run_rows(c, {run.run.id});
      outcome = ImportOutcome::kReplaced;
    }
    insert_run_row(c, run.run);
    for (const SeriesExport& series : run.series) insert_series(c, run.run.id, series);
    for (ValidationRecord record : run.validations) {
      record.run_id = run.run.id;
      insert_validation(c, record);
    }
    for (const RankInfo& rank : run.ranks) upsert_rank(c, run.run.id, rank);
    if (run.stop) insert_stop_request(c, run.run.id, *run.stop);
    return outcome;
  });
}

RecodeBatch PgBackend::recode_chunks(
    ChunkCursor& cursor, std::size_t limit,
    const std::function<std::optional<std::string>(const ChunkCursor&, std::string_view)>& recode) {
  const ChunkCursor start = cursor;
  return write("migrating chunks", Idempotent::kYes, [&](PgConnection& c) {
    RecodeBatch done;
    cursor = start;  // a retried transaction starts over
    PgResult rows = c.exec(
        "reading chunks",
        "SELECT series_id, seq, data FROM chunks WHERE (series_id, seq) > "
        "($1, $2) ORDER BY series_id, seq LIMIT $3",
        PgParams().add(start.series_id).add(start.seq).add(static_cast<std::int64_t>(limit)));
    std::vector<std::int64_t> series, seqs;
    std::vector<std::string> data;
    for (int i = 0; i < rows.rows(); ++i) {
      cursor = {rows.int64(i, 0), rows.int64(i, 1)};
      ++done.visited;
      if (auto recoded = recode(cursor, rows.bytes(i, 2))) {
        series.push_back(cursor.series_id);
        seqs.push_back(cursor.seq);
        data.push_back(std::move(*recoded));
      }
    }
    if (!data.empty()) {
      std::vector<std::string_view> views(data.begin(), data.end());
      c.exec("rewriting chunks",
             "UPDATE chunks c SET data = u.data FROM unnest($1::int8[], $2::int8[], "
             "$3::bytea[]) AS u(series_id, seq, data) "
             "WHERE c.series_id = u.series_id AND c.seq = u.seq",
             PgParams().add_array(series).add_array(seqs).add_bytes_array(views));
    }
    done.rewritten = data.size();
    return done;
  });
}

}  // namespace vigil::tracker::detail
