#include "vigil/tracker/job.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iterator>

#include "backend.h"
#include "vigil/tracker/errors.h"

namespace vigil::tracker {
namespace {

const char* env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && value[0] != '\0' ? value : nullptr;
}

int env_int(const char* name, int fallback) {
  const char* text = env(name);
  if (text == nullptr) return fallback;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*end != '\0' || end == text || value < 0 || value > 1000000) {
    throw InvalidArgument(std::string("environment variable ") + name + "='" + text +
                          "': expected a non-negative integer");
  }
  return static_cast<int>(value);
}

// 64-bit FNV-1a over the bytes of `parts`, each followed by a 0 byte, from `seed`.
std::uint64_t fnv1a(std::uint64_t seed, std::string_view a, std::string_view b) {
  std::uint64_t hash = seed;
  for (std::string_view part : {a, b}) {
    for (unsigned char c : part) hash = (hash ^ c) * 1099511628211ull;
    hash *= 1099511628211ull;  // the separator byte (0)
  }
  return hash;
}

}  // namespace

void to_json(nlohmann::json& j, const RankInfo& rank) {
  j = nlohmann::json{
      {"rank", rank.rank},
      {"world_size", rank.world_size},
      {"local_rank", rank.local_rank},
      {"host", rank.host},
      {"pid", rank.pid},
      {"device", rank.device},
      {"status", std::string(to_string(rank.status))},
      {"started_at", format_time(rank.started_at)},
      {"heartbeat_at", format_time(rank.heartbeat_at)},
      {"finished_at",
       rank.finished_at ? nlohmann::json(format_time(*rank.finished_at)) : nlohmann::json(nullptr)},
      {"error", rank.error}};
}

std::optional<RankOptions> rank_from_environment() {
  const bool torch = env("RANK") != nullptr;
  const bool slurm = !torch && env("SLURM_PROCID") != nullptr;
  if (!torch && !slurm) return std::nullopt;
  const char* size_name = torch ? "WORLD_SIZE" : "SLURM_NTASKS";
  RankOptions options;
  options.rank = env_int(torch ? "RANK" : "SLURM_PROCID", 0);
  options.world_size = env_int(size_name, 1);
  options.local_rank = env_int(torch ? "LOCAL_RANK" : "SLURM_LOCALID", 0);
  if (options.world_size <= 1) return std::nullopt;
  if (options.rank >= options.world_size) {
    throw InvalidArgument("rank " + std::to_string(options.rank) + " is outside the job's " +
                          size_name + "=" + std::to_string(options.world_size));
  }
  for (const char* name : {"VIGIL_RUN_ID", "TORCHELASTIC_RUN_ID", "SLURM_JOB_ID"}) {
    if (const char* value = env(name)) {
      options.job_id = value;
      break;
    }
  }
  if (options.job_id.empty()) {
    throw InvalidArgument(
        "a distributed job (" + std::string(size_name) + "=" + std::to_string(options.world_size) +
        ") needs a job id shared by its ranks: set VIGIL_RUN_ID (or launch with torchrun, which "
        "sets TORCHELASTIC_RUN_ID, or Slurm, which sets SLURM_JOB_ID)");
  }
  return options;
}

std::string job_run_id(std::string_view experiment, std::string_view job_id) {
  if (job_id.empty()) throw InvalidArgument("empty job id: expected the id shared by the ranks");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (std::uint64_t seed : {14695981039346656037ull, 0x9e3779b97f4a7c15ull}) {
    std::uint64_t hash = fnv1a(seed, experiment, job_id);
    for (int shift = 60; shift >= 0; shift -= 4) id += kHex[(hash >> shift) & 0xf];
  }
  return id;
}

RunStatus job_status(const std::vector<RunStatus>& rank_statuses, int world_size) {
  static constexpr RunStatus kBySeverity[] = {RunStatus::kAborted, RunStatus::kRejected,
                                              RunStatus::kCrashed, RunStatus::kFailed,
                                              RunStatus::kKilled,  RunStatus::kFinished};
  const auto ended = std::count_if(rank_statuses.begin(), rank_statuses.end(), is_terminal);
  if (ended < world_size) return RunStatus::kRunning;
  for (RunStatus status : kBySeverity) {
    if (std::find(rank_statuses.begin(), rank_statuses.end(), status) != rank_statuses.end()) {
      return status;
    }
  }
  return RunStatus::kFinished;
}

namespace detail {

std::pair<RunStatus, std::string> end_of_job(const std::vector<RankInfo>& ranks, int world_size,
                                             const std::optional<StopRequest>& stop) {
  std::vector<RunStatus> statuses;
  statuses.reserve(ranks.size());
  for (const RankInfo& rank : ranks) statuses.push_back(rank.status);
  const RunStatus status = job_status(statuses, world_size);
  if (status == RunStatus::kRunning || status == RunStatus::kFinished) return {status, ""};
  if (stop && status == RunStatus::kAborted) {
    const nlohmann::json value = finite_or_string(stop->value);
    return {status, "rank " + std::to_string(stop->rank) + " at step " +
                        std::to_string(stop->step) + " (value " +
                        (value.is_string() ? value.get<std::string>() : value.dump()) +
                        "): " + stop->message};
  }
  for (const RankInfo& rank : ranks) {  // sorted by rank
    if (rank.status == status) return {status, rank_error(rank.rank, rank.error)};
  }
  return {status, ""};
}

void check_joinable(const NewRun& run, bool exists, std::string_view status,
                    std::string_view experiment) {
  if (!exists) return;
  if (experiment != run.experiment) {
    throw Error("cannot join run " + run.id + ": it belongs to experiment '" +
                std::string(experiment) + "', not '" + run.experiment + "'");
  }
  if (status != to_string(RunStatus::kRunning)) {
    throw Error("cannot join run " + run.id + ": the job that made it has ended (" +
                std::string(status) + "); a new job needs a new job id (e.g. VIGIL_RUN_ID)");
  }
}

Timestamp job_end_time(const std::vector<RankInfo>& ranks, Timestamp at) {
  for (const RankInfo& rank : ranks) {
    if (rank.finished_at && *rank.finished_at > at) at = *rank.finished_at;
  }
  return at;
}

RankInfo joined_rank(const NewRank& rank) {
  RankInfo row;
  row.rank = rank.rank;
  row.world_size = rank.world_size;
  row.local_rank = rank.local_rank;
  row.host = rank.host;
  row.pid = rank.pid;
  row.device = rank.device;
  row.status = RunStatus::kRunning;
  row.started_at = rank.joined_at;
  row.heartbeat_at = rank.joined_at;
  return row;
}

std::string rank_error(int rank, std::string_view error) {
  return "rank " + std::to_string(rank) + ": " + std::string(error);
}

}  // namespace detail
}  // namespace vigil::tracker
