#include "governance_fixture.h"

#include <utility>
#include <vector>

#include "raw_sqlite.h"
#include "store_options.h"
#include "vigil/tracker.h"

namespace vigil::testing {
namespace {

// A violation as the rule engine stores it (rules::Violation's JSON).
nlohmann::json engine_violation(const std::string& rule, const std::string& severity,
                                const std::string& enforcement = "enforce",
                                nlohmann::json waiver = nullptr) {
  return {{"rule_id", rule},
          {"kind", "range"},
          {"phase", "post"},
          {"severity", severity},
          {"path", "params." + rule},
          {"message", rule + " is out of range"},
          {"actual", 1.0},
          {"expected", "in [0, 0.5]"},
          {"not_evaluable", false},
          {"step", nullptr},
          {"decision", "continue"},
          {"enforcement", enforcement},
          {"waiver", std::move(waiver)}};
}

void store_validation(tracker::Store& store, const std::string& run_id, bool old_policy,
                      const std::string& verdict, double score,
                      std::vector<nlohmann::json> violations, tracker::Timestamp at) {
  tracker::ValidationRecord record;
  record.run_id = run_id;
  record.rules_name = "team-policy";
  record.rules_hash = old_policy ? kOldPolicyHash : kNewPolicyHash;
  record.phase = "all";
  record.verdict = verdict;
  record.score = score;
  // An array whatever the count: a braced single json would be copied, not wrapped, by clang.
  record.violations = nlohmann::json::array();
  for (auto& violation : violations) record.violations.push_back(std::move(violation));
  record.report = {{"rules_version", old_policy ? "2026.11" : "2026.12"},
                   {"verdict", verdict},
                   {"score", score}};
  record.created_at = at;
  store.add_validation(record);
}

std::string finished_run(tracker::Store& store, const std::string& name,
                         const std::string& experiment) {
  tracker::RunOptions options;
  options.name = name;
  options.experiment = experiment;
  options.params = {{"lr", 0.1}, {"epochs", 2}};
  auto run = store.start_run(options);
  run.log_metric("loss", 1.0, 0);
  run.log_metric("loss", 0.5, 1);
  run.finish();
  return run.id();
}

void put_policies(tracker::Store& store) {
  for (const auto& [hash, version] :
       {std::pair{kOldPolicyHash, "2026.11"}, std::pair{kNewPolicyHash, "2026.12"}}) {
    tracker::PolicyRecord policy;
    policy.hash = hash;
    policy.name = "team-policy";
    policy.version = version;
    policy.text =
        std::string(R"({"name": "team-policy", "version": ")") + version + R"(", "rules": []})";
    store.put_policy(policy);
  }
}

tracker::Waiver new_waiver(std::string run_id, std::string experiment, std::string rule,
                           std::string reason, std::string owner) {
  tracker::Waiver w;
  w.run_id = std::move(run_id);
  w.experiment = std::move(experiment);
  w.rule_id = std::move(rule);
  w.reason = std::move(reason);
  w.owner = std::move(owner);
  return w;
}

void grant_waivers(tracker::Store& store, GovernanceRuns& ids) {
  ids.run_waiver = store.add_waiver(
      new_waiver(ids.waived, "", "lr-range", "lr sweep approved by the platform team", "alice"));
  auto experiment_wide = new_waiver("", "gov-b", "min-epochs", "short smoke runs", "bob");
  experiment_wide.until = tracker::parse_time("2099-01-01");
  ids.experiment_waiver = store.add_waiver(experiment_wide);
  ids.revoked_waiver =
      store.add_waiver(new_waiver(ids.fail, "", "min-epochs", "granted by mistake", "alice"));
  store.revoke_waiver(ids.revoked_waiver, "carol");
}

void backdate(const std::string& path, const std::string& run_id, const char* day) {
  const tracker::Timestamp at = tracker::parse_time(std::string(day) + "T10:00:00Z");
  raw_exec(path, "UPDATE runs SET created_at = " + std::to_string(at) + ", started_at = " +
                     std::to_string(at) + ", heartbeat_at = " + std::to_string(at + 600) +
                     ", finished_at = " + std::to_string(at + 600) + " WHERE id = '" + run_id +
                     "'");
}

}  // namespace

nlohmann::json GovernanceRuns::to_json() const {
  return {{"pass", pass},
          {"fail", fail},
          {"waived", waived},
          {"audited", audited},
          {"b_fail", b_fail},
          {"unvalidated", unvalidated},
          {"run_waiver", run_waiver},
          {"experiment_waiver", experiment_waiver},
          {"revoked_waiver", revoked_waiver}};
}

GovernanceRuns add_governance_runs(const std::string& uri, bool backdate_runs) {
  GovernanceRuns ids;
  {
    tracker::Store store(uri, quiet_store_options());
    ids.pass = finished_run(store, "a-pass", "gov-a");
    ids.fail = finished_run(store, "a-fail-lr", "gov-a");
    ids.waived = finished_run(store, "a-waived", "gov-a");
    ids.audited = finished_run(store, "a-audit", "gov-a");
    ids.b_fail = finished_run(store, "b-fail", "gov-b");
    ids.unvalidated = finished_run(store, "b-new", "gov-b");
    put_policies(store);
    grant_waivers(store, ids);
    const tracker::Timestamp t = tracker::now();
    store_validation(store, ids.pass, false, "PASS", 100, {engine_violation("docs", "info")}, t);
    store_validation(
        store, ids.fail, false, "FAIL", 40,
        {engine_violation("lr-range", "error"), engine_violation("min-epochs", "warning")}, t);
    store_validation(store, ids.waived, true, "FAIL", 50, {engine_violation("lr-range", "error")},
                     t - 3600);
    const nlohmann::json note = {{"id", ids.run_waiver},
                                 {"reason", "lr sweep approved by the platform team"},
                                 {"owner", "alice"},
                                 {"until", nullptr},
                                 {"experiment_wide", false}};
    store_validation(store, ids.waived, false, "PASS", 90,
                     {engine_violation("lr-range", "error", "enforce", note),
                      engine_violation("min-epochs", "warning")},
                     t);
    store_validation(store, ids.audited, false, "PASS", 100,
                     {engine_violation("new-rule", "error", "audit")}, t);
    store_validation(store, ids.b_fail, false, "FAIL", 20,
                     {engine_violation("lr-range", "error"), engine_violation("nan-loss", "error")},
                     t);
  }
  if (backdate_runs) {
    const std::vector<std::pair<const std::string*, const char*>> days = {
        {&ids.pass, "2026-11-23"},   {&ids.fail, "2026-11-23"},
        {&ids.waived, "2026-11-29"}, {&ids.audited, "2026-11-29"},
        {&ids.b_fail, "2026-11-30"}, {&ids.unvalidated, "2026-11-30"}};
    for (const auto& [id, day] : days) backdate(uri, *id, day);
  }
  return ids;
}

std::size_t validate_every_run(const std::string& uri) {
  tracker::Store store(uri, quiet_store_options());
  const nlohmann::json note = {{"id", 1},
                               {"reason", "load test"},
                               {"owner", "bench"},
                               {"until", nullptr},
                               {"experiment_wide", true}};
  const auto runs = store.list_runs();
  const tracker::Timestamp t = tracker::now();
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const bool fail = i % 3 == 0;
    std::vector<nlohmann::json> violations;
    if (fail) {
      violations = {engine_violation("lr-range", "error"),
                    engine_violation("min-epochs", "warning", "enforce", note)};
    }
    store_validation(store, runs[i].id, false, fail ? "FAIL" : "PASS",
                     static_cast<double>(i * 37 % 101), std::move(violations), t);
  }
  return runs.size();
}

}  // namespace vigil::testing
