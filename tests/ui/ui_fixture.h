#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vigil::testing {

/// Ids of the runs fill_demo_store() writes.
struct DemoRuns {
  std::string baseline;  ///< "baseline-adam": mnist, tags baseline+adam, validated PASS
  std::string sgd;       ///< "sgd-high-lr": mnist, tag sgd, validated FAIL (error + warning)
  std::string xss;       ///< named "<img src=x onerror=alert(1)>", experiment security, tag xss
  std::string failed;    ///< "diverged": failed with an error message, NaN/Inf in its loss
  std::string crashed;   ///< "crashed-run": its process exited without finishing it
  nlohmann::json to_json() const;
};

/// The name of the XSS probe run.
inline constexpr const char* kXssName = "<img src=x onerror=alert(1)>";

/// Writes the dashboard test runs (created in the order of DemoRuns' fields) to the store at
/// `path`, creating it. Forks a child for the crashed run, so call it before this process
/// starts other threads that hold locks.
DemoRuns fill_demo_store(const std::string& path);

/// Adds `count` finished runs "bulk-NNNNN" (experiments bulk-0..4, tags bulk + even/odd,
/// optimizer.{name,lr}, batch_size, seed; metrics loss (10 points) and accuracy{subset=val}
/// (3 points)) for paging and load tests.
void add_bulk_runs(const std::string& path, std::size_t count);

/// Adds `count` finished runs of experiment "mnist-real" whose params have the shapes vigil-mnist
/// logs (model.structure over several lines, model.children as an array of module lines,
/// optimizer, dataset...), the last with a 120-character name; metrics loss (8 points) and
/// accuracy{subset=val}. Returns their ids in creation order.
std::vector<std::string> add_mnist_like_runs(const std::string& path, std::size_t count);

/// Adds two finished runs of experiment "no-points": "no-metrics" (no series) and
/// "declared-only" (a `loss` series declared, no point logged). Returns {"no_metrics",
/// "declared"} ids.
nlohmann::json add_runs_without_points(const std::string& path);

/// Adds a finished run "long-series" with one `loss` series of `points` points; returns its id.
std::string add_long_series_run(const std::string& path, std::size_t points);

/// Adds the run of a 2-rank job "ddp-job" (experiment "ddp", job id "e2e-ddp") written through
/// Store::join_run: rank 1, in a forked child, logs `loss{rank=1}` and dies without finishing
/// (so the run reads as crashed, naming rank 1); rank 0 logs `loss` and finishes. Returns the
/// run id. Forks: call it while no Store of this process is open.
std::string add_job_run(const std::string& path);

}  // namespace vigil::testing
