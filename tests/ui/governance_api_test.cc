// The Governance page's endpoints (/api/governance/summary, /api/waivers, /api/audit,
// /api/policies/{hash}, /api/runs/{id}/validations) against an in-process server, on every
// test backend, with the known records of governance_fixture.h.
#include <httplib.h>

#include <map>
#include <memory>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "governance_fixture.h"
#include "running_server.h"
#include "store_options.h"
#include "store_uris.h"
#include "temp_dir.h"
#include "vigil/tracker.h"

namespace vigil::ui {
namespace {

using nlohmann::json;
using testing::GovernanceRuns;

/// Serves `uri` and answers GETs as parsed JSON.
class Client {
 public:
  explicit Client(const std::string& uri) {
    ServerOptions options;
    options.store_uri = uri;
    options.port = 0;
    server_ = std::make_unique<RunningServer>(options);
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    http_->set_read_timeout(10, 0);
  }

  json get(const std::string& path, int status = 200) {
    auto res = http_->Get(path.c_str());
    EXPECT_TRUE(res) << path;
    if (!res) return nullptr;
    EXPECT_EQ(res->status, status) << path << ": " << res->body;
    return json::parse(res->body);
  }

  std::string body(const std::string& path) {
    auto res = http_->Get(path.c_str());
    return res ? res->body : "";
  }

  httplib::Client& http() { return *http_; }

 private:
  std::unique_ptr<RunningServer> server_;
  std::unique_ptr<httplib::Client> http_;
};

std::set<std::string> ids_of(const json& runs) {
  std::set<std::string> ids;
  for (const auto& run : runs) ids.insert(run.at("id").get<std::string>());
  return ids;
}

const json& rule_named(const json& summary, const std::string& id) {
  for (const auto& rule : summary.at("rules")) {
    if (rule.at("rule_id") == id) return rule;
  }
  throw std::runtime_error("no rule " + id + " in " + summary.dump());
}

class GovernanceApiTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    uri_ = testing::fresh_store_uri(GetParam(), dir_, "store");
    ids_ = testing::add_governance_runs(uri_, false);
    client_ = std::make_unique<Client>(uri_);
  }

  testing::TempDir dir_;
  std::string uri_;
  GovernanceRuns ids_;
  std::unique_ptr<Client> client_;
};

TEST_P(GovernanceApiTest, SummaryCountsLatestVerdictsScoresAndRules) {
  const json s = client_->get("/api/governance/summary");
  EXPECT_EQ(s.at("runs"), 6);
  EXPECT_EQ(s.at("validated"), 5);
  EXPECT_EQ(s.at("passed"), 3);  // a-waived passes at its latest validation
  EXPECT_DOUBLE_EQ(s.at("pass_rate").get<double>(), 60.0);
  EXPECT_DOUBLE_EQ(s.at("mean_score").get<double>(), 70.0);  // (100 + 40 + 90 + 100 + 20) / 5
  EXPECT_EQ(s.at("bucket"), "day");
  ASSERT_EQ(s.at("over_time").size(), 1u);  // every run created today
  EXPECT_EQ(s.at("over_time")[0].at("validated"), 5);
  std::vector<int> bins;
  for (const auto& bin : s.at("histogram")) bins.push_back(bin.at("runs").get<int>());
  EXPECT_EQ(bins, (std::vector<int>{0, 0, 1, 0, 1, 0, 0, 0, 0, 3}));

  std::vector<std::string> order;
  for (const auto& rule : s.at("rules")) order.push_back(rule.at("rule_id").get<std::string>());
  EXPECT_EQ(order,
            (std::vector<std::string>{"lr-range", "min-epochs", "nan-loss", "docs", "new-rule"}));
  const json& lr = rule_named(s, "lr-range");
  EXPECT_EQ(lr.at("counted"), 2);
  EXPECT_EQ(lr.at("waived"), 1);
  EXPECT_EQ(lr.at("run_count"), 3);
  EXPECT_EQ(ids_of(lr.at("runs")), (std::set<std::string>{ids_.fail, ids_.b_fail, ids_.waived}));
  for (const auto& run : lr.at("runs")) {
    EXPECT_EQ(run.at("outcome"), run.at("id") == ids_.waived ? "waived" : "counted");
  }
  EXPECT_EQ(ids_of(rule_named(s, "min-epochs").at("runs")),
            (std::set<std::string>{ids_.fail, ids_.waived}));
  EXPECT_EQ(rule_named(s, "new-rule").at("audited"), 1);
  EXPECT_EQ(rule_named(s, "new-rule").at("counted"), 0);
  EXPECT_EQ(rule_named(s, "docs").at("info"), 1);

  ASSERT_EQ(s.at("experiments").size(), 2u);
  EXPECT_EQ(s.at("experiments")[0].at("name"), "gov-a");
  EXPECT_DOUBLE_EQ(s.at("experiments")[0].at("mean_score").get<double>(), 82.5);
  EXPECT_DOUBLE_EQ(s.at("experiments")[1].at("pass_rate").get<double>(), 0.0);
}

TEST_P(GovernanceApiTest, SummaryOfOneExperiment) {
  const json s = client_->get("/api/governance/summary?experiment=gov-b&bucket=week");
  EXPECT_EQ(s.at("experiment"), "gov-b");
  EXPECT_EQ(s.at("bucket"), "week");
  EXPECT_EQ(s.at("runs"), 2);
  EXPECT_EQ(s.at("validated"), 1);
  EXPECT_DOUBLE_EQ(s.at("pass_rate").get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(s.at("mean_score").get<double>(), 20.0);
  std::set<std::string> rules;
  for (const auto& rule : s.at("rules")) rules.insert(rule.at("rule_id").get<std::string>());
  EXPECT_EQ(rules, (std::set<std::string>{"lr-range", "nan-loss"}));
  EXPECT_EQ(client_->get("/api/governance/summary?experiment=none").at("runs"), 0);
}

TEST_P(GovernanceApiTest, SummaryFollowsAValidationStoredAfterIt) {
  EXPECT_EQ(client_->get("/api/governance/summary").at("validated"), 5);
  {
    tracker::Store store(uri_, testing::quiet_store_options());
    tracker::ValidationRecord record;
    record.run_id = ids_.unvalidated;
    record.rules_name = "team-policy";
    record.rules_hash = testing::kNewPolicyHash;
    record.phase = "all";
    record.verdict = "PASS";
    record.score = 80;
    store.add_validation(record);
  }
  const json s = client_->get("/api/governance/summary");
  EXPECT_EQ(s.at("validated"), 6);
  EXPECT_EQ(s.at("passed"), 4);
  EXPECT_DOUBLE_EQ(s.at("mean_score").get<double>(), 430.0 / 6);
}

TEST_P(GovernanceApiTest, WaiversInForceByDefaultAndAllOnRequest) {
  const json in_force = client_->get("/api/waivers").at("waivers");
  ASSERT_EQ(in_force.size(), 2u);
  EXPECT_EQ(in_force[0].at("id"), ids_.run_waiver);
  EXPECT_EQ(in_force[0].at("run_id"), ids_.waived);
  EXPECT_EQ(in_force[0].at("owner"), "alice");
  EXPECT_EQ(in_force[0].at("in_force"), true);
  EXPECT_EQ(in_force[1].at("experiment"), "gov-b");
  EXPECT_EQ(in_force[1].at("until"), "2099-01-01T00:00:00.000Z");

  const json all = client_->get("/api/waivers?all=1").at("waivers");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].at("id"), ids_.revoked_waiver);
  EXPECT_EQ(all[2].at("revoked_by"), "carol");
  EXPECT_EQ(all[2].at("in_force"), false);

  const json of_run = client_->get("/api/waivers?run=" + ids_.waived.substr(0, 8));
  ASSERT_EQ(of_run.at("waivers").size(), 1u);
  EXPECT_EQ(of_run.at("waivers")[0].at("rule_id"), "lr-range");
  const json of_experiment = client_->get("/api/waivers?experiment=gov-b");
  ASSERT_EQ(of_experiment.at("waivers").size(), 1u);
  EXPECT_EQ(of_experiment.at("waivers")[0].at("id"), ids_.experiment_waiver);
}

TEST_P(GovernanceApiTest, AuditNewestFirstByRunSinceAndLimit) {
  const json all = client_->get("/api/audit?limit=1000").at("events");
  std::map<std::string, int> actions;
  for (const auto& event : all) ++actions[event.at("action").get<std::string>()];
  EXPECT_EQ(actions["run.started"], 6);
  EXPECT_EQ(actions["validation"], 6);
  EXPECT_EQ(actions["waiver.granted"], 3);
  EXPECT_EQ(actions["waiver.revoked"], 1);
  EXPECT_EQ(actions["policy.stored"], 2);
  for (std::size_t i = 1; i < all.size(); ++i) {
    EXPECT_GT(all[i - 1].at("id").get<std::int64_t>(), all[i].at("id").get<std::int64_t>());
  }
  EXPECT_EQ(all[0].at("action"), "validation");  // b-fail's, the last write
  EXPECT_EQ(all[0].at("run_id"), ids_.b_fail);
  EXPECT_EQ(client_->get("/api/audit").at("limit"), 100);

  const json two = client_->get("/api/audit?limit=2").at("events");
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0], all[0]);
  EXPECT_EQ(two[1], all[1]);

  const json of_run = client_->get("/api/audit?run=" + ids_.waived).at("events");
  std::map<std::string, int> run_actions;
  for (const auto& event : of_run) {
    EXPECT_EQ(event.at("run_id"), ids_.waived);
    ++run_actions[event.at("action").get<std::string>()];
  }
  EXPECT_EQ(run_actions["validation"], 2);
  EXPECT_EQ(run_actions["waiver.granted"], 1);
  EXPECT_EQ(run_actions["run.started"], 1);
  EXPECT_TRUE(client_->get("/api/audit?since=2999-01-01").at("events").empty());
}

TEST_P(GovernanceApiTest, ValidationsNameTheirPolicyVersionAndMarkWaivedViolations) {
  const json history = client_->get("/api/runs/" + ids_.waived + "/validations");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].at("verdict"), "FAIL");
  EXPECT_EQ(history[0].at("policy"), (json{{"hash", testing::kOldPolicyHash},
                                           {"name", "team-policy"},
                                           {"version", "2026.11"},
                                           {"stored", true}}));
  EXPECT_EQ(history[0].at("outcomes").at("counted"), 1);
  EXPECT_EQ(history[1].at("verdict"), "PASS");
  EXPECT_EQ(history[1].at("policy").at("version"), "2026.12");
  const json& waived = history[1].at("violations")[0];
  EXPECT_EQ(waived.at("outcome"), "waived");
  EXPECT_EQ(waived.at("waiver").at("reason"), "lr sweep approved by the platform team");
  EXPECT_EQ(history[1].at("violations")[1].at("outcome"), "counted");
  EXPECT_EQ(history[1].at("outcomes"),
            (json{{"counted", 1}, {"info", 0}, {"waived", 1}, {"audited", 0}}));
}

TEST_P(GovernanceApiTest, PolicyByHash) {
  const json policy = client_->get(std::string("/api/policies/") + testing::kNewPolicyHash);
  EXPECT_EQ(policy.at("version"), "2026.12");
  EXPECT_NE(policy.at("text").get<std::string>().find("\"rules\": []"), std::string::npos);
  client_->get("/api/policies/ffffffffffffffff", 404);
  client_->get("/api/policies/NOT-HEX", 404);
}

TEST_P(GovernanceApiTest, MalformedParametersAreOneLine400sNamingThem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/api/governance/summary?bucket=month", "'bucket' is 'month'; expected day or week"},
      {"/api/governance/summary?since=2026-13-01", "parameter 'since'"},
      {"/api/governance/summary?since=2026-12-01&until=2026-11-01", "since <= until"},
      {"/api/governance/summary?bucket=day&bucket=week", "'bucket' was given 2 times"},
      {"/api/governance/summary?sort=name", "unknown parameter 'sort'"},
      {"/api/audit?limit=0", "'limit' is '0'; expected a whole number from 1 to 1000"},
      {"/api/audit?limit=1001", "from 1 to 1000"},
      {"/api/audit?run=BAD", "'run' is 'BAD'; expected a run id or prefix"},
      {"/api/waivers?all=maybe", "'all' is 'maybe'; expected 1, 0, true or false"},
  };
  for (const auto& [path, message] : cases) {
    const json error = client_->get(path, 400);
    const auto text = error.at("error").get<std::string>();
    EXPECT_NE(text.find(message), std::string::npos) << path << ": " << text;
    EXPECT_EQ(text.find('\n'), std::string::npos) << path;
  }
  client_->get("/api/waivers?run=ffffffff", 404);
  auto res = client_->http().Post("/api/audit", "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
}

INSTANTIATE_TEST_SUITE_P(Backends, GovernanceApiTest, ::testing::ValuesIn(testing::test_backends()),
                         [](const auto& param_info) { return param_info.param; });

// Compliance over time needs runs created on different days: the fixture backdates them in a
// SQLite file; the PostgreSQL store gets them by copy (times and validations kept).
TEST(GovernanceOverTime, DaysAndWeeksOfRunCreationOnEveryBackend) {
  testing::TempDir dir;
  const std::string sqlite = dir.file("store.db");
  testing::add_governance_runs(sqlite, true);
  Client client(sqlite);
  const json days = client.get("/api/governance/summary?bucket=day").at("over_time");
  ASSERT_EQ(days.size(), 3u);
  const std::vector<std::tuple<std::string, int, int, double>> expected_days = {
      {"2026-11-23", 2, 1, 70.0}, {"2026-11-29", 2, 2, 95.0}, {"2026-11-30", 1, 0, 20.0}};
  for (std::size_t i = 0; i < days.size(); ++i) {
    const auto& [start, validated, passed, mean] = expected_days[i];
    EXPECT_EQ(days[i].at("start"), start);
    EXPECT_EQ(days[i].at("time"), tracker::parse_time(start));
    EXPECT_EQ(days[i].at("validated"), validated);
    EXPECT_EQ(days[i].at("passed"), passed);
    EXPECT_DOUBLE_EQ(days[i].at("pass_rate").get<double>(), 100.0 * passed / validated);
    EXPECT_DOUBLE_EQ(days[i].at("mean_score").get<double>(), mean);
  }
  const json weeks = client.get("/api/governance/summary?bucket=week").at("over_time");
  ASSERT_EQ(weeks.size(), 2u);
  EXPECT_EQ(weeks[0].at("start"), "2026-11-23");  // Monday of the week of the 23rd and 29th
  EXPECT_EQ(weeks[0].at("validated"), 4);
  EXPECT_DOUBLE_EQ(weeks[0].at("pass_rate").get<double>(), 75.0);
  EXPECT_DOUBLE_EQ(weeks[0].at("mean_score").get<double>(), 82.5);
  EXPECT_EQ(weeks[1].at("start"), "2026-11-30");
  EXPECT_EQ(client.get("/api/governance/summary?since=2026-11-29").at("validated"), 3);
  EXPECT_EQ(client.get("/api/governance/summary?until=2026-11-23").at("validated"), 2);

  if (!testing::postgres_tests_enabled()) return;
  const std::string postgres = testing::fresh_store_uri("postgresql", dir, "store");
  {
    tracker::Store from(sqlite, testing::quiet_store_options());
    tracker::Store to(postgres, testing::quiet_store_options());
    ASSERT_EQ(tracker::copy_runs(from, to, {}).size(), 6u);
  }
  Client on_postgres(postgres);
  for (const char* path : {"/api/governance/summary?bucket=day",
                           "/api/governance/summary?bucket=week&experiment=gov-a",
                           "/api/governance/summary?since=2026-11-29&until=2026-11-30"}) {
    EXPECT_EQ(on_postgres.body(path), client.body(path)) << path;
  }
}

}  // namespace
}  // namespace vigil::ui
