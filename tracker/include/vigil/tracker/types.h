#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace vigil::tracker {

/// Seconds since the Unix epoch (UTC), with sub-second precision.
using Timestamp = double;

/// Current wall-clock time as a Timestamp.
Timestamp now() noexcept;

/// Lifecycle of a run. `kRunning` is the only non-terminal status.
///
/// `kCrashed` is never written by a live process: readers derive it for a run stored as
/// `running` whose process is gone (same host, pid dead) or whose heartbeat is stale, and the
/// store persists it the next time it is opened for writing.
enum class RunStatus {
  kRunning,   ///< the owning process is alive and writing
  kFinished,  ///< ended normally
  kFailed,    ///< ended by an exception (error message stored)
  kKilled,    ///< ended by SIGINT/SIGTERM (data flushed)
  kCrashed,   ///< the process disappeared without ending the run (e.g. kill -9)
  kRejected,  ///< refused by a governance rule before the first training step
  kAborted,   ///< stopped by a governance guard during training
};

/// Every RunStatus, in declaration order (the CLI's help and the dashboard's filter list).
inline constexpr std::array<RunStatus, 7> kRunStatuses = {
    RunStatus::kRunning, RunStatus::kFinished, RunStatus::kFailed, RunStatus::kKilled,
    RunStatus::kCrashed, RunStatus::kRejected, RunStatus::kAborted};

/// Lower-case name: "running", "finished", "failed", "killed", "crashed", "rejected", "aborted".
std::string_view to_string(RunStatus status) noexcept;

/// Inverse of to_string. Throws InvalidArgument naming the text and the accepted names.
RunStatus parse_run_status(std::string_view text);

/// True for every status but kRunning.
constexpr bool is_terminal(RunStatus status) noexcept { return status != RunStatus::kRunning; }

/// One point of a metric series. NaN, +Inf and -Inf values are stored and read back exactly.
struct MetricPoint {
  std::int64_t step = 0;
  std::optional<std::int64_t> epoch;
  double value = 0.0;
  Timestamp time = 0.0;
};

/// Identifies a series within a run: a metric name plus a small JSON object as context
/// (e.g. {"subset": "val"}). A null or empty context means "no context".
struct SeriesKey {
  std::string name;
  nlohmann::json context = nlohmann::json::object();

  /// "loss" without context, "loss{subset=val}" with one (keys sorted, values unquoted when
  /// they are strings). Used as the key of `metrics` in run JSON and in CLI/export output.
  /// A string value that would read back as another type or breaks the syntax ("2", "true",
  /// "", or containing , { } = ") is written JSON-quoted, so parse() restores it exactly.
  std::string qualified_name() const;

  /// Inverse of qualified_name(). Throws InvalidArgument on malformed text.
  static SeriesKey parse(std::string_view qualified_name);

  friend bool operator==(const SeriesKey& a, const SeriesKey& b) {
    return a.name == b.name && a.context == b.context;
  }
};

/// A run named by its id and name, e.g. a candidate of an ambiguous run reference.
struct RunRef {
  std::string id;    ///< full run id
  std::string name;  ///< the run's name (may be empty)
};

/// Aggregates of one series, maintained by the writer (no scan of the points needed).
/// min/max ignore NaN; they are NaN only when every value is NaN.
struct SeriesSummary {
  SeriesKey key;
  std::int64_t count = 0;
  double last = 0.0;
  double min = 0.0;
  double max = 0.0;
  std::int64_t last_step = 0;
  Timestamp last_time = 0.0;
};

/// Everything known about a run, as returned by the query API.
struct RunInfo {
  std::string id;  ///< 32 lower-case hex characters; addressable by a unique prefix
  std::string name;
  std::string experiment;
  RunStatus status = RunStatus::kRunning;  ///< kCrashed derived at read time, see RunStatus
  Timestamp created_at = 0.0;
  Timestamp started_at = 0.0;
  /// When the run ended (absent while running); for a crashed run its last sign of life:
  /// the later of its last heartbeat and its last metric point.
  std::optional<Timestamp> finished_at;
  Timestamp heartbeat_at = 0.0;
  std::string host;
  std::int64_t pid = 0;
  std::string command;  ///< command line of the owning process, arguments joined by spaces
  std::string error;    ///< why a failed/killed/rejected/aborted/crashed run ended, else empty

  /// Nested hyperparameters. NaN and +-Inf read back as doubles (stored as
  /// {"$numberDouble": "NaN" | "Infinity" | "-Infinity"}; stores written before vigil kept
  /// them hold null).
  nlohmann::json params = nlohmann::json::object();
  nlohmann::json results = nlohmann::json::object();  ///< final results; NaN/Inf as params
  std::vector<std::string> tags;                      ///< sorted
  std::vector<SeriesSummary> metrics;                 ///< sorted by qualified name

  std::optional<std::string> verdict;  ///< "PASS"/"FAIL" of the latest validation, if any
  std::optional<double> score;         ///< score (0-100) of the latest validation, if any
};

/// The run object of `vigil runs ls --format json` and of the dashboard's /api/runs:
/// id, name, experiment, status, created_at, started_at, finished_at (null while running),
/// heartbeat_at, duration (seconds, null while running), host, pid, command, error, params,
/// results, tags, metrics ({qualified name: {last, min, max, count, last_step}}; NaN/Inf
/// values here and in params/results as the strings "NaN", "Infinity", "-Infinity"), verdict
/// and score (null when
/// never validated). Timestamps are ISO-8601 UTC strings.
void to_json(nlohmann::json& j, const RunInfo& run);

/// A double as JSON: a number, or "NaN" / "Infinity" / "-Infinity".
nlohmann::json finite_or_string(double value);

/// ISO-8601 UTC text ("2026-11-26T11:40:43.123Z") of a Timestamp, and back.
std::string format_time(Timestamp t);
/// Accepts "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff]][Z]" (UTC) for a date that exists
/// (2026-02-30 does not) and a time from 00:00:00 to 23:59:59.999. Throws InvalidArgument naming
/// the text and the expected form otherwise.
Timestamp parse_time(std::string_view text);

/// Which end of a time range a bound is: a date alone means the start of that day for kStart
/// and its last millisecond (23:59:59.999) for kEnd, as a reader of "--until 2026-11-26"
/// expects. A bound with a time of day is that instant either way.
enum class TimeBound { kStart, kEnd };
/// parse_time plus the date-only rule above; the one place that rule lives (CLI --since/--until
/// and the dashboard's since/until both call it). Throws like parse_time.
Timestamp parse_time_bound(std::string_view text, TimeBound bound);

}  // namespace vigil::tracker
