#pragma once

#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "governance_api.h"
#include "runs_cache.h"
#include "runs_query.h"
#include "vigil/tracker/store.h"

namespace vigil::ui {

/// Most points one GET /api/runs/{id}/points answers (max_points 0 or absent means this many);
/// a longer series or step range is downsampled to it. Bounds the response to a few MB.
inline constexpr std::size_t kMaxResponsePoints = 100'000;

/// The dashboard's JSON API, independent of HTTP: each method answers one endpoint (see
/// cli/ui/API.md) and reports refusals by throwing HttpError or the tracker's exceptions
/// (RunNotFound, AmbiguousRunId, InvalidArgument, StoreError), which the server maps to status
/// codes.
///
/// Reads go through a read-only Store, so a store written by a training process at the same
/// time is never blocked (WAL readers, no long transactions). The only write (tags) opens a
/// second, writable Store on first use.
///
/// Thread safety: all methods may be called concurrently.
class Api {
 public:
  /// Opens the store at `store_uri` (resolved by tracker::Store::resolve_uri) read-only.
  /// Throws tracker::StoreError when it does not exist or is not a vigil store.
  explicit Api(const std::string& store_uri);

  /// The resolved URI of the store being served.
  const std::string& store_uri() const;

  /// GET /api/runs: {"runs": [run...], "total", "offset", "limit"[, "facets"]}.
  nlohmann::json list_runs(const QueryParams& params) const;
  /// GET /api/runs/{id}: one run object (id or unique prefix).
  nlohmann::json get_run(const std::string& id) const;
  /// GET /api/runs/{id}/series: summaries of every series of the run.
  nlohmann::json series(const std::string& id) const;
  /// GET /api/runs/{id}/points?metric=NAME[&max_points=N][&min_step=A][&max_step=B]: columnar
  /// points of one series, in the step range [A, B] when given (only the chunks that overlap it
  /// are read), downsampled to max_points.
  nlohmann::json points(const std::string& id, const QueryParams& params) const;
  /// GET /api/runs/{id}/validations: the run's validation records, oldest first, each with
  /// its policy and the outcome of each violation (GovernanceApi::validations).
  nlohmann::json validations(const std::string& id) const;
  /// GET /api/runs/{id}/ranks: the ranks of a distributed job's run ([] for a run of one
  /// process), by rank, `crashed` derived as for runs.
  nlohmann::json ranks(const std::string& id) const;
  /// GET /api/experiments: experiment names.
  nlohmann::json experiments() const;
  /// GET /api/meta: constants the browser shares with the server: {"verdict_tags":
  /// tracker::kVerdictTags, "statuses": tracker::kRunStatuses, "verdicts": ["PASS", "FAIL"],
  /// "max_response_points": kMaxResponsePoints, "store": store_uri()}.
  nlohmann::json meta() const;
  /// GET /api/governance/summary (GovernanceApi::summary).
  nlohmann::json governance_summary(const QueryParams& params) const;
  /// GET /api/waivers (GovernanceApi::waivers; `run` resolved like {id}).
  nlohmann::json waivers(const QueryParams& params) const;
  /// GET /api/audit (GovernanceApi::audit).
  nlohmann::json audit(const QueryParams& params) const;
  /// GET /api/policies/{hash} (GovernanceApi::policy).
  nlohmann::json policy(const std::string& hash) const;
  /// POST /api/runs/{id}/tags with body {"add": [...], "remove": [...]}: the updated run.
  nlohmann::json update_tags(const std::string& id, const std::string& body);

 private:
  std::string resolve(const std::string& id) const;

  tracker::Store reader_;
  mutable RunsCache runs_cache_;
  GovernanceApi governance_;
  std::mutex writer_mu_;
  std::unique_ptr<tracker::Store> writer_;  // guarded by writer_mu_; opened on first write
};

}  // namespace vigil::ui
