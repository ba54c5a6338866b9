// Store: opening, and the entry points that write (runs, tags, statuses, validations,
// deletion). Queries are in store_queries.cc, point queries in store_points.cc, crash
// detection in crash_detection.cc.

#include "vigil/tracker/store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <system_error>

#include "backend.h"
#include "json_numbers.h"
#include "log.h"
#include "process_info.h"
#include "run_state.h"
#include "signals.h"
#include "store_internal.h"
#include "vigil/tracker/errors.h"
#include "vigil/tracker/json_limits.h"
#include "vigil/tracker/tags.h"
#include "writer.h"

namespace vigil::tracker {
namespace {

void validate(const StoreOptions& options) {
  if (options.flush_interval.count() <= 0) {
    throw InvalidArgument("StoreOptions::flush_interval must be > 0, got " +
                          std::to_string(options.flush_interval.count()) + " ms");
  }
  if (options.max_buffered_points == 0) {
    throw InvalidArgument("StoreOptions::max_buffered_points must be > 0");
  }
  if (options.stop_poll_interval.count() <= 0) {
    throw InvalidArgument("StoreOptions::stop_poll_interval must be > 0, got " +
                          std::to_string(options.stop_poll_interval.count()) + " ms");
  }
  if (options.heartbeat_interval.count() <= 0 || options.stale_after.count() <= 0) {
    throw InvalidArgument("StoreOptions::heartbeat_interval and stale_after must be > 0 seconds");
  }
}

// What `vigil audit` shows of a deleted run: enough to tell what was lost.
nlohmann::json deletion_record(const RunInfo& run, std::size_t validations) {
  std::int64_t points = 0;
  for (const auto& series : run.metrics) points += series.count;
  nlohmann::json record = {{"name", run.name},
                           {"experiment", run.experiment},
                           {"status", to_string(run.status)},
                           {"created_at", format_time(run.created_at)},
                           {"series", run.metrics.size()},
                           {"points", points},
                           {"tags", run.tags},
                           {"validations", validations}};
  if (run.verdict) record["verdict"] = *run.verdict;
  if (run.score) record["score"] = *run.score;
  return record;
}

}  // namespace

Store::Store(std::string_view uri, StoreOptions options) : uri_(resolve_uri(uri)) {
  validate(options);
  backend_ = detail::open_backend(uri_, options);
  writer_ = std::make_shared<detail::Writer>(backend_, options);
  if (!options.read_only) {
    detail::RunQuery running;
    running.running_only = true;
    auto runs = backend_->load_runs(running);
    detail::derive_crashes(*backend_, options, runs);
  }
}

Store::~Store() noexcept = default;
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;

const std::string& Store::uri() const { return uri_; }

namespace {
detail::Backend& backend_of(const std::shared_ptr<detail::Backend>& backend) {
  if (!backend) throw Error("use of a moved-from vigil::tracker::Store");
  return *backend;
}
}  // namespace

detail::Backend& detail::store_backend(const Store& store) { return backend_of(store.backend_); }

namespace {

// The row of a new run from `options` (checked); `params` gets the params as the run keeps
// them (doubles), the row their stored encoding.
detail::NewRun new_run_row(const RunOptions& options, nlohmann::json& params) {
  check_json_limits(options.params, "RunOptions::params");  // before dump() recurses over it
  if (!options.params.is_object() && !options.params.is_null()) {
    throw InvalidArgument("RunOptions::params: expected a JSON object, got " +
                          options.params.dump());
  }
  for (const auto& tag : options.tags) check_tag(tag, TagChange::kAdd);
  detail::NewRun row;
  row.name = options.name;
  row.experiment = options.experiment.empty() ? "default" : options.experiment;
  row.created_at = now();
  row.host = detail::host_name();
  row.pid = static_cast<std::int64_t>(getpid());
  row.command = options.command.empty() ? detail::own_command_line() : options.command;
  params = options.params.is_null() ? nlohmann::json::object() : options.params;
  row.params = detail::encode_non_finite(params);
  row.tags = options.tags;
  return row;
}

void check_rank(const RankOptions& rank) {
  if (rank.job_id.empty()) {
    throw InvalidArgument(
        "RankOptions::job_id is empty: expected the id shared by the job's ranks");
  }
  if (rank.world_size < 1 || rank.rank < 0 || rank.rank >= rank.world_size || rank.local_rank < 0) {
    throw InvalidArgument("RankOptions: rank " + std::to_string(rank.rank) + ", local rank " +
                          std::to_string(rank.local_rank) + ", world size " +
                          std::to_string(rank.world_size) +
                          ": expected 0 <= rank < world size and local rank >= 0");
  }
}

}  // namespace

Run Store::start_run(const RunOptions& options) {
  auto& backend = backend_of(backend_);
  const StoreOptions& store_options = writer_->options();
  if (store_options.read_only) throw Error("store " + uri_ + " was opened read-only");
  nlohmann::json params;
  detail::NewRun row = new_run_row(options, params);
  row.id = detail::random_run_id();
  backend.create_run(row);
  detail::record_audit(backend, audit_action::kRunStarted, row.id,
                       {{"name", row.name},
                        {"experiment", row.experiment},
                        {"pid", row.pid},
                        {"command", row.command}});
  auto state = std::make_shared<detail::RunState>(row.id, row.name, row.experiment, params, writer_,
                                                  store_options.max_buffered_points);
  writer_->add_run(state);
  if (store_options.handle_signals) detail::watch_signals(state);
  return Run(std::move(state));
}

Run Store::join_run(const RunOptions& options, const RankOptions& rank) {
  auto& backend = backend_of(backend_);
  const StoreOptions& store_options = writer_->options();
  if (store_options.read_only) throw Error("store " + uri_ + " was opened read-only");
  check_rank(rank);
  nlohmann::json params;
  detail::NewRun row = new_run_row(options, params);
  row.id = job_run_id(row.experiment, rank.job_id);
  detail::NewRank rank_row{rank.rank, rank.world_size, rank.local_rank, row.host,
                           row.pid,   rank.device,     row.created_at};
  if (backend.join_run(row, rank_row)) {  // the job's run starts once, with its first rank
    detail::record_audit(backend, audit_action::kRunStarted, row.id,
                         {{"name", row.name},
                          {"experiment", row.experiment},
                          {"pid", row.pid},
                          {"command", row.command},
                          {"job_id", rank.job_id},
                          {"world_size", rank.world_size},
                          {"first_rank", rank.rank}});
  }
  auto state =
      std::make_shared<detail::RunState>(row.id, row.name, row.experiment, nlohmann::json::object(),
                                         writer_, store_options.max_buffered_points, rank.rank);
  if (rank.rank == 0) {  // whichever rank created the run, rank 0's params and tags are its
    if (!params.empty()) state->merge_params(params);
    for (const auto& tag : options.tags) state->change_tag(tag, true);
  }
  writer_->add_run(state);
  if (store_options.handle_signals) detail::watch_signals(state);
  return Run(std::move(state));
}

bool Store::request_stop(std::string_view run_id, const StopRequest& request) {
  StopRequest stored = request;
  if (stored.requested_at == 0.0) stored.requested_at = now();
  return backend_of(backend_).request_stop(resolve_run_id(run_id), stored);
}

std::vector<RankInfo> Store::ranks(std::string_view run_id) const {
  auto& backend = backend_of(backend_);
  std::vector<RankInfo> ranks = backend.ranks(resolve_run_id(run_id));
  const Timestamp now_time = now();
  for (RankInfo& rank : ranks) detail::derive_rank_crash(rank, writer_->options(), now_time);
  return ranks;
}

std::optional<StopRequest> Store::stop_request(std::string_view run_id) const {
  return backend_of(backend_).stop_request(resolve_run_id(run_id));
}

void Store::add_tags(std::string_view run_id, const std::vector<std::string>& tags) {
  for (const auto& tag : tags) check_tag(tag, TagChange::kAdd);
  change_tags(run_id, tags, true);
}

void Store::remove_tags(std::string_view run_id, const std::vector<std::string>& tags) {
  for (const auto& tag : tags) check_tag(tag, TagChange::kRemove);
  change_tags(run_id, tags, false);
}

void Store::change_tags(std::string_view run_id, const std::vector<std::string>& tags, bool add) {
  auto& backend = backend_of(backend_);
  const std::string id = resolve_run_id(run_id);
  backend.change_tags(id, tags, add);
  for (const auto& tag : tags) {
    detail::record_audit(backend, add ? audit_action::kTagAdded : audit_action::kTagRemoved, id,
                         {{"tag", tag}});
  }
}

namespace {

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {};
  struct stat sb {};
  if (::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0) {
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  }
  std::error_code error_a;
  std::error_code error_b;
  const auto canonical_a = std::filesystem::weakly_canonical(std::filesystem::absolute(a), error_a);
  const auto canonical_b = std::filesystem::weakly_canonical(std::filesystem::absolute(b), error_b);
  return !error_a && !error_b && canonical_a == canonical_b;
}

}  // namespace

bool Store::is_store_file(const std::string& path) const {
  const auto files = backend_of(backend_).local_files();
  return std::any_of(files.begin(), files.end(),
                     [&](const std::string& file) { return same_file(path, file); });
}

void Store::delete_runs(const std::vector<std::string>& run_ids) {
  std::vector<std::string> ids;
  for (const auto& id : run_ids) ids.push_back(resolve_run_id(id));  // all or nothing
  auto& backend = backend_of(backend_);
  // What is deleted, for the audit log (the run's own rows go; its audit rows stay).
  std::vector<nlohmann::json> deleted;
  for (const auto& id : ids) {
    deleted.push_back(deletion_record(get_run(id), backend.validations(id).size()));
  }
  backend.delete_runs(ids);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    detail::record_audit(backend, audit_action::kRunDeleted, ids[i], std::move(deleted[i]));
  }
}

void Store::set_status(std::string_view run_id, RunStatus status, std::string_view error) {
  if (status == RunStatus::kRunning) {
    throw InvalidArgument("set_status: 'running' is not a terminal status");
  }
  auto& backend = backend_of(backend_);
  const std::string id = resolve_run_id(run_id);
  if (backend.set_status(id, status, error, now(), false)) {
    nlohmann::json details = {{"status", to_string(status)}};
    if (!error.empty()) details["error"] = std::string(error);
    detail::record_audit(backend, detail::end_action(status), id, std::move(details));
  }
}

namespace {

// The verdict-tag policy: a validation marks the run validated and leaves exactly its own
// verdict among the verdict tags.
detail::TagOps verdict_tag_ops(std::string_view verdict) {
  detail::TagOps ops;
  ops.emplace_back(std::string(kValidatedTag), true);
  for (std::string_view other : {kPassVerdict, kFailVerdict}) {
    if (other != verdict) ops.emplace_back(std::string(other), false);
  }
  ops.emplace_back(std::string(verdict), true);
  return ops;
}

}  // namespace

std::int64_t Store::add_validation(const ValidationRecord& record) {
  // The store never keeps what it could not read back (see parse_json_bounded).
  check_json_limits(record.violations, "add_validation: violations");
  check_json_limits(record.report, "add_validation: report");
  if (record.verdict != kPassVerdict && record.verdict != kFailVerdict) {
    throw InvalidArgument("add_validation: verdict '" + record.verdict +
                          "': expected PASS or FAIL");
  }
  ValidationRecord stored = record;
  stored.run_id = resolve_run_id(record.run_id);
  if (stored.created_at == 0.0) stored.created_at = now();
  if (stored.violations.is_null()) stored.violations = nlohmann::json::array();
  if (stored.report.is_null()) stored.report = nlohmann::json::object();
  auto& backend = backend_of(backend_);
  const std::int64_t id = backend.add_validation(stored, verdict_tag_ops(stored.verdict));
  detail::record_audit(backend, audit_action::kValidation, stored.run_id,
                       {{"validation_id", id},
                        {"policy", stored.rules_name},
                        {"policy_hash", stored.rules_hash},
                        {"phase", stored.phase},
                        {"verdict", stored.verdict},
                        {"score", stored.score}});
  return id;
}

}  // namespace vigil::tracker
