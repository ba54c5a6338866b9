#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "vigil/tracker/governance.h"
#include "vigil/tracker/job.h"
#include "vigil/tracker/query.h"
#include "vigil/tracker/run.h"
#include "vigil/tracker/types.h"

namespace vigil::tracker {

class Store;

namespace detail {
class Backend;
class Writer;
struct RunSelection;
/// The backend behind `store`, for tracker functions beside Store (copy_runs). Throws Error
/// for a moved-from Store.
Backend& store_backend(const Store& store);
}  // namespace detail

/// Which points of a series Store::points reads.
struct PointsQuery {
  /// 0 = every point in range; else at most this many, downsampled (see Store::points).
  std::size_t max_points = 0;
  /// Smallest step to read (inclusive). Default: no lower bound.
  std::optional<std::int64_t> min_step;
  /// Largest step to read (inclusive). Default: no upper bound.
  std::optional<std::int64_t> max_step;
};

/// Progress of Store::migrate_chunks.
struct MigrationProgress {
  std::uint64_t chunks_visited = 0;    ///< chunks looked at so far
  std::uint64_t chunks_rewritten = 0;  ///< of those, rewritten in the current format
};

/// Settings of a Store. Defaults suit a training process writing a handful of runs.
struct StoreOptions {
  /// Buffered points are committed at least this often. Default 1 s; must be > 0.
  std::chrono::milliseconds flush_interval{1000};
  /// Points buffered in memory per run before log() waits for the writer (backpressure:
  /// never dropped, waits counted in WriterStats). Default 1,048,576 (32 bytes a point:
  /// ~32 MiB, plus at most as much again for the batch being committed); must be > 0.
  std::size_t max_buffered_points = std::size_t{1} << 20;
  /// A running run refreshes its heartbeat this often. Default 5 s.
  std::chrono::seconds heartbeat_interval{5};
  /// Readers report a `running` run whose heartbeat is older than this as `crashed`
  /// (runs of a dead pid on the same host are reported at once). Default 60 s.
  std::chrono::seconds stale_after{60};
  /// A rank of a job (Store::join_run) looks for the job's stop request this often, on the
  /// writer thread (one indexed read; Run::stop_request() then costs no I/O). Default 1 s;
  /// must be > 0.
  std::chrono::milliseconds stop_poll_interval{1000};
  /// Install SIGINT/SIGTERM handlers that flush live runs and store them `killed`, then let
  /// the signal's default action (or the previously installed handler) run. Default true.
  bool handle_signals = true;
  /// Open without creating the file; all writes throw. Default false.
  bool read_only = false;
};

/// What `vigil store info` shows about a store (Store::info()).
struct StoreInfo {
  std::string backend;      ///< "sqlite" (another backend names itself, e.g. "postgresql")
  std::string location;     ///< the file, or the server and database (never a password)
  int schema_version = 0;   ///< version of the stored schema
  std::int64_t runs = 0;    ///< number of runs
  std::int64_t series = 0;  ///< number of metric series, over all runs
  std::int64_t points = 0;  ///< number of metric points, over all series
  /// Space the store takes (SQLite: the database file plus its WAL); nullopt when the
  /// backend cannot tell.
  std::optional<std::uint64_t> size_bytes;
};

/// Options of a new run.
struct RunOptions {
  std::string name;                                  ///< free text; may be empty
  std::string experiment = "default";                ///< created on first use
  nlohmann::json params = nlohmann::json::object();  ///< initial params (object)
  std::vector<std::string> tags;  ///< each must pass check_tag (vigil/tracker/tags.h)
  /// Command line stored with the run; empty = this process's (/proc/self/cmdline).
  std::string command;
};

/// The experiment store: runs, params, tags, metric series and validations.
///
/// The URI is resolved by resolve_uri(): an explicit argument, else $VIGIL_STORE, else
/// ./.vigil/vigil.db (directory and file created on first use). Accepted forms: a plain path,
/// sqlite:///absolute/path.db, or a PostgreSQL connection URI
/// postgresql://[user[:password]@][host][:port]/dbname[?params] (also postgres://), passed to
/// libpq as is (sslmode, PGPASSWORD, ~/.pgpass, PGSERVICE and Unix-socket hosts work as with
/// psql). The tables live in the connection's current schema and are created on first use.
///
/// Several threads and processes may use one store at once; writers of different runs never
/// see "database is locked", and readers never block writers.
///
/// Thread safety: a Store is safe for concurrent use from multiple threads. Runs keep their
/// store's backend alive, so a Run may outlive the Store object that started it.
class Store {
 public:
  /// Opens (creating if needed, unless options.read_only) the store at `uri`.
  /// Throws InvalidArgument for an unsupported scheme (naming the supported ones) and
  /// StoreError when the file is not a vigil store, is corrupt, or has a newer schema.
  explicit Store(std::string_view uri = {}, StoreOptions options = {});
  ~Store() noexcept;
  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  /// explicit (if not empty) > $VIGIL_STORE (if set and not empty) > "./.vigil/vigil.db".
  static std::string resolve_uri(std::string_view explicit_uri);

  /// Checks the form of a resolved URI without opening anything: throws InvalidArgument
  /// (a usage error) for an unsupported scheme or a malformed URI. A program can call it
  /// before starting work that a store opened later would record.
  static void check_uri(const std::string& uri);

  /// `uri` without its password (replaced by "***"): the form for messages, logs and display.
  static std::string redact_uri(std::string_view uri);

  /// The resolved URI this store was opened with (may hold a password: see display_uri()).
  const std::string& uri() const;
  /// uri() without its password.
  std::string display_uri() const { return redact_uri(uri()); }

  // --- writing -------------------------------------------------------------------------

  /// Creates a run (status running, started now) and returns its writer handle.
  Run start_run(const RunOptions& options = {});

  /// Joins this process, rank `rank` of a distributed job, to the job's one run (id
  /// job_run_id(options.experiment, rank.job_id)), creating the run if it is the first rank to
  /// arrive (atomic in the database, across processes and hosts). The rank's host, pid,
  /// device and local rank are stored (ranks()); each rank keeps its own heartbeat and ends
  /// with its own status (Run::finish); the run is `running` until all rank.world_size ranks
  /// have ended, then takes job_status() of theirs. A rank that dies (kill -9) makes the run
  /// `crashed`, its error naming the rank. Params, name, command and tags: those of the rank
  /// that creates the run; rank 0's options.params and tags are merged in whichever rank
  /// creates it, so log params from rank 0 only. Throws InvalidArgument for an empty job id or
  /// a rank outside [0, world_size), Error when the run exists but has ended (a finished
  /// job's id reused) or belongs to another experiment.
  ///
  /// Example (each process of `torchrun --nproc-per-node 2 train`):
  ///   auto rank = vigil::tracker::rank_from_environment();  // RANK, WORLD_SIZE, ...
  ///   auto run = rank ? store.join_run(options, *rank) : store.start_run(options);
  [[nodiscard]] Run join_run(const RunOptions& options, const RankOptions& rank);

  /// Stores a request that every rank of the job of `run_id` stops (the first request wins;
  /// later ones are ignored). The ranks see it through Run::stop_request(). Returns whether
  /// this request was the one stored. Throws RunNotFound for an unknown run.
  bool request_stop(std::string_view run_id, const StopRequest& request);

  /// Adds tags to a run. Throws InvalidArgument for a tag check_tag(tag, kAdd) refuses
  /// (verdict tags, spaces, control characters, longer than kMaxTagLength; vigil/tracker/tags.h)
  /// before changing anything.
  void add_tags(std::string_view run_id, const std::vector<std::string>& tags);
  /// Removes tags from a run (absent ones are ignored). Throws InvalidArgument for an empty or
  /// verdict tag (check_tag(tag, kRemove)).
  void remove_tags(std::string_view run_id, const std::vector<std::string>& tags);
  /// Deletes runs with all their data. Throws RunNotFound for an unknown id.
  void delete_runs(const std::vector<std::string>& run_ids);
  /// Sets the terminal status of a stored run (e.g. `rejected`). Used by guards and tools.
  void set_status(std::string_view run_id, RunStatus status, std::string_view error = {});

  /// Stores a validation and, in the same transaction, replaces the run's verdict tags
  /// (kVerdictTags): adds kValidatedTag and the record's verdict, removes the other verdict.
  /// This policy is the Store's, the same on every backend. Returns the new record's id.
  std::int64_t add_validation(const ValidationRecord& record);

  // --- reading -------------------------------------------------------------------------

  /// Runs matching `filter`, in `filter.sort` order (newest first by default), the page
  /// `filter.offset` / `filter.limit`, with params, results, tags, metric summaries and the
  /// latest verdict/score. The database filters, sorts and pages (indexed: a page costs
  /// about the same whatever the number of runs, unless a param condition or sort reads every
  /// run's params). Runs stored `running` whose process is gone are reported (and, unless
  /// read-only, stored) `crashed` before the status filter applies.
  std::vector<RunInfo> list_runs(const RunFilter& filter = {}) const;

  /// The number of runs matching `filter`, ignoring its sort, offset and limit (the total a
  /// paged listing shows). Same matching rules as list_runs.
  [[nodiscard]] std::size_t count_runs(const RunFilter& filter) const;

  /// Full id of the run whose id is `id_or_prefix` or starts with it.
  /// Throws RunNotFound or AmbiguousRunId (listing the candidates).
  std::string resolve_run_id(std::string_view id_or_prefix) const;

  /// The run a person means by `id_or_name`: a full id, else the one run whose id starts with
  /// it or whose name equals it exactly (surrounding spaces ignored). A backend query; no
  /// run is loaded. Throws InvalidArgument for empty text, RunNotFound when nothing matches,
  /// AmbiguousRunId (with candidates(), id and name of each, at most 10) when several runs do.
  ///
  /// Example (a CLI argument): `RunInfo run = store.get_run(store.resolve_run(arg).id);`
  [[nodiscard]] RunRef resolve_run(std::string_view id_or_name) const;

  /// One run by id or unique prefix (same errors as resolve_run_id).
  RunInfo get_run(std::string_view id_or_prefix) const;

  std::vector<std::string> experiments() const;

  /// Summaries of every series of a run, sorted by qualified name.
  std::vector<SeriesSummary> series(std::string_view run_id) const;

  /// Points of one series in step order. With max_points > 0 and more points stored, the
  /// series is downsampled to at most max_points: the steps are split into max_points/2
  /// buckets and each keeps its min and max point (in step order), preserving the shape.
  /// Throws Error if the series does not exist.
  std::vector<MetricPoint> points(std::string_view run_id, const SeriesKey& series,
                                  std::size_t max_points = 0) const;

  /// Points of one series whose step lies in [query.min_step, query.max_step], at full
  /// resolution up to query.max_points (then downsampled over that step range as above).
  /// Only the chunks that overlap the range are read. Throws InvalidArgument when
  /// min_step > max_step, Error if the series does not exist.
  std::vector<MetricPoint> points(std::string_view run_id, const SeriesKey& series,
                                  const PointsQuery& query) const;

  /// The ranks of a job's run by rank (empty for a plain run), with `crashed` derived for a
  /// rank whose process is gone or whose heartbeat is stale (see RunStatus::kCrashed).
  std::vector<RankInfo> ranks(std::string_view run_id) const;

  /// The stop request of a job's run, if a rank stored one.
  std::optional<StopRequest> stop_request(std::string_view run_id) const;

  /// Validations of a run, oldest first.
  std::vector<ValidationRecord> validations(std::string_view run_id) const;
  std::optional<ValidationRecord> latest_validation(std::string_view run_id) const;
  /// The latest validation of each run of `run_ids` (full ids, as list_runs gives them):
  /// element i is run_ids[i]'s, nullopt when that run has none or does not exist. One query
  /// for all of them (e.g. the validated runs of a listing), not one per run.
  std::vector<std::optional<ValidationRecord>> latest_validations(
      const std::vector<std::string>& run_ids) const;

  /// A cheap token that changes whenever a write to the store has been committed, by this
  /// process or any other: two equal tokens mean nothing was written in between (one query,
  /// no scan; e.g. the dashboard re-lists runs only when it changes). Compare tokens of one
  /// Store object only; the value itself means nothing. Statuses derived from time
  /// (`crashed` after a stale heartbeat) change without a write, hence without a new token.
  std::uint64_t change_token() const;

  /// Backend, location, schema version, counts of runs, series and points, and size on disk.
  StoreInfo info() const;

  /// True when `path` names one of the files holding this store's data (for SQLite: the
  /// database and its -wal, -shm and -journal files), however it is spelled: the same device
  /// and inode where both exist (symlinks and hard links included), else the same canonical
  /// path. Tools that write files (e.g. `vigil export --output`) refuse such a path.
  [[nodiscard]] bool is_store_file(const std::string& path) const;

  // --- governance ----------------------------------------------------------------------
  // Every write of the store (runs started and ended, validations, tags, deletions, waivers,
  // policies) also appends an event to the store's audit log, naming the OS user and host.

  /// Keeps `policy` (text, name, version) under its hash unless that hash is stored already;
  /// a new policy is audited (policy.stored). Throws InvalidArgument for an empty hash or a
  /// text over the rules file limit (1 MiB).
  void put_policy(const PolicyRecord& policy);
  /// The policy stored under `hash` (full hash), if any.
  [[nodiscard]] std::optional<PolicyRecord> policy(std::string_view hash) const;

  /// Grants a waiver for waiver.run_id (id, prefix or name: resolved like resolve_run) or, when
  /// that is empty, for every run of waiver.experiment. created_at defaults to now, owner to
  /// the OS user. Throws InvalidArgument when the rule id or reason is empty, neither or both
  /// targets are given, a text is over kMaxWaiverTextBytes or `until` is not after now;
  /// RunNotFound / AmbiguousRunId for the run. Returns the waiver's id.
  std::int64_t add_waiver(Waiver waiver);
  /// Revokes waiver `id` (by `by`, default the OS user). Throws Error (exit code 3) when there
  /// is no such waiver or it is revoked already.
  void revoke_waiver(std::int64_t id, std::string_view by = {});
  /// Waivers matching `query`, by id.
  [[nodiscard]] std::vector<Waiver> waivers(const WaiverQuery& query = {}) const;

  /// Events of the audit log matching `query`, oldest first.
  [[nodiscard]] std::vector<AuditEvent> audit_events(const AuditQuery& query = {}) const;

  // --- maintenance ---------------------------------------------------------------------

  /// Rewrites every metric chunk stored in an older format in the current one, in batches of
  /// one transaction each, calling `on_batch` (if given) after each batch. Safe to interrupt
  /// at any moment, kill -9 included: a batch is stored whole or not at all, and a later call
  /// finishes the chunks still left (it is idempotent). Each rewritten chunk is checked to
  /// decode to exactly the same points before it is stored. Throws Error naming the chunk
  /// when one cannot be decoded (earlier batches stay migrated, the store stays readable).
  MigrationProgress migrate_chunks(
      const std::function<void(const MigrationProgress&)>& on_batch = {});

 private:
  friend detail::Backend& detail::store_backend(const Store& store);
  void change_tags(std::string_view run_id, const std::vector<std::string>& tags, bool add);
  /// `filter` for the backend: ids resolved (nullopt when none of several exists), and the
  /// runs found crashed when it filters by status.
  std::optional<detail::RunSelection> selection(const RunFilter& filter) const;

  std::string uri_;
  std::shared_ptr<detail::Backend> backend_;
  std::shared_ptr<detail::Writer> writer_;
};

}  // namespace vigil::tracker
