#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "runs_query.h"
#include "vigil/tracker/store.h"

namespace vigil::ui {

/// Most audit events one GET /api/audit answers (`limit` 1 to this; absent: 100).
inline constexpr std::size_t kMaxAuditEvents = 1000;

/// The Governance page's endpoints (see cli/ui/API.md): compliance summary, waivers, audit log
/// and validation records with the policy that produced each. Everything is read through the
/// public API of the dashboard's read-only Store, so it works on every backend. Refusals are
/// HttpError (400 naming the parameter and the expected form) or the tracker's exceptions.
///
/// Thread safety: all methods may be called concurrently.
class GovernanceApi {
 public:
  /// `store` must outlive this object.
  explicit GovernanceApi(const tracker::Store& store);
  ~GovernanceApi();

  /// GET /api/governance/summary?experiment=NAME&since=DATE&until=DATE&bucket=day|week: the
  /// compliance of the runs created in that range (ComplianceSummary::to_json) plus the
  /// request's "experiment", "since", "until" and "bucket". Reused while the store's change
  /// token stays the same.
  nlohmann::json summary(const QueryParams& params) const;

  /// GET /api/waivers?all=0|1&experiment=NAME&run=ID: {"waivers": [waiver + "in_force"],
  /// "at"}: those in force now unless all=1. `run_id` is the resolved run of `run`, if given.
  nlohmann::json waivers(const QueryParams& params, const std::string& run_id) const;

  /// GET /api/audit?run=ID&since=DATE&limit=N: {"events": [...] newest first, "limit"}.
  nlohmann::json audit(const QueryParams& params) const;

  /// GET /api/runs/{id}/validations of the resolved `run_id`: every record, oldest first,
  /// each with "policy" {"hash", "name", "version", "stored"} and "outcomes" {"counted",
  /// "info", "waived", "audited"}; each violation with its "outcome".
  nlohmann::json validations(const std::string& run_id) const;

  /// GET /api/policies/{hash}: the stored policy (name, version, text). 404 when not kept.
  nlohmann::json policy(const std::string& hash) const;

 private:
  struct CachedSummary;

  const tracker::Store& store_;
  mutable std::mutex mu_;
  mutable std::shared_ptr<const CachedSummary> cached_;  // guarded by mu_
};

}  // namespace vigil::ui
