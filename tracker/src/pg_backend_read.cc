// PgBackend: queries. Like the SQLite backend, listing runs costs a fixed number of
// statements whatever the number of runs, all in one snapshot; every result is binary.

#include <algorithm>
#include <unordered_map>

#include "log.h"
#include "pg_backend.h"
#include "pg_schema.h"
#include "vigil/tracker/json_limits.h"

namespace vigil::tracker::detail {
namespace {

// A damaged or oversized JSON value becomes an empty object with a warning (as in SQLite).
nlohmann::json parse_json_column(std::string_view text, std::string_view column,
                                 std::string_view run_id) {
  try {
    return parse_json_bounded(text, column);
  } catch (const JsonError& e) {
    logger()->warn("run {}: stored {} not shown: {}", run_id, column, e.what());
    return nlohmann::json::object();
  }
}

// Reads the summary columns (count, last, min, max, last_step, last_time) from `first` on.
void read_summary(const PgResult& r, int row, int first, SeriesSummary& s) {
  s.count = r.int64(row, first);
  s.last = r.float8(row, first + 1);
  s.min = r.float8(row, first + 2);
  s.max = r.float8(row, first + 3);
  s.last_step = r.int64(row, first + 4);
  s.last_time = r.float8(row, first + 5);
}

RunInfo read_run_row(const PgResult& r, int i) {
  RunInfo run;
  run.id = r.text(i, 0);
  run.name = r.text(i, 1);
  run.experiment = r.text(i, 2);
  try {
    run.status = parse_run_status(r.text(i, 3));
  } catch (const InvalidArgument&) {
    run.status = RunStatus::kCrashed;  // unknown text written by a foreign tool
  }
  run.created_at = r.float8(i, 4);
  run.started_at = r.float8(i, 5);
  if (!r.is_null(i, 6)) run.finished_at = r.float8(i, 6);
  run.heartbeat_at = r.float8(i, 7);
  run.host = r.text(i, 8);
  run.pid = r.int64(i, 9);
  run.command = r.text(i, 10);
  run.error = r.text(i, 11);
  run.params = parse_json_column(r.bytes(i, 12), "params", run.id);
  run.results = parse_json_column(r.bytes(i, 13), "results", run.id);
  if (!r.is_null(i, 14)) {
    run.verdict = r.text(i, 14);
    run.score = r.float8(i, 15);
  }
  return run;
}

// The columns validation_rows reads, in its order.
constexpr std::string_view kValidationColumns =
    "id, run_id, rules_name, rules_hash, phase, verdict, score, violations, report, created_at";

// Every row of `r` (selecting kValidationColumns), in row order.
std::vector<ValidationRecord> validation_rows(const PgResult& r) {
  std::vector<ValidationRecord> out;
  for (int i = 0; i < r.rows(); ++i) {
    ValidationRecord v;
    v.id = r.int64(i, 0);
    v.run_id = r.text(i, 1);
    v.rules_name = r.text(i, 2);
    v.rules_hash = r.text(i, 3);
    v.phase = r.text(i, 4);
    v.verdict = r.text(i, 5);
    v.score = r.float8(i, 6);
    v.violations = parse_json_column(r.bytes(i, 7), "validation violations", v.run_id);
    v.report = parse_json_column(r.bytes(i, 8), "validation report", v.run_id);
    v.created_at = r.float8(i, 9);
    out.push_back(std::move(v));
  }
  return out;
}

// Runs mostly share the same few series keys: parse each distinct (name, context) once.
class SeriesKeys {
 public:
  const std::pair<SeriesKey, std::string>& get(std::string_view name, std::string_view context,
                                               std::string_view run_id) {
    id_.assign(name).append(1, '\0').append(context);  // reused: no allocation per row
    auto found = keys_.find(id_);
    if (found != keys_.end()) return found->second;
    SeriesKey key;
    key.name = std::string(name);
    key.context = parse_json_column(context, "series context", run_id);
    std::string qualified = key.qualified_name();
    return keys_.emplace(id_, std::make_pair(std::move(key), std::move(qualified))).first->second;
  }

 private:
  std::string id_;
  std::unordered_map<std::string, std::pair<SeriesKey, std::string>> keys_;
};

// The listed runs by id. The per-run rows of one run come together (tags in id order, series
// in storage order, written run by run): the previous row's run is checked first.
class RunIndex {
 public:
  explicit RunIndex(const std::vector<RunInfo>& runs) : runs_(runs), index_(runs.size() * 2) {
    for (std::size_t i = 0; i < runs.size(); ++i) index_.emplace(runs[i].id, i);
  }
  /// The position of run `id` in the listing, or npos when it is not listed.
  std::size_t find(std::string_view id) {
    if (last_ != npos && runs_[last_].id == id) return last_;
    auto found = index_.find(id);
    if (found == index_.end()) return npos;
    last_ = found->second;
    return last_;
  }
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

 private:
  const std::vector<RunInfo>& runs_;
  std::unordered_map<std::string_view, std::size_t> index_;
  std::size_t last_ = npos;
};

void attach_series(const PgResult& r, std::vector<RunInfo>& runs, RunIndex& index) {
  SeriesKeys keys;
  std::vector<std::vector<std::pair<const std::string*, SeriesSummary>>> named(runs.size());
  for (int i = 0; i < r.rows(); ++i) {
    const std::size_t run = index.find(r.bytes(i, 0));
    if (run == RunIndex::npos) continue;
    const auto& key = keys.get(r.bytes(i, 1), r.bytes(i, 2), runs[run].id);
    SeriesSummary s;
    s.key = key.first;
    read_summary(r, i, 3, s);
    named[run].emplace_back(&key.second, std::move(s));
  }
  for (std::size_t i = 0; i < runs.size(); ++i) {
    auto& list = named[i];
    std::sort(list.begin(), list.end(),
              [](const auto& a, const auto& b) { return *a.first < *b.first; });
    runs[i].metrics.reserve(list.size());
    for (auto& entry : list) runs[i].metrics.push_back(std::move(entry.second));
  }
}

void attach_tags(const PgResult& tags, std::vector<RunInfo>& runs, RunIndex& index) {
  for (int i = 0; i < tags.rows(); ++i) {
    const std::size_t run = index.find(tags.bytes(i, 0));
    if (run != RunIndex::npos) runs[run].tags.push_back(tags.text(i, 1));
  }
}

// The listing's filter as parameters $1..$6 of kListedRuns.
PgParams listing_filter(const RunQuery& query) {
  PgParams filter;
  if (query.experiment)
    filter.add(*query.experiment);
  else
    filter.add_null(kTextOid);
  if (query.created_since)
    filter.add(*query.created_since);
  else
    filter.add_null(kFloat8Oid);
  if (query.created_until)
    filter.add(*query.created_until);
  else
    filter.add_null(kFloat8Oid);
  filter.add(query.running_only);
  if (query.ids.empty())
    filter.add_null(kTextArrayOid);
  else
    filter.add_array(query.ids);
  if (query.limit == 0)
    filter.add_null(kInt8Oid);
  else
    filter.add(static_cast<std::int64_t>(query.limit));
  return filter;
}

// The listed runs, newest first (select list first, then this).
constexpr const char* kListedRuns =
    " FROM runs r JOIN experiments e ON e.id = r.experiment_id "
    "WHERE ($1::text IS NULL OR e.name = $1) AND ($2::float8 IS NULL OR r.created_at >= $2) "
    "AND ($3::float8 IS NULL OR r.created_at <= $3) AND (NOT $4 OR r.status = 'running') "
    "AND ($5::text[] IS NULL OR r.id = ANY($5)) "
    "ORDER BY r.created_at DESC, r.id DESC LIMIT $6";

// The per-run rows (tags, series) of the listed runs: all rows when every run is listed
// (scanning whole tables beats probing them id by id), else those of the listed runs, chosen
// by the same filter in the same snapshot.
std::string per_run(const char* select_from, bool all_runs, const char* tail = "") {
  std::string sql = select_from;
  if (!all_runs) sql += std::string(" WHERE run_id IN (SELECT r.id") + kListedRuns + ")";
  return sql + tail;
}

}  // namespace

std::vector<RunInfo> PgBackend::load_runs(const RunQuery& query) {
  return read("listing runs", [&](PgConnection& c) {
    const bool all_runs = query.ids.empty() && !query.experiment && !query.created_since &&
                          !query.created_until && !query.running_only && query.limit == 0;
    const PgParams filter = listing_filter(query);
    const PgParams none;
    const PgParams& per_run_filter = all_runs ? none : filter;
    // One round trip, one snapshot: the server reads tags and series while the runs rows
    // are parsed here.
    constexpr const char* kWhat = "listing runs";
    PgPipeline pipeline(c);
    pipeline.send(kWhat, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    pipeline.send(kWhat,
                  std::string("SELECT r.id, r.name, e.name, r.status, r.created_at, "
                              "r.started_at, r.finished_at, r.heartbeat_at, r.host, r.pid, "
                              "r.command, r.error, r.params, r.results, r.verdict, r.score") +
                      kListedRuns,
                  filter);
    pipeline.send(kWhat, per_run("SELECT run_id, tag FROM tags", all_runs, " ORDER BY run_id, tag"),
                  per_run_filter);
    pipeline.send(kWhat,
                  per_run("SELECT run_id, name, context, count, last, min, max, last_step, "
                          "last_time FROM series",
                          all_runs),
                  per_run_filter);
    pipeline.send(kWhat, "COMMIT");
    pipeline.sync(kWhat);
    pipeline.next(kWhat);  // BEGIN
    std::vector<RunInfo> runs;
    {
      PgResult rows = pipeline.next(kWhat);
      runs.reserve(static_cast<std::size_t>(rows.rows()));
      for (int i = 0; i < rows.rows(); ++i) runs.push_back(read_run_row(rows, i));
    }
    RunIndex index(runs);
    attach_tags(pipeline.next(kWhat), runs, index);
    attach_series(pipeline.next(kWhat), runs, index);
    pipeline.next(kWhat);  // COMMIT
    pipeline.finish(kWhat);
    return runs;
  });
}

std::vector<std::string> PgBackend::ids_with_prefix(std::string_view prefix, std::size_t limit) {
  return read("resolving a run id", [&](PgConnection& c) {
    // Range scan on the primary key (collation "C"): ids are lower-case hex, so every id with
    // the prefix sorts in [prefix, prefix + '~').
    PgResult r = c.exec("resolving a run id",
                        "SELECT id FROM runs WHERE id >= $1 AND id < $2 ORDER BY id LIMIT $3",
                        PgParams()
                            .add(prefix)
                            .add(std::string(prefix) + "~")
                            .add(static_cast<std::int64_t>(limit)));
    std::vector<std::string> ids;
    for (int i = 0; i < r.rows(); ++i) ids.push_back(r.text(i, 0));
    return ids;
  });
}

std::vector<RunRef> PgBackend::find_runs(std::string_view id_prefix, std::string_view name,
                                         std::size_t limit) {
  return read("resolving a run", [&](PgConnection& c) {
    PgResult r =
        c.exec("resolving a run",
               "SELECT id, name FROM runs WHERE id >= $1 AND id < $2 "
               "UNION SELECT id, name FROM runs WHERE $3 != '' AND name = $3 ORDER BY id LIMIT $4",
               PgParams()
                   .add(id_prefix)
                   .add(id_prefix.empty() ? std::string() : std::string(id_prefix) + "~")
                   .add(name)
                   .add(static_cast<std::int64_t>(limit)));
    std::vector<RunRef> runs;
    for (int i = 0; i < r.rows(); ++i) runs.push_back({r.text(i, 0), r.text(i, 1)});
    return runs;
  });
}

std::vector<std::string> PgBackend::experiments() {
  return read("listing experiments", [&](PgConnection& c) {
    PgResult r = c.exec("listing experiments", "SELECT name FROM experiments ORDER BY name");
    std::vector<std::string> names;
    for (int i = 0; i < r.rows(); ++i) names.push_back(r.text(i, 0));
    return names;
  });
}

std::optional<std::pair<std::int64_t, SeriesSummary>> PgBackend::find_series(
    const std::string& run_id, const SeriesKey& key) {
  return read("reading a series",
              [&](PgConnection& c) -> std::optional<std::pair<std::int64_t, SeriesSummary>> {
                PgResult r = c.exec(
                    "reading a series",
                    "SELECT id, count, last, min, max, last_step, last_time FROM series "
                    "WHERE run_id = $1 AND name = $2 AND context = $3",
                    PgParams().add(run_id).add(key.name).add(canonical_context(key.context)));
                if (r.rows() == 0) return std::nullopt;
                SeriesSummary s;
                s.key = key;
                if (s.key.context.is_null()) s.key.context = nlohmann::json::object();
                read_summary(r, 0, 1, s);
                return std::make_pair(r.int64(0, 0), std::move(s));
              });
}

std::vector<SeriesSummary> PgBackend::series(const std::string& run_id) {
  return read("listing series", [&](PgConnection& c) {
    PgResult r = c.exec("listing series",
                        "SELECT name, context, count, last, min, max, last_step, last_time "
                        "FROM series WHERE run_id = $1",
                        PgParams().add(run_id));
    std::vector<SeriesSummary> out;
    for (int i = 0; i < r.rows(); ++i) {
      SeriesSummary s;
      s.key.name = r.text(i, 0);
      s.key.context = parse_json_column(r.bytes(i, 1), "series context", run_id);
      read_summary(r, i, 2, s);
      out.push_back(std::move(s));
    }
    std::sort(out.begin(), out.end(), [](const SeriesSummary& a, const SeriesSummary& b) {
      return a.key.qualified_name() < b.key.qualified_name();
    });
    return out;
  });
}

void PgBackend::scan_chunks(
    std::int64_t series_id, const std::function<bool(const ChunkMeta&)>& want,
    const std::function<void(const ChunkMeta&, std::string_view)>& consume) {
  read("reading points", [&](PgConnection& c) {
    // Metadata first (no data moves); then the data of the wanted chunks in one statement.
    // Both in one snapshot, so the two agree.
    PgTransaction snapshot(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    PgResult meta = c.exec("reading points",
                           "SELECT seq, first_step, last_step, n, min, max FROM chunks "
                           "WHERE series_id = $1 ORDER BY seq",
                           PgParams().add(series_id));
    std::vector<ChunkMeta> wanted;
    std::vector<std::int64_t> seqs;
    for (int i = 0; i < meta.rows(); ++i) {
      ChunkMeta m;
      m.seq = meta.int64(i, 0);
      m.first_step = meta.int64(i, 1);
      m.last_step = meta.int64(i, 2);
      m.n = static_cast<std::uint32_t>(meta.int64(i, 3));
      m.min = meta.float8(i, 4);
      m.max = meta.float8(i, 5);
      if (want(m)) {
        wanted.push_back(m);
        seqs.push_back(m.seq);
      }
    }
    if (wanted.empty()) return 0;
    PgResult data = c.exec("reading points",
                           "SELECT data FROM chunks WHERE series_id = $1 AND seq = ANY($2) "
                           "ORDER BY seq",
                           PgParams().add(series_id).add_array(seqs));
    const int rows = std::min<int>(data.rows(), static_cast<int>(wanted.size()));
    for (int i = 0; i < rows; ++i) consume(wanted[static_cast<std::size_t>(i)], data.bytes(i, 0));
    return 0;
  });
}

std::vector<ValidationRecord> PgBackend::validations(const std::string& run_id) {
  return read("listing validations", [&](PgConnection& c) {
    return validation_rows(c.exec("listing validations",
                                  "SELECT " + std::string(kValidationColumns) +
                                      " FROM validations WHERE run_id = $1 ORDER BY id",
                                  PgParams().add(run_id)));
  });
}

std::vector<ValidationRecord> PgBackend::latest_validations(
    const std::vector<std::string>& run_ids) {
  if (run_ids.empty()) return {};
  return read("reading latest validations", [&](PgConnection& c) {
    // DISTINCT ON keeps the first row of each run: its largest id (validations_by_run).
    return validation_rows(
        c.exec("reading latest validations",
               "SELECT DISTINCT ON (run_id) " + std::string(kValidationColumns) +
                   " FROM validations WHERE run_id = ANY($1) ORDER BY run_id, id DESC",
               PgParams().add_array(run_ids)));
  });
}

std::uint64_t PgBackend::change_token() {
  return read("reading the change token", [&](PgConnection& c) {
    // Each write transaction bumps one counter row as it commits: the sum changes exactly
    // when a committed write becomes visible.
    PgResult r = c.exec("reading the change token",
                        "SELECT coalesce(sum(counter), 0)::int8 FROM vigil_changes");
    return static_cast<std::uint64_t>(r.int64(0, 0));
  });
}

StoreInfo PgBackend::info() {
  StoreInfo info = read("reading store statistics", [&](PgConnection& c) {
    StoreInfo counts;
    counts.schema_version = pg_schema_version(c);
    PgResult r =
        c.exec("reading store statistics",
               "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM series), "
               "(SELECT coalesce(sum(count), 0)::int8 FROM series), "
               "(SELECT sum(pg_total_relation_size(t::regclass))::int8 FROM unnest(ARRAY['runs', "
               "'experiments', 'tags', 'series', 'chunks', 'validations', 'vigil_changes', "
               "'vigil_schema']) AS t)");
    counts.runs = r.int64(0, 0);
    counts.series = r.int64(0, 1);
    counts.points = r.int64(0, 2);
    if (!r.is_null(0, 3)) counts.size_bytes = static_cast<std::uint64_t>(r.int64(0, 3));
    return counts;
  });
  info.backend = "postgresql";
  info.location = display_;
  return info;
}

}  // namespace vigil::tracker::detail
