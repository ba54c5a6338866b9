#include "writer.h"

#include <cmath>

#include "log.h"
#include "store_internal.h"
#include "vigil/tracker/errors.h"

namespace vigil::tracker::detail {
namespace {

// Min/max ignoring NaN: NaN until a value is not.
void fold_extremes(double& min, double& max, double chunk_min, double chunk_max) {
  if (chunk_min < min || std::isnan(min)) min = chunk_min;
  if (chunk_max > max || std::isnan(max)) max = chunk_max;
}

// How often a full store is retried (a flush request retries at once).
constexpr auto kFullRetry = std::chrono::seconds(1);
// How long to wait before retrying a store that failed for another reason.
constexpr auto kErrorRetry = std::chrono::milliseconds(100);

}  // namespace

ChunkRow make_chunk_row(const ChunkBuilder& chunk, std::int64_t seq) {
  ChunkRow row;
  row.seq = seq;
  row.first_step = chunk.min_step();
  row.last_step = chunk.max_step();
  row.n = chunk.size();
  row.min = chunk.min_value();
  row.max = chunk.max_value();
  row.data = chunk.serialize();
  return row;
}

void Writer::SeriesSink::summarize_open() {
  if (open.size() == summarized) return;
  summary.count += open.size() - summarized;
  summarized = open.size();
  fold_extremes(summary.min, summary.max, open.min_value(), open.max_value());
  summary.last = open.last_value();
  summary.last_step = open.last_step();
  summary.last_time = static_cast<double>(open.last_time_ms()) / 1000.0;
}

Writer::Writer(std::shared_ptr<Backend> backend, const StoreOptions& options)
    : backend_(std::move(backend)), options_(options) {}

Writer::~Writer() noexcept {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Writer::add_run(std::shared_ptr<RunState> run) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    has_ranks_ = has_ranks_ || run->rank().has_value();
    incoming_.push_back(std::move(run));
    if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
  }
  cv_.notify_all();
}

void Writer::request_flush() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    flush_requested_ = true;
  }
  cv_.notify_all();
}

void Writer::loop() {
  using Clock = std::chrono::steady_clock;
  const auto flush_interval = options_.flush_interval;
  const auto heartbeat_interval =
      std::chrono::duration_cast<Clock::duration>(options_.heartbeat_interval);
  const auto poll_interval =
      std::chrono::duration_cast<Clock::duration>(options_.stop_poll_interval);
  auto next_heartbeat = Clock::now() + heartbeat_interval;
  auto next_poll = Clock::now() + poll_interval;
  int failures_while_stopping = 0;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    auto deadline = std::min(Clock::now() + flush_interval, next_heartbeat);
    if (has_ranks_) deadline = std::min(deadline, next_poll);
    cv_.wait_until(lock, deadline, [&] { return flush_requested_ || stop_; });
    const bool stopping = stop_;
    const bool poll = has_ranks_ && Clock::now() >= next_poll;
    flush_requested_ = false;
    lock.unlock();
    bool heartbeat = Clock::now() >= next_heartbeat;
    if (heartbeat) next_heartbeat = Clock::now() + heartbeat_interval;
    if (poll) next_poll = Clock::now() + poll_interval;
    bool ok = false;
    try {
      ok = round(heartbeat);
      if (poll) poll_stop_requests();
    } catch (const std::exception& e) {  // a bug, not an I/O error: keep the thread alive
      logger()->error("metric writer: unexpected error: {}", e.what());
    }
    lock.lock();
    if (stopping) {
      bool pending = !incoming_.empty();
      for (const auto& run : runs_) pending = pending || run.has_pending;
      if (!pending || (!ok && ++failures_while_stopping >= 3)) break;
      continue;
    }
    if (!ok) back_off(lock);
  }
  for (const auto& run : runs_) {
    if (run.has_pending) {
      logger()->error("metric writer: run {}: {} points{} could not be committed", run.state->id(),
                      run.pending.points.size(),
                      run.pending.final_status ? " and its final status" : "");
    }
  }
}

void Writer::back_off(std::unique_lock<std::mutex>& lock) {
  if (store_full_) {  // waiting does not make room; a flush() asks for a fresh attempt
    cv_.wait_for(lock, kFullRetry, [&] { return flush_requested_ || stop_; });
  } else {
    cv_.wait_for(lock, kErrorRetry, [&] { return stop_; });
  }
}

void Writer::report_failure(const std::exception& error, bool full) {
  const std::string message = error.what();
  if (full) {
    if (!store_full_) {
      logger()->error(
          "metric writer: {}; metric points are kept in memory (then dropped) and retried, runs "
          "ending meanwhile are stored failed; no further messages until writing succeeds",
          message);
    }
  } else if (message != last_failure_) {
    logger()->warn("metric writer: commit failed (will retry): {}", message);
  }
  store_full_ = full;
  last_failure_ = message;
}

void Writer::report_success() {
  if (last_failure_.empty()) return;
  logger()->info("metric writer: store {}: writing works again", backend_->location());
  store_full_ = false;
  last_failure_.clear();
}

void Writer::note_reconnects() {
  const std::uint64_t total = backend_->reconnects();
  if (total == reconnects_seen_) return;
  for (auto& sink : runs_) sink.state->on_reconnect(total - reconnects_seen_);
  reconnects_seen_ = total;
}

void Writer::poll_stop_requests() {
  for (const RunSink& sink : runs_) {
    const RunState& state = *sink.state;
    if (!state.rank() || state.has_stop_request() || state.status() != RunStatus::kRunning) {
      continue;
    }
    try {
      if (auto request = backend_->stop_request(state.id())) sink.state->on_stop_request(*request);
    } catch (const std::exception& e) {  // the next poll retries; training goes on
      logger()->debug("run {}: could not read the job's stop request: {}", state.id(), e.what());
    }
  }
}

bool Writer::round(bool heartbeat) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& state : incoming_) {
      RunSink sink;
      sink.state = std::move(state);
      runs_.push_back(std::move(sink));
    }
    incoming_.clear();
  }
  if (runs_.empty()) return true;

  WriteBatch batch;
  // Where each SeriesWrite comes from, and copies to restore if the commit fails.
  struct Origin {
    std::size_t run;
    std::uint32_t series;
  };
  std::vector<Origin> origins;
  std::vector<std::pair<Origin, SeriesSink>> backups;
  std::vector<std::size_t> series_before(runs_.size());
  const Timestamp now_time = now();

  for (std::size_t r = 0; r < runs_.size(); ++r) {
    RunSink& sink = runs_[r];
    if (!sink.has_pending) {
      sink.state->drain(sink.pending, sink.spare);
      sink.has_pending = !sink.pending.empty();
    } else if (sink.state->discarding()) {  // ended while the store was full
      sink.state->discard_points(sink.pending);
    }
    series_before[r] = sink.series.size();
    RunDrain& d = sink.pending;
    RunWrite run_write;
    run_write.run_id = sink.state->id();
    run_write.rank = sink.state->rank();
    if (heartbeat && !d.final_status && sink.state->status() == RunStatus::kRunning) {
      run_write.heartbeat_at = now_time;
    }
    if (!sink.has_pending && !run_write.heartbeat_at) continue;

    // Series first seen in this drain (indexes are dense and in order).
    for (std::size_t i = 0; i < d.new_series.size(); ++i) {
      if (d.first_new_series + i < sink.series.size()) continue;  // kept from a failed round
      SeriesSink s;
      s.key = d.new_series[i];
      s.summary.key = s.key;
      s.summary.min = s.summary.max = s.summary.last = std::nan("");
      sink.series.push_back(std::move(s));
    }
    std::vector<int> write_index(sink.series.size(), -1);
    auto touch = [&](std::uint32_t index) -> SeriesWrite& {
      if (write_index[index] < 0) {
        write_index[index] = static_cast<int>(batch.series.size());
        SeriesSink& s = sink.series[index];
        if (s.id != 0 || index < series_before[r]) backups.push_back({{r, index}, s});
        SeriesWrite w;
        w.series_id = s.id;
        w.run_id = sink.state->id();
        w.key = s.key;
        batch.series.push_back(std::move(w));
        origins.push_back({r, index});
      }
      return batch.series[static_cast<std::size_t>(write_index[index])];
    };
    for (std::uint32_t i = 0; i < sink.series.size(); ++i) {
      if (sink.series[i].id == 0) touch(i);  // create rows for series without points too
    }
    for (const PointRecord& p : d.points) {
      const std::uint32_t index = p.series();
      if (index >= sink.series.size()) continue;  // cannot happen: series drained first
      if (write_index[index] < 0) touch(index);   // the first point of the series this round
      SeriesSink& s = sink.series[index];
      s.open.append(p.step, p.epoch, p.value, p.time_ms());
      if (s.open.full()) {
        s.summarize_open();
        batch.series[static_cast<std::size_t>(write_index[index])].chunks.push_back(
            make_chunk_row(s.open, s.open_seq));
        s.open.clear();
        s.summarized = 0;
        ++s.open_seq;
      }
    }
    for (std::size_t i = 0; i < write_index.size(); ++i) {
      if (write_index[i] < 0) continue;
      SeriesSink& s = sink.series[i];
      SeriesWrite& w = batch.series[static_cast<std::size_t>(write_index[i])];
      if (!s.open.empty()) {
        s.summarize_open();
        w.chunks.push_back(make_chunk_row(s.open, s.open_seq));
      }
      w.summary = s.summary;
    }
    run_write.params_json = d.params_json;
    run_write.results_json = d.results_json;
    run_write.tag_ops = d.tag_ops;
    run_write.final_status = d.final_status;
    run_write.error = d.error;
    run_write.finished_at = d.finished_at;
    batch.runs.push_back(std::move(run_write));
  }

  if (!batch.empty()) {
    try {
      backend_->commit(batch);
    } catch (const std::exception& e) {
      const bool full = dynamic_cast<const StoreFull*>(&e) != nullptr;
      // Undo the in-memory chunk state; the drained work stays pending for the next round.
      for (auto& [origin, copy] : backups)
        runs_[origin.run].series[origin.series] = std::move(copy);
      for (std::size_t r = 0; r < runs_.size(); ++r) {
        RunSink& sink = runs_[r];
        if (sink.series.size() > series_before[r]) sink.series.resize(series_before[r]);
        if (sink.has_pending) sink.state->on_commit_failed(e.what(), full);
      }
      report_failure(e, full);
      note_reconnects();
      return false;
    }
    report_success();
    note_reconnects();
    audit_committed(*backend_, batch);
    for (std::size_t i = 0; i < batch.series.size(); ++i) {
      runs_[origins[i].run].series[origins[i].series].id = batch.series[i].series_id;
    }
  }
  for (auto& sink : runs_) {
    if (!sink.has_pending) continue;
    RunDrain& d = sink.pending;
    sink.state->on_committed(d.points.size(), d.meta_version);
    d.points.clear();
    sink.spare.swap(d.points);
    d = RunDrain();
    sink.has_pending = false;
  }
  // Forget runs that ended and whose last change is committed.
  for (std::size_t r = 0; r < runs_.size();) {
    if (runs_[r].state->done()) {
      runs_.erase(runs_.begin() + static_cast<std::ptrdiff_t>(r));
    } else {
      ++r;
    }
  }
  return true;
}

}  // namespace vigil::tracker::detail
