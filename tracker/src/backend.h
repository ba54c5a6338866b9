#pragma once

// The storage interface behind Store. SqliteBackend implements it; another backend (e.g.
// PostgreSQL) implements the same calls and is picked by open_backend() from the URI scheme,
// without touching Store, Run or the writer.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vigil/tracker/query.h"
#include "vigil/tracker/store.h"
#include "vigil/tracker/types.h"

namespace vigil::tracker::detail {

/// A run row as created by Store::start_run.
struct NewRun {
  std::string id;
  std::string name;
  std::string experiment;
  Timestamp created_at = 0.0;
  std::string host;
  std::int64_t pid = 0;
  std::string command;
  nlohmann::json params = nlohmann::json::object();
  std::vector<std::string> tags;
};

/// One encoded chunk of points, upserted by (series, seq).
struct ChunkRow {
  std::int64_t seq = 0;
  std::int64_t first_step = 0;  ///< smallest step in the chunk
  std::int64_t last_step = 0;   ///< largest step in the chunk
  std::uint32_t n = 0;
  double min = 0.0;  ///< NaN when every value is NaN
  double max = 0.0;
  std::string data;  ///< see chunk_codec.h
};

/// Everything the writer changes for one series in one batch.
struct SeriesWrite {
  std::int64_t series_id = 0;  ///< 0: create the series; commit() sets the new id on success
  std::string run_id;
  SeriesKey key;
  std::vector<ChunkRow> chunks;
  SeriesSummary summary;  ///< the series' aggregates after this batch
};

/// Everything the writer changes for one run (besides points) in one batch.
struct RunWrite {
  std::string run_id;
  std::optional<std::string> params_json;             ///< full params, replaces the stored ones
  std::optional<std::string> results_json;            ///< full results, replaces the stored ones
  std::vector<std::pair<std::string, bool>> tag_ops;  ///< (tag, true = add / false = remove)
  std::optional<Timestamp> heartbeat_at;
  std::optional<RunStatus> final_status;  ///< ends the run (unless set_status ended it before)
  std::string error;
  Timestamp finished_at = 0.0;
};

/// One transaction's worth of writer work.
struct WriteBatch {
  std::vector<RunWrite> runs;
  std::vector<SeriesWrite> series;
  bool empty() const { return runs.empty() && series.empty(); }
};

/// Metadata of a stored chunk (without its data).
struct ChunkMeta {
  std::int64_t seq = 0;
  std::int64_t first_step = 0;
  std::int64_t last_step = 0;
  std::uint32_t n = 0;
  double min = 0.0;
  double max = 0.0;
};

/// The part of a RunFilter a backend evaluates itself (the rest is applied by Store).
struct RunQuery {
  std::vector<std::string> ids;  ///< full ids; empty = any
  std::optional<std::string> experiment;
  std::optional<Timestamp> created_since;
  std::optional<Timestamp> created_until;
  bool running_only = false;  ///< only runs stored as `running`
  std::size_t limit = 0;      ///< 0 = all
};

/// A store backend. Implementations are safe for concurrent use from multiple threads and
/// serialise writers of several processes themselves (never surfacing "busy" errors).
class Backend {
 public:
  virtual ~Backend() = default;

  /// The file or server the backend talks to (for messages).
  virtual const std::string& location() const = 0;

  virtual void create_run(const NewRun& run) = 0;
  /// Applies the batch in one transaction. On success, sets series_id of created series.
  /// On failure throws and changes nothing (the caller retries with the same batch).
  virtual void commit(WriteBatch& batch) = 0;
  virtual void change_tags(const std::string& run_id, const std::vector<std::string>& tags,
                           bool add) = 0;
  virtual void delete_runs(const std::vector<std::string>& run_ids) = 0;
  /// Stores a terminal status; with only_if_running, only a run still stored `running`
  /// changes. Returns whether a row changed.
  virtual bool set_status(const std::string& run_id, RunStatus status, std::string_view error,
                          Timestamp finished_at, bool only_if_running) = 0;
  virtual std::int64_t add_validation(const ValidationRecord& record) = 0;

  /// Runs with params, results, tags, metric summaries and latest verdict/score; status as
  /// stored (no crash detection); newest first.
  virtual std::vector<RunInfo> load_runs(const RunQuery& query) = 0;
  /// Ids starting with `prefix`, at most `limit` of them, sorted.
  virtual std::vector<std::string> ids_with_prefix(std::string_view prefix, std::size_t limit) = 0;
  virtual std::vector<std::string> experiments() = 0;
  /// The id and summary of one series, if it exists.
  virtual std::optional<std::pair<std::int64_t, SeriesSummary>> find_series(
      const std::string& run_id, const SeriesKey& key) = 0;
  virtual std::vector<SeriesSummary> series(const std::string& run_id) = 0;
  /// Calls `want` for each chunk of the series in seq order; for those it accepts, calls
  /// `consume` with the chunk's data.
  virtual void scan_chunks(
      std::int64_t series_id, const std::function<bool(const ChunkMeta&)>& want,
      const std::function<void(const ChunkMeta&, std::string_view)>& consume) = 0;
  virtual std::vector<ValidationRecord> validations(const std::string& run_id) = 0;
};

/// Parsed form of a store URI.
struct StoreLocation {
  std::string scheme;  ///< "sqlite"
  std::string path;    ///< file path for sqlite
};

/// Splits a resolved URI; throws InvalidArgument for an unsupported scheme.
StoreLocation parse_store_uri(const std::string& uri);

/// Opens the backend for a resolved URI (throws InvalidArgument / StoreError).
std::shared_ptr<Backend> open_backend(const std::string& uri, const StoreOptions& options);

/// The canonical text of a series context: "{}" for null/empty, else compact JSON with
/// sorted keys.
std::string canonical_context(const nlohmann::json& context);

}  // namespace vigil::tracker::detail
