// Governance records every backend keeps alike: policies once per hash, waivers (grant, query,
// expiry, revoke) and the append-only audit log with an event for every listed action, kept
// after the run is deleted. Parameterised over test_backends().
#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store_uris.h"
#include "temp_dir.h"
#include "vigil/tracker.h"

namespace vigil::tracker {
namespace {

StoreOptions quiet() {
  StoreOptions options;
  options.flush_interval = std::chrono::milliseconds(10);
  options.handle_signals = false;
  return options;
}

class GovernanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  GovernanceTest() : store_(testing::fresh_store_uri(GetParam(), dir_, "store"), quiet()) {}

  std::string run(const std::string& name, RunStatus end = RunStatus::kFinished,
                  const std::string& experiment = "mnist") {
    RunOptions options;
    options.name = name;
    options.experiment = experiment;
    auto r = store_.start_run(options);
    r.log_metric("loss", 0.5, 0);
    r.finish(end, end == RunStatus::kFinished ? "" : "stopped by a rule");
    return r.id();
  }

  std::vector<std::string> actions(const std::string& run_id) {
    AuditQuery query;
    query.run_id = run_id;
    std::vector<std::string> out;
    for (const auto& event : store_.audit_events(query)) out.push_back(event.action);
    return out;
  }

  testing::TempDir dir_;
  Store store_;
};

ValidationRecord validation(const std::string& run_id) {
  ValidationRecord record;
  record.run_id = run_id;
  record.rules_name = "team";
  record.rules_hash = "00112233aabbccdd";
  record.phase = "all";
  record.verdict = "FAIL";
  record.score = 60.0;
  return record;
}

TEST_P(GovernanceTest, PolicyIsStoredOncePerHash) {
  store_.put_policy({"00112233aabbccdd", "team", "2026.12", R"({"rules": []})", 0.0});
  store_.put_policy({"00112233aabbccdd", "renamed", "2027.01", "other text", 0.0});
  auto policy = store_.policy("00112233aabbccdd");
  ASSERT_TRUE(policy);
  EXPECT_EQ(policy->name, "team");  // the first text stays: the hash names it
  EXPECT_EQ(policy->version, "2026.12");
  EXPECT_EQ(policy->text, R"({"rules": []})");
  EXPECT_GT(policy->stored_at, 0.0);
  EXPECT_FALSE(store_.policy("ffffffffffffffff"));
  auto events = store_.audit_events();
  EXPECT_EQ(std::count_if(events.begin(), events.end(),
                          [](const AuditEvent& e) { return e.action == "policy.stored"; }),
            1);
}

TEST_P(GovernanceTest, PolicyTextOverTheLimitIsRefused) {
  PolicyRecord big{"aa", "big", "", std::string(kMaxPolicyTextBytes + 1, ' '), 0.0};
  EXPECT_THROW(store_.put_policy(big), InvalidArgument);
  EXPECT_FALSE(store_.policy("aa"));
}

TEST_P(GovernanceTest, AuditLogHasAnEventForEveryAction) {
  const std::string id = run("audited-run");
  store_.add_tags(id, {"reviewed"});
  store_.remove_tags(id, {"reviewed"});
  store_.add_validation(validation(id));
  Waiver waiver;
  waiver.run_id = id;
  waiver.rule_id = "min-epochs";
  waiver.reason = "short smoke run";
  const auto waiver_id = store_.add_waiver(waiver);
  store_.revoke_waiver(waiver_id, "lead");
  const std::vector<std::string> expected = {"run.started",   "run.finished", "tag.added",
                                             "tag.removed",   "validation",   "waiver.granted",
                                             "waiver.revoked"};
  EXPECT_EQ(actions(id), expected);

  AuditQuery query;
  query.run_id = id;
  auto events = store_.audit_events(query);
  const Actor& me = current_actor();
  for (const auto& event : events) {
    EXPECT_EQ(event.user, me.user);
    EXPECT_EQ(event.host, me.host);
    EXPECT_EQ(event.run_id, id);
    EXPECT_GT(event.at, 0.0);
  }
  EXPECT_EQ(events[1].details.at("status"), "finished");
  EXPECT_EQ(events[4].details.at("policy_hash"), "00112233aabbccdd");
  EXPECT_EQ(events[4].details.at("verdict"), "FAIL");
  EXPECT_EQ(events[6].details.at("revoked_by"), "lead");
}

TEST_P(GovernanceTest, RefusedAndAbortedRunsAreAudited) {
  const std::string refused = run("refused-run", RunStatus::kRejected);
  const std::string aborted = run("aborted-run", RunStatus::kAborted);
  EXPECT_EQ(actions(refused), (std::vector<std::string>{"run.started", "run.refused"}));
  EXPECT_EQ(actions(aborted), (std::vector<std::string>{"run.started", "run.aborted"}));
  const std::string later = run("later-run");
  store_.set_status(later, RunStatus::kRejected, "refused by hand");
  EXPECT_EQ(actions(later).back(), "run.refused");
}

TEST_P(GovernanceTest, DeletedRunKeepsItsAuditRowsWithWhatWasDeleted) {
  const std::string id = run("doomed-run");
  store_.add_validation(validation(id));
  store_.delete_runs({id});
  EXPECT_THROW(store_.get_run(id), RunNotFound);
  auto by_prefix = actions(id.substr(0, 8));  // a deleted run's id prefix still finds them
  EXPECT_EQ(by_prefix,
            (std::vector<std::string>{"run.started", "run.finished", "validation", "run.deleted"}));
  AuditQuery query;
  query.run_id = id;
  const AuditEvent deleted = store_.audit_events(query).back();
  EXPECT_EQ(deleted.details.at("name"), "doomed-run");
  EXPECT_EQ(deleted.details.at("experiment"), "mnist");
  EXPECT_EQ(deleted.details.at("points"), 1);
  EXPECT_EQ(deleted.details.at("validations"), 1);
  EXPECT_EQ(deleted.details.at("verdict"), "FAIL");
}

TEST_P(GovernanceTest, AuditQueryBySinceAndLimit) {
  const std::string a = run("first-run");
  const Timestamp between = now();
  const std::string b = run("second-run");
  AuditQuery since;
  since.since = between;
  for (const auto& event : store_.audit_events(since)) EXPECT_EQ(event.run_id, b);
  AuditQuery newest;
  newest.limit = 1;
  auto last = store_.audit_events(newest);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].run_id, b);
  EXPECT_EQ(last[0].action, "run.finished");
}

TEST_P(GovernanceTest, WaiversAreQueriedByRunExperimentAndTime) {
  const std::string id = run("waived-run");
  Waiver for_run;
  for_run.run_id = "waived-run";  // a name resolves like any run reference
  for_run.rule_id = "min-epochs";
  for_run.reason = "smoke test";
  for_run.owner = "alice";
  for_run.until = now() + 3600;
  const auto run_waiver = store_.add_waiver(for_run);
  Waiver for_experiment;
  for_experiment.experiment = "mnist";
  for_experiment.rule_id = "final-accuracy";
  for_experiment.reason = "dataset under review";
  const auto experiment_waiver = store_.add_waiver(for_experiment);
  Waiver elsewhere = for_experiment;
  elsewhere.experiment = "cifar";
  store_.add_waiver(elsewhere);

  WaiverQuery query;
  query.run_id = id;
  query.experiment = "mnist";
  query.in_force_at = now();
  auto in_force = store_.waivers(query);
  ASSERT_EQ(in_force.size(), 2u);
  EXPECT_EQ(in_force[0].id, run_waiver);
  EXPECT_EQ(in_force[0].run_id, id);
  EXPECT_EQ(in_force[0].owner, "alice");
  EXPECT_EQ(in_force[1].id, experiment_waiver);
  EXPECT_EQ(in_force[1].owner, current_actor().user);  // default owner: the OS user

  query.in_force_at = now() + 7200;  // the run waiver has expired by then
  auto later = store_.waivers(query);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].id, experiment_waiver);
  EXPECT_FALSE(in_force[0].in_force(now() + 7200));
  EXPECT_TRUE(in_force[0].in_force(now()));

  store_.revoke_waiver(experiment_waiver);
  query.in_force_at = now();
  auto after_revoke = store_.waivers(query);
  ASSERT_EQ(after_revoke.size(), 1u);
  EXPECT_EQ(after_revoke[0].id, run_waiver);
  EXPECT_EQ(store_.waivers().size(), 3u);  // every waiver, revoked included
}

TEST_P(GovernanceTest, WaiverNeedsReasonRuleAndOneTarget) {
  const std::string id = run("target-run");
  Waiver waiver;
  waiver.run_id = id;
  waiver.rule_id = "min-epochs";
  EXPECT_THROW(store_.add_waiver(waiver), InvalidArgument);  // no reason
  waiver.reason = "because";
  waiver.experiment = "mnist";
  EXPECT_THROW(store_.add_waiver(waiver), InvalidArgument);  // both targets
  waiver.experiment.clear();
  waiver.until = now() - 1;
  EXPECT_THROW(store_.add_waiver(waiver), InvalidArgument);  // already expired
  waiver.until.reset();
  waiver.reason = std::string(kMaxWaiverTextBytes + 1, 'x');
  EXPECT_THROW(store_.add_waiver(waiver), InvalidArgument);
  waiver.reason = "because";
  waiver.run_id = "no-such-run";
  EXPECT_THROW(store_.add_waiver(waiver), RunNotFound);
  EXPECT_TRUE(store_.waivers().empty());
}

TEST_P(GovernanceTest, RevokingTwiceOrUnknownIsNotFound) {
  Waiver waiver;
  waiver.experiment = "mnist";
  waiver.rule_id = "min-epochs";
  waiver.reason = "r";
  const auto id = store_.add_waiver(waiver);
  store_.revoke_waiver(id);
  try {
    store_.revoke_waiver(id);
    FAIL() << "revoked twice";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitNotFound);
    EXPECT_NE(std::string(e.what()).find("revoked already"), std::string::npos);
  }
  EXPECT_THROW(store_.revoke_waiver(id + 100), Error);
}

RankOptions rank_of(int rank, int world_size) {
  RankOptions options;
  options.job_id = "audited-job";
  options.rank = rank;
  options.world_size = world_size;
  return options;
}

TEST_P(GovernanceTest, JobRunStartsAndEndsOnceInTheAuditLogWhateverItsRanks) {
  RunOptions options;
  options.name = "ddp";
  options.experiment = "mnist";
  tracker::Run rank1 = store_.join_run(options, rank_of(1, 3));  // creates the run
  tracker::Run rank0 = store_.join_run(options, rank_of(0, 3));
  tracker::Run rank2 = store_.join_run(options, rank_of(2, 3));
  rank0.finish();
  rank2.finish(RunStatus::kAborted, "diverged");
  EXPECT_EQ(actions(rank0.id()), (std::vector<std::string>{"run.started"}));  // ranks still run
  rank1.finish();
  EXPECT_EQ(actions(rank0.id()), (std::vector<std::string>{"run.started", "run.aborted"}));
  AuditQuery query;
  query.run_id = rank0.id();
  const auto events = store_.audit_events(query);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].details.at("world_size"), 3);
  EXPECT_EQ(events[0].details.at("first_rank"), 1);
  EXPECT_EQ(events[1].details.at("status"), "aborted");
  EXPECT_EQ(events[1].details.at("error"), "rank 2: diverged");
  EXPECT_EQ(events[1].details.at("last_rank"), 1);
  EXPECT_EQ(store_.get_run(rank0.id()).status, RunStatus::kAborted);
}

TEST_P(GovernanceTest, LatestValidationsReadsTheLastRecordOfEachRunInTheOrderAsked) {
  const std::string twice = run("validated-twice");
  const std::string once = run("validated-once");
  const std::string never = run("never-validated");
  ValidationRecord first = validation(twice);
  first.verdict = "FAIL";
  first.score = 40.0;
  store_.add_validation(first);
  ValidationRecord second = validation(twice);
  second.verdict = "PASS";
  second.score = 95.0;
  second.violations = nlohmann::json::array({{{"rule_id", "min-epochs"}}});
  const std::int64_t second_id = store_.add_validation(second);
  ValidationRecord only = validation(once);
  only.rules_name = "other";
  const std::int64_t only_id = store_.add_validation(only);

  const auto latest = store_.latest_validations({never, once, "0123456789abcdef", twice, once});
  ASSERT_EQ(latest.size(), 5u);
  EXPECT_FALSE(latest[0]);
  EXPECT_FALSE(latest[2]);  // an unknown id has none
  ASSERT_TRUE(latest[1] && latest[3] && latest[4]);
  EXPECT_EQ(latest[1]->id, only_id);
  EXPECT_EQ(latest[1]->run_id, once);
  EXPECT_EQ(latest[1]->rules_name, "other");
  EXPECT_EQ(latest[4]->id, only_id);  // an id asked twice gets its record twice
  EXPECT_EQ(latest[3]->id, second_id);
  EXPECT_EQ(latest[3]->verdict, "PASS");
  EXPECT_EQ(latest[3]->score, 95.0);
  EXPECT_EQ(latest[3]->violations, second.violations);
  // The same record as the one-run read.
  const auto one = store_.latest_validation(twice);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->id, latest[3]->id);
  EXPECT_EQ(one->created_at, latest[3]->created_at);
  EXPECT_TRUE(store_.latest_validations({}).empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, GovernanceTest, ::testing::ValuesIn(testing::test_backends()),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace vigil::tracker
