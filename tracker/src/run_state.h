#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "chunk_codec.h"
#include "process_info.h"
#include "vigil/tracker/run.h"
#include "vigil/tracker/types.h"

namespace vigil::tracker::detail {

class Writer;

/// One buffered metric point: a 32-byte POD so logging is a push_back.
struct PointRecord {
  std::int64_t step;
  std::int64_t epoch;  ///< kNoEpoch when absent
  double value;
  std::uint64_t time_and_series;  ///< wall time in ms << kSeriesBits | series index

  static constexpr int kSeriesBits = 20;  ///< at most 2^20 series per run
  static constexpr std::uint32_t kMaxSeries = (1u << kSeriesBits) - 1;
  std::int64_t time_ms() const { return static_cast<std::int64_t>(time_and_series >> kSeriesBits); }
  std::uint32_t series() const { return static_cast<std::uint32_t>(time_and_series & kMaxSeries); }
};
static_assert(sizeof(PointRecord) == 32, "keep the buffered point small");

/// Work taken from a run by the writer in one round.
struct RunDrain {
  std::vector<PointRecord> points;
  std::uint32_t first_new_series = 0;  ///< index of new_series[0]
  std::vector<SeriesKey> new_series;
  std::optional<std::string> params_json;
  std::optional<std::string> results_json;
  std::vector<std::pair<std::string, bool>> tag_ops;
  std::optional<RunStatus> final_status;
  std::string error;
  Timestamp finished_at = 0.0;
  std::uint64_t meta_version = 0;  ///< the run's meta version this drain covers
  bool empty() const {
    return points.empty() && new_series.empty() && !params_json && !results_json &&
           tag_ops.empty() && !final_status;
  }
};

/// The shared state of one live run: the in-memory point buffer filled by logging threads,
/// pending params/results/tags/status changes, and the counters the writer updates.
/// Thread-safe: every member function may be called from any thread.
class RunState {
 public:
  /// `rank`: this process's rank when the run is a job's (Store::join_run).
  RunState(std::string id, std::string name, std::string experiment, nlohmann::json params,
           std::shared_ptr<Writer> writer, std::size_t max_buffered_points,
           std::optional<int> rank = std::nullopt);
  RunState(const RunState&) = delete;
  RunState& operator=(const RunState&) = delete;

  const std::string& id() const { return id_; }
  const std::string& name() const { return name_; }
  const std::string& experiment() const { return experiment_; }
  const std::optional<int>& rank() const { return rank_; }

  /// The job's stop request once seen (see Run::stop_request); one atomic load when none.
  std::optional<StopRequest> stop_request() const;
  /// Records the job's stop request (the first one seen is kept).
  void on_stop_request(const StopRequest& request);
  /// True once a stop request was recorded.
  bool has_stop_request() const noexcept { return has_stop_.load(std::memory_order_acquire); }
  /// The store this run writes to (for synchronous calls such as a stop request).
  std::shared_ptr<Writer> writer() const;

  /// The hot path: appends one point (waits while the buffer is full).
  void log(std::uint32_t series, double value, std::int64_t step, std::int64_t epoch) {
    const std::int64_t time_ms = coarse_now_ms();
    std::unique_lock<std::mutex> lock(mu_);
    if (buffer_.size() >= max_buffered_ || finish_requested_) {
      if (!wait_for_space(lock)) return;
    }
    // Times before 1970 cannot occur with a sane clock; clamp rather than corrupt the index.
    const auto packed_time = static_cast<std::uint64_t>(time_ms > 0 ? time_ms : 0);
    buffer_.push_back(
        PointRecord{step, epoch, value, (packed_time << PointRecord::kSeriesBits) | series});
    ++stats_.points_logged;
    if (buffer_.size() == wake_writer_at_) wake_writer(lock);
  }

  /// Index of the series (name, context), created on first use. Throws InvalidArgument for
  /// an empty name or a context that is neither null nor an object.
  std::uint32_t series_index(std::string_view name, const nlohmann::json& context);
  /// Key of a series index; the reference stays valid while the RunState lives.
  const SeriesKey& series_key(std::uint32_t index) const;

  void merge_params(const nlohmann::json& params);
  void set_param(std::string_view dotted_path, nlohmann::json value);
  void merge_results(const nlohmann::json& results);
  void change_tag(std::string_view tag, bool add);

  /// Waits until everything logged or changed before the call is committed.
  void flush();
  /// Ends the run (idempotent); see Run::finish.
  void finish(RunStatus status, std::string_view error);
  void fail(std::string_view message);
  std::string fail_message() const;
  RunStatus status() const;
  WriterStats stats() const;

  // --- used by the writer thread -------------------------------------------------------
  /// Moves pending work into `out` (which must be empty); the point buffer is swapped with
  /// `spare`'s storage so no allocation happens on the logging side. Wakes waiting loggers.
  void drain(RunDrain& out, std::vector<PointRecord>& spare);
  void on_committed(std::uint64_t points, std::uint64_t meta_version);
  /// `full`: the commit failed for lack of room (StoreFull).
  void on_commit_failed(const std::string& message, bool full);
  /// The writer's connection to the store was re-established `count` times.
  void on_reconnect(std::uint64_t count);
  /// The run ended while its store was full: its uncommitted points are to be dropped.
  bool discarding() const;
  /// For a discarding run: drops the points of `pending` (a drain that failed to commit)
  /// and adds the run's later changes and its final status to it.
  void discard_points(RunDrain& pending);
  /// Finished and everything committed: the writer can forget the run.
  bool done() const;

 private:
  bool wait_for_space(std::unique_lock<std::mutex>& lock);
  void wake_writer(std::unique_lock<std::mutex>& lock);
  /// Moves pending changes other than points into `out` (appending); caller holds mu_.
  void take_changes(RunDrain& out);
  bool all_committed(std::uint64_t target_points, std::uint64_t target_meta) const;
  /// finish() on a full store: drops the unstored points, marks the run failed.
  void end_on_full_store();
  /// Waits (bounded) until the final status is committed or one more attempt failed.
  void wait_for_final_commit();

  const std::string id_;
  const std::string name_;
  const std::string experiment_;
  const std::optional<int> rank_;
  const std::size_t max_buffered_;
  const std::size_t wake_writer_at_;

  mutable std::mutex mu_;
  std::condition_variable space_cv_;   // buffer drained or run finished
  std::condition_variable commit_cv_;  // a commit succeeded or failed
  std::vector<PointRecord> buffer_;    // guarded by mu_
  std::deque<SeriesKey> series_keys_;  // guarded by mu_; append-only (stable references)
  std::unordered_map<std::string, std::uint32_t> series_by_key_;  // guarded by mu_
  std::uint32_t series_drained_ = 0;                              // guarded by mu_
  nlohmann::json params_;                                         // guarded by mu_
  nlohmann::json results_ = nlohmann::json::object();             // guarded by mu_
  bool params_dirty_ = false;                                     // guarded by mu_
  bool results_dirty_ = false;                                    // guarded by mu_
  std::vector<std::pair<std::string, bool>> tag_ops_;             // guarded by mu_
  bool finish_requested_ = false;                                 // guarded by mu_
  bool status_drained_ = false;                                   // guarded by mu_
  RunStatus final_status_ = RunStatus::kRunning;                  // guarded by mu_
  std::string error_;                                             // guarded by mu_
  Timestamp finished_at_ = 0.0;                                   // guarded by mu_
  std::string fail_message_;                                      // guarded by mu_
  std::uint64_t meta_version_ = 0;                                // guarded by mu_
  std::uint64_t meta_committed_ = 0;                              // guarded by mu_
  bool warned_after_finish_ = false;                              // guarded by mu_
  bool store_full_ = false;            // guarded by mu_; the last commit failed for lack of room
  bool discard_unstored_ = false;      // guarded by mu_; ended while the store was full
  WriterStats stats_;                  // guarded by mu_
  std::optional<StopRequest> stop_;    // guarded by mu_
  std::atomic<bool> has_stop_{false};  // set once stop_ holds a request
  std::shared_ptr<Writer> writer_;     // guarded by mu_; released by finish()
};

}  // namespace vigil::tracker::detail
