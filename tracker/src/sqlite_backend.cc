// SqliteBackend: opening the file and every write. Reads are in sqlite_backend_read.cc.

#include "sqlite_backend.h"

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <system_error>
#include <thread>
#include <type_traits>

#include "json_numbers.h"
#include "log.h"
#include "schema.h"
#include "sqlite_backend_tx.h"
#include "sqlite_job_rows.h"
#include "sqlite_param_rows.h"

namespace vigil::tracker::detail {
namespace {

// Runs a setup step, retrying while another process holds the file (it may be creating or
// converting the same store) for up to a minute.
template <typename Fn>
void retry_while_busy(const std::string& path, Fn&& step) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    try {
      step();
      return;
    } catch (const SqliteError& e) {
      if (!e.is_busy() || std::chrono::steady_clock::now() >= deadline) {
        throw StoreError("cannot open store " + path + ": " + e.what());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

void exec_while_busy(Connection& db, const char* sql, const std::string& path) {
  retry_while_busy(path, [&] { db.exec(sql); });
}

void enable_wal(Connection& db, const std::string& path) {
  retry_while_busy(path, [&] {
    Statement stmt(db.get(), "PRAGMA journal_mode=WAL");
    std::string mode = stmt.step() ? stmt.column_text(0) : "";
    if (mode != "wal") {
      throw StoreError("cannot open store " + path + ": WAL journal mode unavailable (got '" +
                       mode + "')");
    }
  });
}

// Listing thousands of runs reads most of the small tables: memory-map the file and keep a
// larger page cache instead of one pread per page.
void tune_reader(Connection& db, const std::string& path) {
  exec_while_busy(db, "PRAGMA mmap_size = 268435456; PRAGMA cache_size = -32768", path);
}

// The id of experiment `name`, created (at `created_at`) when new.
std::int64_t ensure_experiment(Connection& db, const std::string& name, Timestamp created_at) {
  db.cached("INSERT INTO experiments(name, created_at) VALUES(?1, ?2) ON CONFLICT(name) DO NOTHING")
      .bind(1, name)
      .bind(2, created_at)
      .run();
  auto& find = db.cached("SELECT id FROM experiments WHERE name = ?1");
  find.bind(1, name);
  if (!find.step()) throw Error("experiment '" + name + "' vanished");
  std::int64_t id = find.column_int64(0);
  find.reset();
  return id;
}

void apply_tag_ops(Connection& db, const std::string& run_id, const TagOps& tag_ops) {
  for (const auto& [tag, add] : tag_ops) {
    // Only for a stored run: a set's rows exist only with their run (count_runs).
    auto& stmt = db.cached(add ? "INSERT OR IGNORE INTO tags(run_id, tag) SELECT ?1, ?2 "
                                 "WHERE EXISTS (SELECT 1 FROM runs WHERE id = ?1)"
                               : "DELETE FROM tags WHERE run_id = ?1 AND tag = ?2");
    stmt.bind(1, run_id).bind(2, tag).run();
  }
}

// Deletes a run with all its data (inside the caller's transaction).
void delete_run_rows(Connection& db, const std::string& run_id) {
  static const char* const kStatements[] = {
      "DELETE FROM chunks WHERE series_id IN (SELECT id FROM series WHERE run_id = ?1)",
      "DELETE FROM series WHERE run_id = ?1",
      "DELETE FROM tags WHERE run_id = ?1",
      "DELETE FROM validations WHERE run_id = ?1",
      "DELETE FROM ranks WHERE run_id = ?1",
      "DELETE FROM stop_requests WHERE run_id = ?1",
      "DELETE FROM run_params WHERE run_id = ?1",
      "DELETE FROM runs WHERE id = ?1",
  };
  for (const char* sql : kStatements) db.cached(sql).bind(1, run_id).run();
}

bool run_exists(Connection& db, const std::string& run_id) {
  auto& exists = db.cached("SELECT 1 FROM runs WHERE id = ?1");
  exists.bind(1, run_id);
  bool found = exists.step();
  exists.reset();
  return found;
}

void insert_chunk(Connection& db, std::int64_t series_id, const ChunkRow& row, bool upsert) {
  auto& chunk = db.cached(
      upsert ? "INSERT INTO chunks(series_id, seq, first_step, last_step, n, min, max, data) "
               "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(series_id, seq) DO UPDATE SET "
               "first_step = excluded.first_step, last_step = excluded.last_step, n = excluded.n, "
               "min = excluded.min, max = excluded.max, data = excluded.data"
             : "INSERT INTO chunks(series_id, seq, first_step, last_step, n, min, max, data) "
               "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  chunk.bind(1, series_id)
      .bind(2, row.seq)
      .bind(3, row.first_step)
      .bind(4, row.last_step)
      .bind(5, static_cast<std::int64_t>(row.n))
      .bind(6, row.min)
      .bind(7, row.max)
      .bind_blob(8, row.data.data(), row.data.size())
      .run();
}

std::int64_t insert_validation(Connection& db, const ValidationRecord& record) {
  db.cached(
        "INSERT INTO validations(run_id, rules_name, rules_hash, phase, verdict, score, "
        "violations, report, created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
      .bind(1, record.run_id)
      .bind(2, record.rules_name)
      .bind(3, record.rules_hash)
      .bind(4, record.phase)
      .bind(5, record.verdict)
      .bind(6, record.score)
      .bind(7, record.violations.dump())
      .bind(8, record.report.dump())
      .bind(9, record.created_at)
      .run();
  const std::int64_t id = sqlite3_last_insert_rowid(db.get());
  // The run row's summary follows its latest validation (ids increase: this one).
  db.cached("UPDATE runs SET verdict = ?1, score = ?2 WHERE id = ?3")
      .bind(1, record.verdict)
      .bind(2, record.score)
      .bind(3, record.run_id)
      .run();
  return id;
}

void insert_run_row(Connection& db, const RunInfo& run) {
  // Stored form: a copy reads params decoded (non-finite numbers as doubles).
  const nlohmann::json params = encode_non_finite(run.params);
  std::int64_t experiment_id = ensure_experiment(db, run.experiment, run.created_at);
  auto& insert = db.cached(
      "INSERT INTO runs(id, name, experiment_id, status, created_at, started_at, finished_at, "
      "heartbeat_at, host, pid, command, error, params, results) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
  insert.bind(1, run.id)
      .bind(2, run.name)
      .bind(3, experiment_id)
      .bind(4, to_string(run.status))
      .bind(5, run.created_at)
      .bind(6, run.started_at);
  if (run.finished_at) insert.bind(7, *run.finished_at);  // unbound: NULL
  insert.bind(8, run.heartbeat_at)
      .bind(9, run.host)
      .bind(10, run.pid)
      .bind(11, run.command)
      .bind(12, run.error)
      .bind(13, params.dump())
      .bind(14, run.results.dump())
      .run();
  insert_param_rows(db, run.id, params);
  for (const auto& tag : run.tags) {
    db.cached("INSERT INTO tags(run_id, tag) VALUES(?1, ?2)").bind(1, run.id).bind(2, tag).run();
  }
}

// A plain INSERT: a second series with the same key fails (and rolls back the import).
void insert_series(Connection& db, const std::string& run_id, const SeriesExport& series) {
  const SeriesSummary& m = series.summary;
  db.cached(
        "INSERT INTO series(run_id, name, context, count, last, min, max, last_step, last_time) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
      .bind(1, run_id)
      .bind(2, m.key.name)
      .bind(3, canonical_context(m.key.context))
      .bind(4, m.count)
      .bind(5, m.last)
      .bind(6, m.min)
      .bind(7, m.max)
      .bind(8, m.last_step)
      .bind(9, m.last_time)
      .run();
  std::int64_t series_id = sqlite3_last_insert_rowid(db.get());
  for (const ChunkRow& row : series.chunks) insert_chunk(db, series_id, row, false);
}

// Inserts a new run row with its tags (inside the caller's transaction).
void insert_new_run(Connection& db, const NewRun& run) {
  std::int64_t experiment_id = ensure_experiment(db, run.experiment, run.created_at);
  db.cached(
        "INSERT INTO runs(id, name, experiment_id, status, created_at, started_at, "
        "heartbeat_at, host, pid, command, params) "
        "VALUES(?1, ?2, ?3, 'running', ?4, ?4, ?4, ?5, ?6, ?7, ?8)")
      .bind(1, run.id)
      .bind(2, run.name)
      .bind(3, experiment_id)
      .bind(4, run.created_at)
      .bind(5, run.host)
      .bind(6, run.pid)
      .bind(7, run.command)
      .bind(8, run.params.dump())
      .run();
  insert_param_rows(db, run.id, run.params);
  auto& tag = db.cached("INSERT OR IGNORE INTO tags(run_id, tag) VALUES(?1, ?2)");
  for (const auto& t : run.tags) {
    tag.reset();
    tag.bind(1, run.id).bind(2, t).run();
  }
}

// `path` as an SQLite URI filename (RFC 3986 percent-encoding of all but unreserved bytes).
std::string file_uri(const std::string& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string uri = "file:";
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      uri += static_cast<char>(c);
    } else {
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 0xf];
    }
  }
  return uri;
}

// A reader of a WAL store needs its -shm index, which SQLite creates beside the file. Where
// that is impossible (read-only mount, directory without write permission) and no -shm exists,
// the file is opened immutable: no locks, no -shm, nothing written. A non-empty -wal would be
// ignored then, so that case is an error rather than a silently older view.
Connection open_reader(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  if (::access(dir.c_str(), W_OK) == 0 || fs::exists(path + "-shm", ec)) {
    return Connection(path, SQLITE_OPEN_READONLY);
  }
  const auto wal_size = fs::file_size(path + "-wal", ec);
  if (!ec && wal_size > 0) {
    throw StoreError("cannot open store " + path + " read-only: its directory is not writable " +
                     "and its write-ahead log " + path +
                     "-wal has no -shm index (open it once where it is writable)");
  }
  return Connection(file_uri(path) + "?mode=ro&immutable=1",
                    SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
}

}  // namespace

SqliteBackend::SqliteBackend(std::string path, bool read_only)
    : path_(std::move(path)), read_only_(read_only) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (read_only_) {
    if (!fs::exists(path_, ec)) {
      throw StoreError("cannot open store " + path_ + " read-only: the file does not exist");
    }
  } else {
    fs::path parent = fs::path(path_).parent_path();
    if (!parent.empty() && !fs::exists(parent, ec)) {
      fs::create_directories(parent, ec);
      if (ec) {
        throw StoreError("cannot create the directory " + parent.string() + " of store " + path_ +
                         ": " + ec.message());
      }
    }
  }
  if (fs::is_directory(path_, ec)) {
    throw StoreError("cannot open store " + path_ + ": it is a directory");
  }
  Connection db = read_only_ ? open_reader(path_)
                             : Connection(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  SchemaState state = check_schema(db, path_);
  if (read_only_) {
    if (state.fresh) {
      throw StoreError("cannot open store " + path_ + " read-only: the file is empty");
    }
    if (state.version < kSchemaVersion) {
      throw StoreNeedsUpgrade("cannot open store " + path_ + " read-only: it has schema version " +
                              std::to_string(state.version) + " and needs an upgrade to version " +
                              std::to_string(kSchemaVersion) +
                              " (run `vigil store migrate`, or open it once for writing)");
    }
    reader_ = std::move(db);
    tune_reader(reader_, path_);
    return;
  }
  // Fixed when the first table is created, and before WAL mode (which freezes it): 16 KiB
  // pages write metric chunks with a quarter of the I/O calls of the default 4 KiB.
  if (state.fresh) exec_while_busy(db, "PRAGMA page_size = 16384", path_);
  enable_wal(db, path_);
  if (state.fresh || state.version < kSchemaVersion) migrate(db, path_);
  exec_while_busy(db, "PRAGMA synchronous=NORMAL", path_);
  writer_ = std::move(db);
  reader_ = Connection(path_, SQLITE_OPEN_READWRITE);
  tune_reader(reader_, path_);
}

void SqliteBackend::require_writable() const {
  if (read_only_) throw Error("store " + path_ + " was opened read-only");
}

void SqliteBackend::create_run(const NewRun& run) {
  write("creating a run", [&] { insert_new_run(writer_, run); });
}

void SqliteBackend::commit(WriteBatch& batch) {
  std::vector<std::int64_t> ids = write("committing metrics", [&] {
    std::vector<std::int64_t> new_ids(batch.series.size(), 0);
    for (std::size_t i = 0; i < batch.series.size(); ++i) {
      const SeriesWrite& s = batch.series[i];
      std::int64_t id = s.series_id;
      if (id == 0) {
        std::string context = canonical_context(s.key.context);
        writer_
            .cached(
                "INSERT OR IGNORE INTO series(run_id, name, context) SELECT ?1, ?2, ?3 "
                "WHERE EXISTS (SELECT 1 FROM runs WHERE id = ?1)")
            .bind(1, s.run_id)
            .bind(2, s.key.name)
            .bind(3, context)
            .run();
        auto& find = writer_.cached(
            "SELECT id FROM series WHERE run_id = ?1 AND name = ?2 AND context = ?3");
        find.bind(1, s.run_id).bind(2, s.key.name).bind(3, context);
        const bool found = find.step();
        id = found ? find.column_int64(0) : 0;
        find.reset();
        // The run was deleted: its points go with it (no series outlives its run).
        if (!found) continue;
        new_ids[i] = id;
      }
      for (const ChunkRow& row : s.chunks) insert_chunk(writer_, id, row, true);
      const SeriesSummary& m = s.summary;
      writer_
          .cached(
              "UPDATE series SET count = ?1, last = ?2, min = ?3, max = ?4, last_step = ?5, "
              "last_time = ?6 WHERE id = ?7")
          .bind(1, m.count)
          .bind(2, m.last)
          .bind(3, m.min)
          .bind(4, m.max)
          .bind(5, m.last_step)
          .bind(6, m.last_time)
          .bind(7, id)
          .run();
    }
    for (RunWrite& r : batch.runs) {
      if (r.params_json) {
        writer_.cached("UPDATE runs SET params = ?1 WHERE id = ?2")
            .bind(1, *r.params_json)
            .bind(2, r.run_id)
            .run();
        // No rows for a run deleted meanwhile.
        if (sqlite3_changes(writer_.get()) > 0) {
          replace_param_rows(writer_, r.run_id, *r.params_json);
        }
      }
      if (r.results_json) {
        writer_.cached("UPDATE runs SET results = ?1 WHERE id = ?2")
            .bind(1, *r.results_json)
            .bind(2, r.run_id)
            .run();
      }
      apply_tag_ops(writer_, r.run_id, r.tag_ops);
      if (r.rank) {
        write_rank(writer_, r);
        continue;
      }
      if (r.heartbeat_at) {
        // A live owner proves a `crashed` verdict (stale heartbeat) wrong: revive the run.
        writer_
            .cached(
                "UPDATE runs SET heartbeat_at = ?1, status = 'running', error = '', "
                "finished_at = NULL WHERE id = ?2 AND status IN ('running', 'crashed')")
            .bind(1, *r.heartbeat_at)
            .bind(2, r.run_id)
            .run();
      }
      if (r.final_status) {
        // A status set meanwhile by a tool or guard (set_status) wins over the owner's.
        writer_
            .cached(
                "UPDATE runs SET status = ?1, error = ?2, finished_at = ?3, heartbeat_at = ?3 "
                "WHERE id = ?4 AND status IN ('running', 'crashed')")
            .bind(1, to_string(*r.final_status))
            .bind(2, r.error)
            .bind(3, r.finished_at)
            .bind(4, r.run_id)
            .run();
      }
    }
    return new_ids;
  });
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] != 0) batch.series[i].series_id = ids[i];
  }
}

void SqliteBackend::change_tags(const std::string& run_id, const std::vector<std::string>& tags,
                                bool add) {
  TagOps ops;
  for (const auto& tag : tags) ops.emplace_back(tag, add);
  write("changing tags", [&] { apply_tag_ops(writer_, run_id, ops); });
}

void SqliteBackend::delete_runs(const std::vector<std::string>& run_ids) {
  write("deleting runs", [&] {
    for (const auto& id : run_ids) delete_run_rows(writer_, id);
  });
}

bool SqliteBackend::set_status(const std::string& run_id, RunStatus status, std::string_view error,
                               Timestamp finished_at, bool only_if_running) {
  return write("setting a run status", [&] {
    writer_
        .cached(only_if_running
                    ? "UPDATE runs SET status = ?1, error = ?2, finished_at = ?3 "
                      "WHERE id = ?4 AND status = 'running'"
                    : "UPDATE runs SET status = ?1, error = ?2, finished_at = ?3 WHERE id = ?4")
        .bind(1, to_string(status))
        .bind(2, error)
        .bind(3, finished_at)
        .bind(4, run_id)
        .run();
    return sqlite3_changes(writer_.get()) > 0;
  });
}

std::int64_t SqliteBackend::add_validation(const ValidationRecord& record, const TagOps& tag_ops) {
  return write("adding a validation", [&] {
    if (!run_exists(writer_, record.run_id)) {
      throw RunNotFound("no run with id '" + record.run_id + "'");
    }
    std::int64_t id = insert_validation(writer_, record);
    apply_tag_ops(writer_, record.run_id, tag_ops);
    return id;
  });
}

bool SqliteBackend::join_run(const NewRun& run, const NewRank& rank) {
  return write("joining a run", [&] {
    auto& find = writer_.cached(
        "SELECT r.status, e.name FROM runs r JOIN experiments e ON e.id = r.experiment_id "
        "WHERE r.id = ?1");
    find.bind(1, run.id);
    const bool exists = find.step();
    const std::string status = exists ? find.column_text(0) : "";
    const std::string experiment = exists ? find.column_text(1) : "";
    find.reset();
    check_joinable(run, exists, status, experiment);
    if (!exists) insert_new_run(writer_, run);
    upsert_rank(writer_, run.id, joined_rank(rank));
    return !exists;
  });
}

bool SqliteBackend::request_stop(const std::string& run_id, const StopRequest& request) {
  return write("requesting a job stop", [&] {
    if (!run_exists(writer_, run_id)) throw RunNotFound("no run with id '" + run_id + "'");
    return insert_stop_request(writer_, run_id, request);
  });
}

ImportOutcome SqliteBackend::import_run(const RunExport& run, bool replace) {
  return write("importing a run", [&] {
    ImportOutcome outcome = ImportOutcome::kCreated;
    if (run_exists(writer_, run.run.id)) {
      if (!replace) return ImportOutcome::kExists;
      delete_run_rows(writer_, run.run.id);
      outcome = ImportOutcome::kReplaced;
    }
    insert_run_row(writer_, run.run);
    for (const SeriesExport& series : run.series) insert_series(writer_, run.run.id, series);
    for (ValidationRecord record : run.validations) {
      record.run_id = run.run.id;
      insert_validation(writer_, record);
    }
    for (const RankInfo& rank : run.ranks) upsert_rank(writer_, run.run.id, rank);
    if (run.stop) insert_stop_request(writer_, run.run.id, *run.stop);
    return outcome;
  });
}

}  // namespace vigil::tracker::detail

namespace vigil::tracker::detail {

RecodeBatch SqliteBackend::recode_chunks(
    ChunkCursor& cursor, std::size_t limit,
    const std::function<std::optional<std::string>(const ChunkCursor&, std::string_view)>& recode) {
  const ChunkCursor start = cursor;
  RecodeBatch batch = write("migrating chunks", [&] {
    RecodeBatch done;
    cursor = start;  // a retried transaction starts over
    auto& select = writer_.cached(
        "SELECT series_id, seq, data FROM chunks WHERE (series_id, seq) > (?1, ?2) "
        "ORDER BY series_id, seq LIMIT ?3");
    select.bind(1, start.series_id).bind(2, start.seq).bind(3, static_cast<std::int64_t>(limit));
    std::vector<std::pair<ChunkCursor, std::string>> updates;
    while (select.step()) {
      cursor = {select.column_int64(0), select.column_int64(1)};
      ++done.visited;
      if (auto data = recode(cursor, select.column_blob(2)))
        updates.emplace_back(cursor, std::move(*data));
    }
    select.reset();
    auto& update = writer_.cached("UPDATE chunks SET data = ?3 WHERE series_id = ?1 AND seq = ?2");
    for (const auto& [at, data] : updates) {
      update.reset();
      update.bind(1, at.series_id).bind(2, at.seq).bind_blob(3, data.data(), data.size()).run();
    }
    done.rewritten = updates.size();
    return done;
  });
  return batch;
}

}  // namespace vigil::tracker::detail
