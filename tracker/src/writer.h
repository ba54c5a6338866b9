#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "backend.h"
#include "chunk_codec.h"
#include "run_state.h"
#include "vigil/tracker/store.h"

namespace vigil::tracker::detail {

/// The stored row of `chunk` (its points encoded, with their step and value range) as chunk
/// `seq` of its series. Needs a chunk with at least one point.
ChunkRow make_chunk_row(const ChunkBuilder& chunk, std::int64_t seq);

/// The background writer of one Store: a single thread that takes buffered points and
/// pending changes from every live run, packs points into chunks and commits each round in
/// one transaction (at least every flush_interval, sooner when asked). A failed commit
/// keeps the data and is retried; heartbeats of live runs are refreshed every
/// heartbeat_interval. Live ranks of a job look for the job's stop request every
/// stop_poll_interval. The thread starts with the first run.
/// A full store (StoreFull) is logged once, retried every kFullRetry or when a flush asks;
/// runs that end meanwhile drop their unstored points and commit only their final status.
/// Thread-safe.
class Writer {
 public:
  Writer(std::shared_ptr<Backend> backend, const StoreOptions& options);
  /// Commits what is left (a few attempts) and stops the thread.
  ~Writer() noexcept;
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  const StoreOptions& options() const { return options_; }
  Backend& backend() const { return *backend_; }

  /// Starts writing for `run` (starting the thread if needed).
  void add_run(std::shared_ptr<RunState> run);
  /// Asks for a round now rather than at the next flush_interval.
  void request_flush();

 private:
  struct SeriesSink {
    std::int64_t id = 0;  // 0 until the series row exists
    SeriesKey key;
    ChunkBuilder open;  // points of the chunk with seq open_seq
    std::int64_t open_seq = 0;
    SeriesSummary summary;         // covers the first `summarized` points of `open`
    std::uint32_t summarized = 0;  // (kept per chunk, not per point: the writer's hot loop)

    /// Brings `summary` up to date with the points appended to `open` since the last call.
    void summarize_open();
  };
  struct RunSink {
    std::shared_ptr<RunState> state;
    std::vector<SeriesSink> series;
    std::vector<PointRecord> spare;  // storage handed back to the run at the next drain
    RunDrain pending;                // drained, not yet committed
    bool has_pending = false;
  };

  void loop();
  /// One round over every run; returns false when the commit failed.
  bool round(bool heartbeat);
  /// Logs a failed commit: once per streak of identical failures, once while full.
  void report_failure(const std::exception& error, bool full);
  void report_success();
  /// Tells live runs about connections the backend re-established since the last call.
  void note_reconnects();
  /// Reads the stop request of each live rank of a job that has none yet.
  void poll_stop_requests();
  /// After a failed round (mu_ held): waits before the retry.
  void back_off(std::unique_lock<std::mutex>& lock);

  const std::shared_ptr<Backend> backend_;
  const StoreOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool flush_requested_ = false;                     // guarded by mu_
  bool stop_ = false;                                // guarded by mu_
  std::vector<std::shared_ptr<RunState>> incoming_;  // guarded by mu_
  std::thread thread_;                               // guarded by mu_ (started once)
  bool has_ranks_ = false;  // guarded by mu_; a job's rank was added: poll stop requests

  std::vector<RunSink> runs_;  // writer thread only
  bool store_full_ = false;    // writer thread only; the last commit failed for lack of room
  std::string last_failure_;   // writer thread only; message of the last failed commit
  std::uint64_t reconnects_seen_ = 0;  // writer thread only; backend reconnects reported
};

}  // namespace vigil::tracker::detail
