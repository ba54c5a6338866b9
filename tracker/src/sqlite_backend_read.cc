// SqliteBackend: queries. Batched: list_runs issues a fixed number of statements whatever
// the number of runs (no query per run).

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "log.h"
#include "sqlite_backend.h"
#include "sqlite_backend_tx.h"
#include "vigil/tracker/json_limits.h"

namespace vigil::tracker::detail {
namespace {

// Parses a JSON column written by vigil (or another tool) with the same bounds as any outside
// input. A damaged or oversized value becomes an empty object, with a warning, rather than
// failing the whole listing (the rest of the run is still useful; the row is left as it is).
nlohmann::json parse_json_column(const std::string& text, std::string_view column,
                                 std::string_view run_id) {
  try {
    return parse_json_bounded(text, column);
  } catch (const JsonError& e) {
    logger()->warn("run {}: stored {} not shown: {}", run_id, column, e.what());
    return nlohmann::json::object();
  }
}

// Runs mostly share the same few series keys: parse each distinct (name, context) once.
class SeriesKeyCache {
 public:
  struct Entry {
    std::string name;
    std::string context_text;
    SeriesKey key;
    std::string qualified;
  };
  const Entry& get(std::string_view name, std::string_view context_text, std::string_view run_id) {
    for (const Entry& e : entries_) {
      if (e.name == name && e.context_text == context_text) return e;
    }
    Entry e{std::string(name), std::string(context_text), {}, {}};
    e.key.name = e.name;
    e.key.context = parse_json_column(e.context_text, "series context", run_id);
    e.qualified = e.key.qualified_name();
    if (entries_.size() >= kMaxEntries) entries_.pop_back();  // many distinct keys: no cache
    entries_.push_back(std::move(e));
    return entries_.back();
  }

 private:
  static constexpr std::size_t kMaxEntries = 64;
  std::vector<Entry> entries_;
};

bool qualified_less(const SeriesSummary& a, const SeriesSummary& b) {
  return a.key.qualified_name() < b.key.qualified_name();
}

// Reads the summary columns (count, last, min, max, last_step, last_time), in that order,
// starting at column `first` of the current row.
void read_summary_columns(const Statement& stmt, int first, SeriesSummary& s) {
  s.count = stmt.column_int64(first);
  s.last = stmt.column_double(first + 1);
  s.min = stmt.column_double(first + 2);
  s.max = stmt.column_double(first + 3);
  s.last_step = stmt.column_int64(first + 4);
  s.last_time = stmt.column_double(first + 5);
}

// The columns validation_rows reads, in its order.
constexpr std::string_view kValidationColumns =
    "id, run_id, rules_name, rules_hash, phase, verdict, score, violations, report, created_at";

// Every row of `stmt` (selecting kValidationColumns), in row order; resets it.
std::vector<ValidationRecord> validation_rows(Statement& stmt) {
  std::vector<ValidationRecord> out;
  while (stmt.step()) {
    ValidationRecord r;
    r.id = stmt.column_int64(0);
    r.run_id = stmt.column_text(1);
    r.rules_name = stmt.column_text(2);
    r.rules_hash = stmt.column_text(3);
    r.phase = stmt.column_text(4);
    r.verdict = stmt.column_text(5);
    r.score = stmt.column_double(6);
    r.violations = parse_json_column(stmt.column_text(7), "validation violations", r.run_id);
    r.report = parse_json_column(stmt.column_text(8), "validation report", r.run_id);
    r.created_at = stmt.column_double(9);
    out.push_back(std::move(r));
  }
  stmt.reset();
  return out;
}

}  // namespace

std::vector<RunInfo> SqliteBackend::load_runs(const RunQuery& query) {
  return read("listing runs", [&] {
    std::vector<RunInfo> runs;
    // One read transaction: a consistent snapshot across the statements below.
    ReadTransaction snapshot(reader_);

    // Only the conditions that are set: SQLite cannot use an index for "?5 IS NULL OR r.id
    // IN (...)", so a page of ids or the running runs would cost a scan of every run.
    std::string sql =
        "SELECT r.id, r.name, e.name, r.status, r.created_at, r.started_at, r.finished_at, "
        "r.heartbeat_at, r.host, r.pid, r.command, r.error, r.params, r.results, r.verdict, "
        "r.score FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE 1";
    if (query.experiment) sql += " AND e.name = ?1";
    if (query.created_since) sql += " AND r.created_at >= ?2";
    if (query.created_until) sql += " AND r.created_at <= ?3";
    if (query.running_only) sql += " AND r.status = 'running'";
    if (!query.ids.empty()) sql += " AND r.id IN (SELECT value FROM json_each(?5))";
    auto& stmt = reader_.cached(sql + " ORDER BY r.created_at DESC, r.id DESC LIMIT ?6");
    if (query.experiment) stmt.bind(1, *query.experiment);
    if (query.created_since) stmt.bind(2, *query.created_since);
    if (query.created_until) stmt.bind(3, *query.created_until);
    if (!query.ids.empty()) stmt.bind(5, nlohmann::json(query.ids).dump());
    stmt.bind(6, query.limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(query.limit));
    while (stmt.step()) {
      RunInfo run;
      run.id = stmt.column_text(0);
      run.name = stmt.column_text(1);
      run.experiment = stmt.column_text(2);
      std::string status = stmt.column_text(3);
      try {
        run.status = parse_run_status(status);
      } catch (const InvalidArgument&) {
        run.status = RunStatus::kCrashed;  // unknown text written by a foreign tool
      }
      run.created_at = stmt.column_double(4);
      run.started_at = stmt.column_double(5);
      if (!stmt.is_null(6)) run.finished_at = stmt.column_double(6);
      run.heartbeat_at = stmt.column_double(7);
      run.host = stmt.column_text(8);
      run.pid = stmt.column_int64(9);
      run.command = stmt.column_text(10);
      run.error = stmt.column_text(11);
      run.params = parse_json_column(stmt.column_text(12), "params", run.id);
      run.results = parse_json_column(stmt.column_text(13), "results", run.id);
      if (!stmt.is_null(14)) {
        run.verdict = stmt.column_text(14);
        run.score = stmt.column_double(15);  // NULL (a NaN score) reads as NaN
      }
      runs.push_back(std::move(run));
    }
    stmt.reset();
    if (runs.empty()) return runs;

    // The per-run tables are read ordered by run_id and merged with the runs sorted by id:
    // no lookup structure, one pass each.
    std::vector<std::size_t> by_id(runs.size());
    nlohmann::json id_list = nlohmann::json::array();
    for (std::size_t i = 0; i < runs.size(); ++i) {
      by_id[i] = i;
      id_list.push_back(runs[i].id);
    }
    std::sort(by_id.begin(), by_id.end(),
              [&](std::size_t a, std::size_t b) { return runs[a].id < runs[b].id; });
    // Series rows are read in table order (an ordered index scan would cost a table lookup
    // per row): they are matched through a hash of the ids instead.
    std::unordered_map<std::string_view, std::size_t> index(runs.size() * 2);
    for (std::size_t i = 0; i < runs.size(); ++i) index.emplace(runs[i].id, i);
    // Every run listed: scanning whole tables beats probing them id by id.
    const bool all_runs = query.ids.empty() && !query.experiment && !query.created_since &&
                          !query.created_until && !query.running_only && query.limit == 0;
    const std::string ids = all_runs ? std::string() : id_list.dump();
    const std::string restrict_to_ids =
        all_runs ? "" : " WHERE run_id IN (SELECT value FROM json_each(?1))";
    auto bind_ids = [&](Statement& statement) {
      if (!all_runs) statement.bind(1, ids);
    };
    std::size_t cursor = 0;
    auto find_run = [&](const Statement& row) -> RunInfo* {
      std::string_view id = row.column_blob(0);  // text bytes, no copy
      while (cursor < by_id.size() && std::string_view(runs[by_id[cursor]].id) < id) ++cursor;
      if (cursor < by_id.size() && runs[by_id[cursor]].id == id) return &runs[by_id[cursor]];
      return nullptr;
    };

    auto& tags =
        reader_.cached("SELECT run_id, tag FROM tags" + restrict_to_ids + " ORDER BY run_id, tag");
    bind_ids(tags);
    cursor = 0;
    while (tags.step()) {
      if (RunInfo* run = find_run(tags)) run->tags.push_back(tags.column_text(1));
    }
    tags.reset();

    SeriesKeyCache keys;
    std::vector<std::vector<std::pair<std::string, SeriesSummary>>> named(runs.size());
    auto& series = reader_.cached(
        "SELECT run_id, name, context, count, last, min, max, last_step, last_time FROM series" +
        restrict_to_ids);
    bind_ids(series);
    while (series.step()) {
      auto found = index.find(series.column_blob(0));
      if (found == index.end()) continue;
      RunInfo* run = &runs[found->second];
      const SeriesKeyCache::Entry& key =
          keys.get(series.column_blob(1), series.column_blob(2), run->id);
      SeriesSummary s;
      s.key = key.key;
      read_summary_columns(series, 3, s);
      named[static_cast<std::size_t>(run - runs.data())].emplace_back(key.qualified, std::move(s));
    }
    series.reset();
    for (std::size_t i = 0; i < runs.size(); ++i) {
      auto& list = named[i];
      std::sort(list.begin(), list.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      runs[i].metrics.reserve(list.size());
      for (auto& entry : list) runs[i].metrics.push_back(std::move(entry.second));
    }

    return runs;
  });
}

std::vector<std::string> SqliteBackend::ids_with_prefix(std::string_view prefix,
                                                        std::size_t limit) {
  return read("resolving a run id", [&] {
    std::vector<std::string> ids;
    // Range scan on the primary key: ids are lower-case hex, so every id with the prefix
    // sorts in [prefix, prefix + '~').
    auto& stmt =
        reader_.cached("SELECT id FROM runs WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT ?3");
    stmt.bind(1, prefix)
        .bind(2, std::string(prefix) + "~")
        .bind(3, static_cast<std::int64_t>(limit));
    while (stmt.step()) ids.push_back(stmt.column_text(0));
    stmt.reset();
    return ids;
  });
}

std::vector<RunRef> SqliteBackend::find_runs(std::string_view id_prefix, std::string_view name,
                                             std::size_t limit) {
  return read("resolving a run", [&] {
    std::vector<RunRef> runs;
    // The id part is a primary-key range scan (as in ids_with_prefix); an empty prefix is the
    // empty range ['', ''), and an empty name is excluded by ?3 != ''.
    auto& stmt = reader_.cached(
        "SELECT id, name FROM runs WHERE id >= ?1 AND id < ?2 "
        "UNION SELECT id, name FROM runs WHERE ?3 != '' AND name = ?3 "
        "ORDER BY id LIMIT ?4");
    stmt.bind(1, id_prefix)
        .bind(2, id_prefix.empty() ? std::string() : std::string(id_prefix) + "~")
        .bind(3, name)
        .bind(4, static_cast<std::int64_t>(limit));
    while (stmt.step()) runs.push_back({stmt.column_text(0), stmt.column_text(1)});
    stmt.reset();
    return runs;
  });
}

std::vector<std::string> SqliteBackend::experiments() {
  return read("listing experiments", [&] {
    std::vector<std::string> names;
    auto& stmt = reader_.cached("SELECT name FROM experiments ORDER BY name");
    while (stmt.step()) names.push_back(stmt.column_text(0));
    stmt.reset();
    return names;
  });
}

std::optional<std::pair<std::int64_t, SeriesSummary>> SqliteBackend::find_series(
    const std::string& run_id, const SeriesKey& key) {
  return read("reading a series", [&]() -> std::optional<std::pair<std::int64_t, SeriesSummary>> {
    auto& stmt = reader_.cached(
        "SELECT id, count, last, min, max, last_step, last_time FROM series "
        "WHERE run_id = ?1 AND name = ?2 AND context = ?3");
    stmt.bind(1, run_id).bind(2, key.name).bind(3, canonical_context(key.context));
    if (!stmt.step()) return std::nullopt;
    SeriesSummary s;
    s.key = key;
    if (s.key.context.is_null()) s.key.context = nlohmann::json::object();
    std::int64_t id = stmt.column_int64(0);
    read_summary_columns(stmt, 1, s);
    stmt.reset();
    return std::make_pair(id, std::move(s));
  });
}

std::vector<SeriesSummary> SqliteBackend::series(const std::string& run_id) {
  return read("listing series", [&] {
    std::vector<SeriesSummary> out;
    auto& stmt = reader_.cached(
        "SELECT name, context, count, last, min, max, last_step, last_time FROM series "
        "WHERE run_id = ?1");
    stmt.bind(1, run_id);
    while (stmt.step()) {
      SeriesSummary s;
      s.key.name = stmt.column_text(0);
      s.key.context = parse_json_column(stmt.column_text(1), "series context", run_id);
      read_summary_columns(stmt, 2, s);
      out.push_back(std::move(s));
    }
    stmt.reset();
    std::sort(out.begin(), out.end(), qualified_less);
    return out;
  });
}

void SqliteBackend::scan_chunks(
    std::int64_t series_id, const std::function<bool(const ChunkMeta&)>& want,
    const std::function<void(const ChunkMeta&, std::string_view)>& consume) {
  read("reading points", [&] {
    ReadTransaction snapshot(reader_);
    auto& stmt = reader_.cached(
        "SELECT seq, first_step, last_step, n, min, max, data FROM chunks WHERE series_id = ?1 "
        "ORDER BY seq");
    stmt.bind(1, series_id);
    while (stmt.step()) {
      ChunkMeta meta;
      meta.seq = stmt.column_int64(0);
      meta.first_step = stmt.column_int64(1);
      meta.last_step = stmt.column_int64(2);
      meta.n = static_cast<std::uint32_t>(stmt.column_int64(3));
      meta.min = stmt.column_double(4);
      meta.max = stmt.column_double(5);
      // The blob column is only read (overflow pages loaded) for chunks that are wanted.
      if (want(meta)) consume(meta, stmt.column_blob(6));
    }
    stmt.reset();
  });
}

std::vector<ValidationRecord> SqliteBackend::validations(const std::string& run_id) {
  return read("listing validations", [&] {
    auto& stmt = reader_.cached("SELECT " + std::string(kValidationColumns) +
                                " FROM validations WHERE run_id = ?1 ORDER BY id");
    stmt.bind(1, run_id);
    return validation_rows(stmt);
  });
}

std::vector<ValidationRecord> SqliteBackend::latest_validations(
    const std::vector<std::string>& run_ids) {
  if (run_ids.empty()) return {};
  return read("reading latest validations", [&] {
    // validations_by_run(run_id, id) gives each run's largest id without reading its rows.
    auto& stmt =
        reader_.cached("SELECT " + std::string(kValidationColumns) +
                       " FROM validations WHERE id IN (SELECT MAX(id) FROM validations "
                       "WHERE run_id IN (SELECT value FROM json_each(?1)) GROUP BY run_id)");
    stmt.bind(1, nlohmann::json(run_ids).dump());
    return validation_rows(stmt);
  });
}

std::uint64_t SqliteBackend::change_token() {
  return read("reading the change token", [&] {
    // data_version changes when another connection commits; the writes of this process come
    // from writer_, which is another connection than reader_, so they count too.
    auto& stmt = reader_.cached("PRAGMA data_version");
    std::uint64_t version = stmt.step() ? static_cast<std::uint64_t>(stmt.column_int64(0)) : 0;
    stmt.reset();
    return version;
  });
}

StoreInfo SqliteBackend::info() {
  StoreInfo info = read("reading store statistics", [&] {
    StoreInfo counts;
    auto& stmt = reader_.cached(
        "SELECT (SELECT user_version FROM pragma_user_version()), (SELECT count(*) FROM runs), "
        "(SELECT count(*) FROM series), (SELECT coalesce(sum(count), 0) FROM series)");
    if (stmt.step()) {
      counts.schema_version = static_cast<int>(stmt.column_int64(0));
      counts.runs = stmt.column_int64(1);
      counts.series = stmt.column_int64(2);
      counts.points = stmt.column_int64(3);
    }
    stmt.reset();
    return counts;
  });
  info.backend = "sqlite";
  info.location = path_;
  std::uint64_t size = 0;
  for (const std::string& file : {path_, path_ + "-wal"}) {
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(file, ec);
    if (!ec) size += bytes;  // no WAL file (checkpointed and closed) adds nothing
  }
  info.size_bytes = size;
  return info;
}

}  // namespace vigil::tracker::detail

namespace vigil::tracker::detail {

std::vector<RankInfo> read_ranks(Connection& db, const std::string& run_id) {
  auto& stmt = db.cached(
      "SELECT rank, world_size, local_rank, host, pid, device, status, started_at, heartbeat_at, "
      "finished_at, error FROM ranks WHERE run_id = ?1 ORDER BY rank");
  stmt.bind(1, run_id);
  std::vector<RankInfo> ranks;
  while (stmt.step()) {
    RankInfo rank;
    rank.rank = static_cast<int>(stmt.column_int64(0));
    rank.world_size = static_cast<int>(stmt.column_int64(1));
    rank.local_rank = static_cast<int>(stmt.column_int64(2));
    rank.host = stmt.column_text(3);
    rank.pid = stmt.column_int64(4);
    rank.device = stmt.column_text(5);
    rank.status = parse_run_status(stmt.column_text(6));
    rank.started_at = stmt.column_double(7);
    rank.heartbeat_at = stmt.column_double(8);
    if (!stmt.is_null(9)) rank.finished_at = stmt.column_double(9);
    rank.error = stmt.column_text(10);
    ranks.push_back(std::move(rank));
  }
  stmt.reset();
  return ranks;
}

std::optional<StopRequest> read_stop(Connection& db, const std::string& run_id) {
  auto& stmt = db.cached(
      "SELECT rank, step, value, message, requested_at FROM stop_requests WHERE run_id = ?1");
  stmt.bind(1, run_id);
  std::optional<StopRequest> stop;
  if (stmt.step()) {
    stop.emplace();
    stop->rank = static_cast<int>(stmt.column_int64(0));
    stop->step = stmt.column_int64(1);
    stop->value = stmt.column_double(2);  // NULL (a NaN) reads as NaN
    stop->message = stmt.column_text(3);
    stop->requested_at = stmt.column_double(4);
  }
  stmt.reset();
  return stop;
}

std::vector<RankInfo> SqliteBackend::ranks(const std::string& run_id) {
  return read("reading the ranks of a run", [&] { return read_ranks(reader_, run_id); });
}

std::optional<StopRequest> SqliteBackend::stop_request(const std::string& run_id) {
  return read("reading a stop request", [&] { return read_stop(reader_, run_id); });
}

}  // namespace vigil::tracker::detail
