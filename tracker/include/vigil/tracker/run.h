#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "vigil/tracker/job.h"
#include "vigil/tracker/types.h"

namespace vigil::tracker {

namespace detail {
class RunState;
}  // namespace detail

/// What the background writer did for one run; surfaced by the plugin at the end of training.
struct WriterStats {
  std::uint64_t points_logged = 0;       ///< points accepted by log_metric / MetricHandle::log
  std::uint64_t points_committed = 0;    ///< points durably committed to the store
  std::uint64_t backpressure_waits = 0;  ///< times a caller waited because the buffer was full
  std::uint64_t write_errors = 0;        ///< failed commits (retried; points kept in memory)
  /// Connections to a database server re-established by the writer while this run was live
  /// (a dropped connection or a restarted server; the uncommitted batch is sent again and
  /// stored once). Always 0 for an SQLite file.
  std::uint64_t reconnects = 0;
  /// Points not stored because the store was full (StoreFull): logged while the buffer was
  /// full, or still uncommitted when the run ended. At the end, points_logged ==
  /// points_committed + points_dropped.
  std::uint64_t points_dropped = 0;
  std::string last_error;  ///< message of the last failed commit, if any
};

/// A cheap handle to one series of a run, for hot loops: log() appends to an in-memory buffer
/// and never touches the disk. Thread-safe. Valid while the Run (or a moved-to Run) lives.
class MetricHandle {
 public:
  MetricHandle() = default;
  /// Appends one point (wall time = now). Never blocks on I/O; blocks only if the run's
  /// buffer is full (backpressure, counted in WriterStats::backpressure_waits).
  /// Points logged after the run ended are ignored (a warning is logged once).
  void log(double value, std::int64_t step, std::optional<std::int64_t> epoch = std::nullopt);
  const SeriesKey& key() const;

 private:
  friend class Run;
  MetricHandle(std::shared_ptr<detail::RunState> state, std::uint32_t series_index);
  std::shared_ptr<detail::RunState> state_;
  std::uint32_t series_index_ = 0;
};

/// A live run, created by Store::start_run(). Move-only.
///
/// Metric points are buffered in memory and committed by a background writer in batches at
/// least every StoreOptions::flush_interval, on flush() and on finish(). Params, tags and
/// results are written through the same writer.
///
/// Ending a run: call finish(). If the Run is destroyed without finish():
///   - while an exception unwinds: stored `failed` (message: the one given to fail(), else a
///     generic "exception during run"; call fail(e.what()) in a catch block to keep it);
///   - otherwise: stored `finished`.
/// On SIGINT/SIGTERM (StoreOptions::handle_signals) every live run is flushed and stored
/// `killed`, then the signal's default action runs.
///
/// Memory: at most StoreOptions::max_buffered_points points per run wait in memory (plus
/// the batch being committed); when the buffer is full, logging waits for the writer
/// (backpressure) instead of dropping points, unless the store is full (StoreFull): then
/// points that do not fit in the buffer are dropped and counted (WriterStats::points_dropped),
/// so training never blocks on a full disk.
///
/// Thread safety: all methods may be called concurrently from several threads.
///
/// Example:
///   vigil::tracker::Store store;  // VIGIL_STORE or ./.vigil/vigil.db
///   vigil::tracker::RunOptions options;
///   options.name = "baseline";
///   options.experiment = "mnist";
///   auto run = store.start_run(options);
///   run.log_params({{"optimizer", {{"lr", 0.01}}}});
///   auto loss = run.metric("loss");
///   for (int step = 0; step < 100; ++step) loss.log(1.0 / (step + 1), step);
///   run.finish();
class Run {
 public:
  Run(Run&&) noexcept;
  Run& operator=(Run&&) noexcept;
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;
  ~Run() noexcept;

  const std::string& id() const;
  const std::string& name() const;
  const std::string& experiment() const;

  /// Deep-merges `params` (a JSON object) into the run's params. Throws InvalidArgument if
  /// it is not an object.
  void log_params(const nlohmann::json& params);
  /// Sets one param at a dotted path ("optimizer.lr"), creating intermediate objects.
  void log_param(std::string_view dotted_path, nlohmann::json value);

  /// Deep-merges `results` (a JSON object) into the run's final results.
  void log_results(const nlohmann::json& results);

  void add_tag(std::string_view tag);
  void remove_tag(std::string_view tag);

  /// Appends one point to the series (name, context). Same cost class as MetricHandle::log
  /// plus a lookup of the series; prefer metric() in hot loops.
  void log_metric(std::string_view name, double value, std::int64_t step,
                  std::optional<std::int64_t> epoch = std::nullopt,
                  const nlohmann::json& context = nlohmann::json::object());

  /// Returns a handle to the series (name, context), creating it on first use.
  MetricHandle metric(std::string_view name,
                      const nlohmann::json& context = nlohmann::json::object());

  /// Blocks until everything logged so far is committed. Throws StoreFull after one failed
  /// attempt when the store is full, Error if the store keeps failing for a minute (in both
  /// cases the data stays buffered and is retried).
  void flush();

  /// Ends the run: flushes, then stores `status` (terminal) and `error`. Idempotent: later
  /// calls are ignored. Throws InvalidArgument for kRunning/kCrashed.
  /// If the store is full, returns after one more attempt: the points not yet committed are
  /// dropped, and the run is stored `failed` (a given `killed`/`failed` is kept) with an error
  /// saying the disk was full, as soon as that small write fits (at the latest when the Store
  /// closes); what was committed before stays.
  void finish(RunStatus status = RunStatus::kFinished, std::string_view error = {});

  /// Records the message a later unwinding destructor or finish(kFailed) stores.
  void fail(std::string_view message);

  /// kRunning until finish(); then the final status.
  RunStatus status() const;

  WriterStats stats() const;

  /// This process's rank in its job (Store::join_run); nullopt for a run of one process.
  std::optional<int> rank() const;

  /// The job's stop request, once any rank stored one (request_stop, or Store::request_stop
  /// from another process), as last seen by the store's writer thread, which looks every
  /// StoreOptions::stop_poll_interval. No I/O and no lock when there is none: cheap enough
  /// for every training step. Always nullopt for a run of one process.
  std::optional<StopRequest> stop_request() const;

  /// Asks every rank of the job to stop: stores `request` with this rank's number (one
  /// synchronous write; the first request of the job wins) and returns whether it was the
  /// first. This run's stop_request() holds the job's request at once. Throws InvalidArgument
  /// for a run of one process, Error when the store cannot be written.
  bool request_stop(StopRequest request);

 private:
  friend class Store;
  explicit Run(std::shared_ptr<detail::RunState> state);
  std::shared_ptr<detail::RunState> state_;
  int uncaught_at_start_ = 0;
};

}  // namespace vigil::tracker
