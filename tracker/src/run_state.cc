#include "run_state.h"

#include <algorithm>
#include <chrono>

#include "backend.h"
#include "json_numbers.h"
#include "log.h"
#include "vigil/tracker/errors.h"
#include "vigil/tracker/json_limits.h"
#include "writer.h"

namespace vigil::tracker::detail {
namespace {

void deep_merge(nlohmann::json& target, const nlohmann::json& source) {
  for (auto it = source.begin(); it != source.end(); ++it) {
    auto existing = target.find(it.key());
    if (existing != target.end() && existing->is_object() && it->is_object()) {
      deep_merge(*existing, *it);
    } else {
      target[it.key()] = *it;
    }
  }
}

// Limits first: dump() and deep_merge recurse, so a value nested 100,000 levels deep must be
// refused before either touches it.
void check_object(const nlohmann::json& value, const char* what) {
  check_json_limits(value, what);
  if (!value.is_object()) {
    throw InvalidArgument(std::string(what) + ": expected a JSON object, got " + value.dump());
  }
}

bool is_flat(const nlohmann::json& object) {
  return std::none_of(object.begin(), object.end(),
                      [](const nlohmann::json& value) { return value.is_structured(); });
}

// How long flush() waits while every commit attempt fails before giving up.
constexpr auto kFlushGiveUp = std::chrono::seconds(60);
// How long finish() waits for the final status of a run whose store is full.
constexpr auto kFinalCommitWait = std::chrono::seconds(5);

// The writer is woken when this many points are buffered (or half of max_buffered_points, if
// less). Small batches keep the two point buffers that the logging thread and the writer swap
// small enough to stay in cache and to be allocated (and page-faulted) once, and shorten the
// wait of a flush() for the last batch; a round costs a transaction, a few per million points.
constexpr std::size_t kWakeWriterPoints = std::size_t{1} << 17;

std::size_t wake_writer_at(std::size_t max_buffered_points) {
  return std::clamp<std::size_t>(max_buffered_points / 2, 1, kWakeWriterPoints);
}

}  // namespace

RunState::RunState(std::string id, std::string name, std::string experiment, nlohmann::json params,
                   std::shared_ptr<Writer> writer, std::size_t max_buffered_points,
                   std::optional<int> rank)
    : id_(std::move(id)),
      name_(std::move(name)),
      experiment_(std::move(experiment)),
      rank_(rank),
      max_buffered_(max_buffered_points),
      wake_writer_at_(wake_writer_at(max_buffered_points)),
      params_(std::move(params)),
      writer_(std::move(writer)) {
  buffer_.reserve(std::min<std::size_t>(max_buffered_, 4096));
}

bool RunState::wait_for_space(std::unique_lock<std::mutex>& lock) {
  if (finish_requested_) {
    if (!warned_after_finish_) {
      warned_after_finish_ = true;
      logger()->warn("run {}: metric points logged after the run ended are ignored", id_);
    }
    return false;
  }
  auto has_space = [&] { return buffer_.size() < max_buffered_; };
  if (!store_full_) {
    ++stats_.backpressure_waits;
    wake_writer(lock);
    space_cv_.wait(lock, [&] { return has_space() || finish_requested_ || store_full_; });
    if (finish_requested_) return false;
  }
  if (has_space()) return true;
  // The store is full: waiting could block training for as long as the disk stays full.
  ++stats_.points_logged;
  ++stats_.points_dropped;
  return false;
}

void RunState::wake_writer(std::unique_lock<std::mutex>& lock) {
  std::shared_ptr<Writer> writer = writer_;
  lock.unlock();
  if (writer) writer->request_flush();
  writer.reset();
  lock.lock();
}

std::uint32_t RunState::series_index(std::string_view name, const nlohmann::json& context) {
  if (name.empty()) throw InvalidArgument("empty metric name: expected a non-empty name");
  if (!context.is_null() && !context.is_object()) {
    check_json_limits(context, "metric '" + std::string(name) + "': context");
    throw InvalidArgument("metric '" + std::string(name) + "': context " + context.dump() +
                          " is not a JSON object");
  }
  if (context.is_object() && !is_flat(context)) {  // the usual {subset: val} costs nothing here
    check_json_limits(context, "metric '" + std::string(name) + "': context");
  }
  std::string key = std::string(name);
  key += '\0';
  key += canonical_context(context);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = series_by_key_.find(key);
  if (it != series_by_key_.end()) return it->second;
  if (series_keys_.size() >= PointRecord::kMaxSeries) {
    throw InvalidArgument("metric '" + std::string(name) + "': a run holds at most " +
                          std::to_string(PointRecord::kMaxSeries) + " series");
  }
  auto index = static_cast<std::uint32_t>(series_keys_.size());
  SeriesKey series_key;
  series_key.name = std::string(name);
  series_key.context = context.is_null() ? nlohmann::json::object() : context;
  series_keys_.push_back(std::move(series_key));
  series_by_key_.emplace(std::move(key), index);
  return index;
}

const SeriesKey& RunState::series_key(std::uint32_t index) const {
  std::lock_guard<std::mutex> lock(mu_);
  return series_keys_.at(index);
}

void RunState::merge_params(const nlohmann::json& params) {
  check_object(params, "log_params");
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json merged = params_;
  deep_merge(merged, params);
  check_json_limits(merged, "log_params: the run's params after merging");
  params_ = std::move(merged);  // only a document within the limits is ever kept
  params_dirty_ = true;
  ++meta_version_;
}

void RunState::set_param(std::string_view dotted_path, nlohmann::json value) {
  if (dotted_path.empty() || dotted_path.front() == '.' || dotted_path.back() == '.' ||
      dotted_path.find("..") != std::string_view::npos) {
    throw InvalidArgument("log_param: invalid path '" + std::string(dotted_path) +
                          "': expected dot-separated names like optimizer.lr");
  }
  const std::string what = "log_param '" + std::string(dotted_path) + "'";
  // Each path segment adds one level of nesting above the value.
  const auto segments =
      static_cast<int>(std::count(dotted_path.begin(), dotted_path.end(), '.') + 1);
  if (segments > kMaxJsonDepth) {
    throw InvalidArgument(what + ": " + std::to_string(segments) +
                          " path segments, more than the nesting limit of " +
                          std::to_string(kMaxJsonDepth));
  }
  check_json_limits(value, what, JsonLimits{kMaxJsonDepth - segments, kMaxJsonBytes});
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json updated = params_;
  nlohmann::json* node = &updated;
  while (true) {
    auto dot = dotted_path.find('.');
    std::string part(dotted_path.substr(0, dot));
    if (!node->is_object()) *node = nlohmann::json::object();
    if (dot == std::string_view::npos) {
      (*node)[part] = std::move(value);
      break;
    }
    node = &(*node)[part];
    dotted_path.remove_prefix(dot + 1);
  }
  check_json_limits(updated, what + ": the run's params after setting it");
  params_ = std::move(updated);
  params_dirty_ = true;
  ++meta_version_;
}

void RunState::merge_results(const nlohmann::json& results) {
  check_object(results, "log_results");
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json merged = results_;
  deep_merge(merged, results);
  check_json_limits(merged, "log_results: the run's results after merging");
  results_ = std::move(merged);
  results_dirty_ = true;
  ++meta_version_;
}

void RunState::change_tag(std::string_view tag, bool add) {
  if (tag.empty()) throw InvalidArgument("empty tag: expected a non-empty string");
  std::lock_guard<std::mutex> lock(mu_);
  tag_ops_.emplace_back(std::string(tag), add);
  ++meta_version_;
}

bool RunState::all_committed(std::uint64_t target_points, std::uint64_t target_meta) const {
  return stats_.points_committed + stats_.points_dropped >= target_points &&
         meta_committed_ >= target_meta;
}

void RunState::flush() {
  std::unique_lock<std::mutex> lock(mu_);
  const std::uint64_t target_points = stats_.points_logged;
  const std::uint64_t target_meta = meta_version_;
  auto committed = [&] { return all_committed(target_points, target_meta); };
  auto failing_since = std::chrono::steady_clock::time_point::max();
  std::uint64_t errors_seen = stats_.write_errors;
  while (!committed()) {
    if (!writer_) throw Error("run " + id_ + ": cannot flush, the run's writer is gone");
    wake_writer(lock);
    if (commit_cv_.wait_for(lock, std::chrono::milliseconds(200), committed)) break;
    if (stats_.write_errors != errors_seen) {
      errors_seen = stats_.write_errors;
      if (store_full_) {  // waiting will not make room: say so at once
        throw StoreFull("run " + id_ + ": not flushed, data kept in memory: " + stats_.last_error);
      }
      auto now = std::chrono::steady_clock::now();
      if (failing_since == std::chrono::steady_clock::time_point::max()) failing_since = now;
      if (now - failing_since > kFlushGiveUp) {
        throw Error("run " + id_ + ": flush failed, data kept in memory: " + stats_.last_error);
      }
    } else {
      failing_since = std::chrono::steady_clock::time_point::max();
    }
  }
}

void RunState::finish(RunStatus status, std::string_view error) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finish_requested_) return;
    finish_requested_ = true;
    final_status_ = status;
    error_ = std::string(error);
    if (error_.empty() && status == RunStatus::kFailed) error_ = fail_message_;
    finished_at_ = now();
    ++meta_version_;
  }
  space_cv_.notify_all();  // loggers waiting for space give up: the run has ended
  std::shared_ptr<Writer> writer;
  try {
    flush();
  } catch (const StoreFull&) {  // the writer has said so once; no second message
    end_on_full_store();
    wait_for_final_commit();
  } catch (const std::exception& e) {
    logger()->error("run {}: could not store its final status: {}", id_, e.what());
  }
  std::lock_guard<std::mutex> lock(mu_);
  writer = std::move(writer_);  // released after the lock: may stop the writer thread
}

void RunState::end_on_full_store() {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.points_dropped += buffer_.size();
  buffer_.clear();
  const std::uint64_t unstored = stats_.points_logged - stats_.points_committed;
  discard_unstored_ = true;
  if (final_status_ == RunStatus::kFinished) final_status_ = RunStatus::kFailed;
  if (!error_.empty()) error_ += "; ";
  error_ += "the store's disk was full: " + std::to_string(unstored) +
            " metric points could not be stored";
  status_drained_ = false;  // the writer takes the amended status
  ++meta_version_;
}

void RunState::wait_for_final_commit() {
  std::unique_lock<std::mutex> lock(mu_);
  const std::uint64_t errors_seen = stats_.write_errors;
  const std::uint64_t target_meta = meta_version_;
  wake_writer(lock);
  commit_cv_.wait_for(lock, kFinalCommitWait, [&] {
    return meta_committed_ >= target_meta || stats_.write_errors != errors_seen;
  });
}

void RunState::fail(std::string_view message) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_message_ = std::string(message);
}

std::string RunState::fail_message() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fail_message_;
}

RunStatus RunState::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return finish_requested_ ? final_status_ : RunStatus::kRunning;
}

WriterStats RunState::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void RunState::drain(RunDrain& out, std::vector<PointRecord>& spare) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    spare.clear();
    // The logging side gets storage as large as what it filled (after the first drain the
    // spare is the previous batch's), so push_back does not grow it again from zero.
    spare.reserve(buffer_.capacity());
    buffer_.swap(spare);
    out.points.swap(spare);  // out.points now holds the logged points; spare is empty
    take_changes(out);
  }
  space_cv_.notify_all();
}

void RunState::take_changes(RunDrain& out) {
  if (series_drained_ < series_keys_.size()) {
    if (out.new_series.empty()) out.first_new_series = series_drained_;
    for (auto i = series_drained_; i < series_keys_.size(); ++i) {
      out.new_series.push_back(series_keys_[i]);
    }
    series_drained_ = static_cast<std::uint32_t>(series_keys_.size());
  }
  if (params_dirty_) out.params_json = dump_stored_json(params_);
  if (results_dirty_) out.results_json = dump_stored_json(results_);
  params_dirty_ = results_dirty_ = false;
  for (auto& op : tag_ops_) out.tag_ops.push_back(std::move(op));
  tag_ops_.clear();
  if (finish_requested_ && !status_drained_) {
    status_drained_ = true;
    out.final_status = final_status_;
    out.error = error_;
    out.finished_at = finished_at_;
  }
  out.meta_version = meta_version_;
}

bool RunState::discarding() const {
  std::lock_guard<std::mutex> lock(mu_);
  return discard_unstored_;
}

void RunState::discard_points(RunDrain& pending) {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.points_dropped += pending.points.size() + buffer_.size();
  pending.points.clear();
  buffer_.clear();
  take_changes(pending);
}

void RunState::on_committed(std::uint64_t points, std::uint64_t meta_version) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    store_full_ = false;
    stats_.points_committed += points;
    if (meta_version > meta_committed_) meta_committed_ = meta_version;
  }
  commit_cv_.notify_all();
}

void RunState::on_commit_failed(const std::string& message, bool full) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.write_errors;
    stats_.last_error = message;
    store_full_ = full;
  }
  commit_cv_.notify_all();
  space_cv_.notify_all();  // loggers waiting for space stop waiting on a full store
}

void RunState::on_reconnect(std::uint64_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.reconnects += count;
}

std::optional<StopRequest> RunState::stop_request() const {
  if (!has_stop_request()) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  return stop_;
}

void RunState::on_stop_request(const StopRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stop_) return;
  stop_ = request;
  has_stop_.store(true, std::memory_order_release);
}

std::shared_ptr<Writer> RunState::writer() const {
  std::lock_guard<std::mutex> lock(mu_);
  return writer_;
}

bool RunState::done() const {
  std::lock_guard<std::mutex> lock(mu_);
  return finish_requested_ && status_drained_ && all_committed(stats_.points_logged, meta_version_);
}

}  // namespace vigil::tracker::detail
