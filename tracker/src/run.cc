#include "vigil/tracker/run.h"

#include <exception>

#include "log.h"
#include "run_state.h"
#include "signals.h"
#include "vigil/tracker/errors.h"
#include "writer.h"

namespace vigil::tracker {
namespace {

detail::RunState& require(const std::shared_ptr<detail::RunState>& state) {
  if (!state) throw Error("use of a moved-from or empty vigil::tracker::Run");
  return *state;
}

const SeriesKey& empty_key() {
  static const SeriesKey key;
  return key;
}

}  // namespace

// --- MetricHandle ------------------------------------------------------------------------

MetricHandle::MetricHandle(std::shared_ptr<detail::RunState> state, std::uint32_t series_index)
    : state_(std::move(state)), series_index_(series_index) {}

void MetricHandle::log(double value, std::int64_t step, std::optional<std::int64_t> epoch) {
  if (!state_) throw Error("MetricHandle::log on a default-constructed handle");
  state_->log(series_index_, value, step, epoch ? *epoch : detail::kNoEpoch);
}

const SeriesKey& MetricHandle::key() const {
  if (!state_) return empty_key();
  return state_->series_key(series_index_);
}

// --- Run ---------------------------------------------------------------------------------

Run::Run(std::shared_ptr<detail::RunState> state)
    : state_(std::move(state)), uncaught_at_start_(std::uncaught_exceptions()) {}

Run::Run(Run&& other) noexcept
    : state_(std::move(other.state_)), uncaught_at_start_(other.uncaught_at_start_) {}

Run& Run::operator=(Run&& other) noexcept {
  if (this != &other) {
    Run previous(std::move(*this));  // ends the run this object held, at scope exit
    state_ = std::move(other.state_);
    uncaught_at_start_ = other.uncaught_at_start_;
  }
  return *this;
}

Run::~Run() noexcept {
  if (!state_) return;
  try {
    if (std::uncaught_exceptions() > uncaught_at_start_) {
      std::string message = state_->fail_message();
      state_->finish(RunStatus::kFailed, message.empty() ? "exception during run" : message);
    } else {
      state_->finish(RunStatus::kFinished, {});
    }
    detail::unwatch_signals(state_.get());
  } catch (const std::exception& e) {
    detail::logger()->error("run {}: error while ending the run: {}", state_->id(), e.what());
  } catch (...) {
    detail::logger()->error("run {}: unknown error while ending the run", state_->id());
  }
  state_.reset();
}

const std::string& Run::id() const { return require(state_).id(); }
const std::string& Run::name() const { return require(state_).name(); }
const std::string& Run::experiment() const { return require(state_).experiment(); }

void Run::log_params(const nlohmann::json& params) { require(state_).merge_params(params); }

void Run::log_param(std::string_view dotted_path, nlohmann::json value) {
  require(state_).set_param(dotted_path, std::move(value));
}

void Run::log_results(const nlohmann::json& results) { require(state_).merge_results(results); }

void Run::add_tag(std::string_view tag) { require(state_).change_tag(tag, true); }
void Run::remove_tag(std::string_view tag) { require(state_).change_tag(tag, false); }

void Run::log_metric(std::string_view name, double value, std::int64_t step,
                     std::optional<std::int64_t> epoch, const nlohmann::json& context) {
  auto& state = require(state_);
  state.log(state.series_index(name, context), value, step, epoch ? *epoch : detail::kNoEpoch);
}

MetricHandle Run::metric(std::string_view name, const nlohmann::json& context) {
  auto& state = require(state_);
  return MetricHandle(state_, state.series_index(name, context));
}

void Run::flush() { require(state_).flush(); }

void Run::finish(RunStatus status, std::string_view error) {
  auto& state = require(state_);
  if (!is_terminal(status) || status == RunStatus::kCrashed) {
    throw InvalidArgument("Run::finish: status '" + std::string(to_string(status)) +
                          "' cannot end a run: expected finished, failed, killed, rejected or "
                          "aborted");
  }
  std::string message(error);
  if (message.empty() && status == RunStatus::kFailed) message = state.fail_message();
  state.finish(status, message);
  detail::unwatch_signals(state_.get());
}

void Run::fail(std::string_view message) { require(state_).fail(message); }

RunStatus Run::status() const { return require(state_).status(); }

WriterStats Run::stats() const { return require(state_).stats(); }

std::optional<int> Run::rank() const { return require(state_).rank(); }

std::optional<StopRequest> Run::stop_request() const { return require(state_).stop_request(); }

bool Run::request_stop(StopRequest request) {
  auto& state = require(state_);
  if (!state.rank()) {
    throw InvalidArgument("Run::request_stop: run " + state.id() +
                          " is not a distributed job's (start it with Store::join_run)");
  }
  std::shared_ptr<detail::Writer> writer = state.writer();
  if (!writer) throw Error("run " + state.id() + ": cannot request a stop, the run has ended");
  request.rank = *state.rank();
  if (request.requested_at == 0.0) request.requested_at = now();
  const bool first = writer->backend().request_stop(state.id(), request);
  // The job's request: this one, or the earlier one that won.
  auto stored =
      first ? std::optional<StopRequest>(request) : writer->backend().stop_request(state.id());
  state.on_stop_request(stored ? *stored : request);
  return first;
}

}  // namespace vigil::tracker
