#pragma once

// A store with known governance records (policies, validations, waivers, audit events), for
// the dashboard's governance API test and its browser end-to-end test.

#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace vigil::testing {

/// What add_governance_runs() writes. Runs (experiment, creation day when backdated, latest
/// validation):
///   pass        "a-pass"      gov-a  2026-11-23  PASS 100 (2026.12), an info note on `docs`
///   fail        "a-fail-lr"   gov-a  2026-11-23  FAIL 40 (2026.12): lr-range error and
///                                                min-epochs warning, both counted
///   waived      "a-waived"    gov-a  2026-11-29  FAIL 50 (2026.11: lr-range counted), then
///                                                PASS 90 (2026.12): lr-range waived by
///                                                run_waiver, min-epochs counted
///   audited     "a-audit"     gov-a  2026-11-29  PASS 100 (2026.12): new-rule in audit mode
///   b_fail      "b-fail"      gov-b  2026-11-30  FAIL 20 (2026.12): lr-range and nan-loss
///                                                errors counted
///   unvalidated "b-new"       gov-b  2026-11-30  never validated
/// Waivers: run_waiver (a-waived, lr-range, by alice, until revoked), experiment_waiver
/// (gov-b, min-epochs, by bob, until 2099-01-01) and revoked_waiver (a-fail-lr, min-epochs,
/// revoked by carol).
struct GovernanceRuns {
  std::string pass, fail, waived, audited, b_fail, unvalidated;
  std::int64_t run_waiver = 0, experiment_waiver = 0, revoked_waiver = 0;
  nlohmann::json to_json() const;
};

/// The two policies the validations name: "team-policy" 2026.11 and 2026.12.
inline constexpr const char* kOldPolicyHash = "a11ce00000000001";
inline constexpr const char* kNewPolicyHash = "a11ce00000000002";

/// Writes the runs above into the store at `uri` (creating it). With `backdate` (a SQLite
/// file only), each run's creation, start and end are moved to its day above (10:00 UTC), so
/// compliance over time has three days in two ISO weeks; otherwise every run is created now.
GovernanceRuns add_governance_runs(const std::string& uri, bool backdate);

/// Validates every run of the store at `uri` once (for load tests): every third run FAIL with
/// a counted lr-range error and a waived min-epochs warning, the others PASS; scores spread
/// over 0-100. Returns how many runs were validated.
std::size_t validate_every_run(const std::string& uri);

}  // namespace vigil::testing
