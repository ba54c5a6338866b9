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

#include "vigil/tracker/governance.h"
#include "vigil/tracker/job.h"
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

/// A rank row as created by Store::join_run.
struct NewRank {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string host;
  std::int64_t pid = 0;
  std::string device;
  Timestamp joined_at = 0.0;
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

/// Tag changes applied in order: (tag, true = add / false = remove). Adding a present tag or
/// removing an absent one is not an error.
using TagOps = std::vector<std::pair<std::string, bool>>;

/// Everything the writer changes for one run (besides points) in one batch.
struct RunWrite {
  std::string run_id;
  /// Set for a rank of a job (Store::join_run): the heartbeat and final status are the rank's;
  /// the run's heartbeat follows its freshest rank, its status job_status() of its ranks.
  std::optional<int> rank;
  std::optional<std::string> params_json;   ///< full params, replaces the stored ones
  std::optional<std::string> results_json;  ///< full results, replaces the stored ones
  TagOps tag_ops;
  std::optional<Timestamp> heartbeat_at;
  std::optional<RunStatus> final_status;  ///< ends the run (unless set_status ended it before)
  std::string error;
  Timestamp finished_at = 0.0;
  /// Set by Backend::commit (on success) for a rank's final status that ended the job's run,
  /// i.e. the last rank to end: the run's status and error (end_of_job). For the audit log,
  /// which records a job's end once, not once per rank.
  std::optional<std::pair<RunStatus, std::string>> job_end;
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

/// One series with every stored chunk, for Backend::import_run.
struct SeriesExport {
  SeriesSummary summary;         ///< key and aggregates, stored as they are
  std::vector<ChunkRow> chunks;  ///< every chunk in seq order; data byte for byte
};

/// Everything stored for one run, for Backend::import_run (built by copy_runs from another
/// store's reads).
struct RunExport {
  /// Stored as given: id, name, experiment (created when new), status, created_at,
  /// started_at, finished_at, heartbeat_at, host, pid, command, error, params, results, tags.
  /// metrics, verdict and score are ignored (they follow from series and validations).
  RunInfo run;
  std::vector<SeriesExport> series;
  /// Oldest first; `id` is ignored: the backend numbers them anew, in this order.
  std::vector<ValidationRecord> validations;
  /// A job's ranks, stored as given (statuses included); empty for a run that is not a job's.
  std::vector<RankInfo> ranks;
  /// The job's stop request, stored as given when present.
  std::optional<StopRequest> stop;
};

/// What Backend::import_run did.
enum class ImportOutcome {
  kCreated,   ///< the run was not there; it is now
  kReplaced,  ///< the run was there and was replaced (replace = true)
  kExists,    ///< the run was there and replace = false: nothing changed
};

/// A position in the (series_id, seq) order of all stored chunks; the default is before the
/// first one.
struct ChunkCursor {
  std::int64_t series_id = 0;
  std::int64_t seq = -1;
};

/// What one Backend::recode_chunks call did.
struct RecodeBatch {
  std::size_t visited = 0;    ///< chunks looked at (0: the cursor reached the end)
  std::size_t rewritten = 0;  ///< chunks whose data was replaced
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

/// A whole RunFilter for the database to evaluate (Backend::select_runs / count_runs).
struct RunSelection {
  RunFilter filter;  ///< ids already resolved to full ids (an empty list: any run)
  /// Runs stored `running` that crash detection found gone (persisted or, on a read-only
  /// store, not): the status filter treats them as `crashed`.
  std::vector<std::string> crashed_ids;
};

/// A store backend. Implementations are safe for concurrent use from multiple threads and
/// serialise writers of several processes themselves (never surfacing "busy" errors).
class Backend {
 public:
  virtual ~Backend() = default;

  /// The file or server the backend talks to (for messages).
  virtual const std::string& location() const = 0;

  /// Local files holding the store's data (for a file database: the file and its companion
  /// files, existing or not), so callers can refuse to overwrite them. Default: none (a
  /// server backend).
  virtual std::vector<std::string> local_files() const { return {}; }

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
  /// Stores `record` (its id ignored) and applies `tag_ops` to the run's tags, in one
  /// transaction. Which tags change is Store's policy (see kVerdictTags); the backend only
  /// applies them. Throws RunNotFound, storing nothing, when the run does not exist. Returns
  /// the new record's id (increasing: later records of a run get larger ids).
  virtual std::int64_t add_validation(const ValidationRecord& record, const TagOps& tag_ops) = 0;

  /// Creates `run` unless a run with its id exists (the first rank to arrive creates it; the
  /// others find it: atomic across processes and hosts), then stores `rank` under it,
  /// replacing an earlier row of the same rank, in the same transaction. Throws Error naming
  /// the run when it exists but has ended, or belongs to another experiment. Returns whether
  /// this call created the run.
  virtual bool join_run(const NewRun& run, const NewRank& rank) = 0;
  /// Stores `crashed` with `error` for a rank still stored `running`, and for its run when
  /// that is still `running`. Returns whether the rank row changed.
  virtual bool set_rank_crashed(const std::string& run_id, int rank, std::string_view error,
                                Timestamp at) = 0;
  /// Stores the job-wide stop request of a run unless one exists (the first wins). Returns
  /// whether this one was stored. Throws RunNotFound for an unknown run.
  virtual bool request_stop(const std::string& run_id, const StopRequest& request) = 0;

  /// Writes a whole run in one transaction: the run row (its experiment created if needed),
  /// tags, every series with its summary and chunks, and the validations in order. A run with
  /// the same id already stored is left alone (kExists) or, with `replace`, deleted with all
  /// its data inside the same transaction (kReplaced). Readers see the run whole or not at
  /// all; on any failure (e.g. two series with the same key) it throws and stores nothing.
  [[nodiscard]] virtual ImportOutcome import_run(const RunExport& run, bool replace) = 0;

  /// A cheap value that differs from every earlier value of this Backend object once any
  /// write (by this process or another) has been committed and is visible to this object's
  /// reads; unchanged when nothing was written. A write not yet visible to readers must not
  /// change it yet (a cache keyed on it would keep stale data). SQLite: PRAGMA data_version
  /// of the read connection (it also counts this process's writes: they come from the other
  /// connection). A server backend would read a counter that every write transaction
  /// increments.
  [[nodiscard]] virtual std::uint64_t change_token() = 0;

  /// Connections re-established after a loss since this object was created (a server
  /// backend; 0 for a file). The writer reports them in WriterStats::reconnects.
  [[nodiscard]] virtual std::uint64_t reconnects() const { return 0; }

  /// Backend name, location (no password), schema version, counts of runs, series and
  /// points (sum of the series' counts, no scan of the points), and size on disk if known.
  [[nodiscard]] virtual StoreInfo info() = 0;

  /// Runs with params, results, tags, metric summaries and latest verdict/score; status as
  /// stored (no crash detection); newest first.
  virtual std::vector<RunInfo> load_runs(const RunQuery& query) = 0;
  /// Ids of the runs matching `selection`, in its sort order, its offset and limit applied,
  /// all in the database (the SQL is built by run_select_sql.h; InvalidArgument for a
  /// filter it cannot express).
  virtual std::vector<std::string> select_runs(const RunSelection& selection) = 0;
  /// The number of runs matching `selection` (sort, offset and limit ignored).
  virtual std::size_t count_runs(const RunSelection& selection) = 0;
  /// Ids starting with `prefix`, at most `limit` of them, sorted.
  virtual std::vector<std::string> ids_with_prefix(std::string_view prefix, std::size_t limit) = 0;
  /// Runs whose id starts with `id_prefix` (none when it is empty) or whose name equals `name`
  /// (none when it is empty), sorted by id, at most `limit` of them.
  virtual std::vector<RunRef> find_runs(std::string_view id_prefix, std::string_view name,
                                        std::size_t limit) = 0;
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
  /// The latest validation of each run of `run_ids` (full ids) that has one, in no particular
  /// order; unknown ids and runs without a validation give none. One statement.
  virtual std::vector<ValidationRecord> latest_validations(
      const std::vector<std::string>& run_ids) = 0;
  /// The ranks of a run by rank (empty for a run that is not a job's); status as stored.
  virtual std::vector<RankInfo> ranks(const std::string& run_id) = 0;
  /// The run's stop request, if a rank has stored one. One indexed read.
  virtual std::optional<StopRequest> stop_request(const std::string& run_id) = 0;

  // --- governance: policies, waivers, the audit log -------------------------------------

  /// Stores `policy` unless a policy with its hash is stored already (then nothing changes).
  /// Returns whether it was stored now.
  virtual bool put_policy(const PolicyRecord& policy) = 0;
  /// The policy stored under `hash`, if any.
  virtual std::optional<PolicyRecord> policy(const std::string& hash) = 0;
  /// Appends `events` (their ids ignored; numbered anew, increasing) in one transaction. The
  /// audit log is append-only: no backend call updates or deletes its rows (delete_runs and
  /// import_run with replace keep them).
  virtual void append_audit(const std::vector<AuditEvent>& events) = 0;
  /// Events matching `query`, oldest first (with a limit: the newest `limit`, oldest first).
  virtual std::vector<AuditEvent> audit_events(const AuditQuery& query) = 0;
  /// Stores a waiver (its id ignored) and returns its new id.
  virtual std::int64_t add_waiver(const Waiver& waiver) = 0;
  /// Marks waiver `id` revoked by `by` at `at`; false when there is no such waiver or it was
  /// revoked already (nothing changes then).
  virtual bool revoke_waiver(std::int64_t id, const std::string& by, Timestamp at) = 0;
  /// Waivers matching `query`, by id.
  virtual std::vector<Waiver> waivers(const WaiverQuery& query) = 0;

  /// Visits up to `limit` chunks after `cursor` in (series_id, seq) order and advances the
  /// cursor past them. For each, `recode` gets the chunk's position and data and returns new data
  /// to store in its place (same points, same metadata), or nullopt to keep it. The batch is one
  /// transaction: an interrupted call changes nothing. Used by `vigil store migrate`.
  virtual RecodeBatch recode_chunks(
      ChunkCursor& cursor, std::size_t limit,
      const std::function<std::optional<std::string>(const ChunkCursor&, std::string_view)>&
          recode) = 0;
};

/// Parsed form of a store URI.
struct StoreLocation {
  std::string scheme;  ///< "sqlite" or "postgresql" (also for postgres://)
  std::string path;    ///< file path for sqlite; the whole URI for postgresql
};

/// Splits a resolved URI; throws InvalidArgument for an unsupported scheme or a URI that the
/// backend cannot parse (a PostgreSQL URI is checked by libpq, without connecting).
StoreLocation parse_store_uri(const std::string& uri);

/// `uri` with any password ("postgresql://user:secret@..." or "password=secret") replaced
/// by "***"; other URIs and paths unchanged.
std::string redact_uri(std::string_view uri);

/// Opens the backend for a resolved URI (throws InvalidArgument / StoreError).
std::shared_ptr<Backend> open_backend(const std::string& uri, const StoreOptions& options);

/// How a job's run ends once its ranks have: job_status() of the ranks' statuses, and an
/// error naming the rank: the stop request's message when there is one, else the error of
/// the lowest rank with the run's status ("rank N: ..."). Shared by every backend.
std::pair<RunStatus, std::string> end_of_job(const std::vector<RankInfo>& ranks, int world_size,
                                             const std::optional<StopRequest>& stop);

/// Throws Error unless a rank may join `run`: it does not exist yet, or it is stored
/// `running` (`status`) in the same experiment (`experiment`).
void check_joinable(const NewRun& run, bool exists, std::string_view status,
                    std::string_view experiment);

/// When a job's run ends: `at` (the time of the rank whose commit ends it), or the latest end of
/// its ranks when later (ranks commit in any order; the run must not end before one of them).
Timestamp job_end_time(const std::vector<RankInfo>& ranks, Timestamp at);

/// The row of a rank that has just joined: running, started and last seen at rank.joined_at.
RankInfo joined_rank(const NewRank& rank);

/// The error of a job's run that names the rank it comes from: "rank N: ERROR".
std::string rank_error(int rank, std::string_view error);

/// The canonical text of a series context: "{}" for null/empty, else compact JSON with
/// sorted keys.
std::string canonical_context(const nlohmann::json& context);

}  // namespace vigil::tracker::detail
