// Governance in the rules engine, against a real store: audit-mode rules, waivers (run and
// experiment, expiry, revocation) and their effect on score and verdict, policy versions and
// their storage, policies bound to experiments, and --baseline choices.
#include <fstream>

#include <gtest/gtest.h>

#include "rules_test_util.h"
#include "temp_dir.h"
#include "vigil/tracker.h"

namespace vigil::rules {
namespace {

using nlohmann::json;

// lr must be in range (error), epochs >= 10 (warning).
json policy_rules() {
  return json::array({{{"id", "lr-range"},
                       {"kind", "range"},
                       {"path", "params.lr"},
                       {"min", 0.0001},
                       {"max", 0.1}},
                      {{"id", "min-epochs"},
                       {"kind", "min"},
                       {"severity", "warning"},
                       {"path", "params.epochs"},
                       {"min", 10}}});
}

class GovernanceTest : public ::testing::Test {
 protected:
  GovernanceTest() : store_(dir_.file("vigil.db"), options()) {}

  static tracker::StoreOptions options() {
    tracker::StoreOptions o;
    o.handle_signals = false;
    return o;
  }

  tracker::RunInfo add_run(json params, const std::string& experiment = "mnist",
                           json results = json::object()) {
    tracker::RunOptions o;
    o.name = "governed-run";
    o.experiment = experiment;
    o.params = std::move(params);
    auto run = store_.start_run(o);
    run.log_results(results);
    run.finish();
    return store_.get_run(run.id());
  }

  Report check(const RuleSet& rules, const tracker::RunInfo& run,
               std::optional<tracker::Timestamp> at = std::nullopt) {
    EvaluationOptions options;
    options.store = &store_;
    options.created_at = at;
    return evaluate(rules, run, options);
  }

  tracker::Waiver waiver_for(const std::string& rule, const std::string& run_id,
                             const std::string& experiment = {}) {
    tracker::Waiver w;
    w.rule_id = rule;
    w.run_id = run_id;
    w.experiment = experiment;
    w.reason = "approved by the platform team";
    w.owner = "alice";
    return w;
  }

  vigil::testing::TempDir dir_;
  tracker::Store store_;
};

TEST_F(GovernanceTest, AuditRuleIsReportedButNeverCounted) {
  json rules = policy_rules();
  rules[0]["enforcement"] = "audit";
  const RuleSet set = testing::rules_of(rules);
  EXPECT_EQ(set.find("lr-range")->info().mode, RuleMode::kAudit);
  const auto run = add_run({{"lr", 0.5}, {"epochs", 20}});
  const Report report = check(set, run);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].mode, RuleMode::kAudit);
  EXPECT_FALSE(report.violations[0].counts());
  EXPECT_EQ(report.verdict, Verdict::kPass);
  EXPECT_EQ(report.score, 100.0);
  EXPECT_EQ(report.audited, 1);
  EXPECT_EQ(report.counts.total(), 0);
  // Enforced, the same run fails.
  EXPECT_EQ(check(testing::rules_of(policy_rules()), run).verdict, Verdict::kFail);
}

TEST_F(GovernanceTest, AuditRuleNeverRefusesBeforeTraining) {
  json rules = policy_rules();
  rules[0]["enforcement"] = "audit";
  tracker::RunInfo live = testing::make_run({{"lr", 5.0}, {"epochs", 20}});
  EvaluationOptions pre;
  pre.phase = Phase::kPre;
  const Report report = evaluate(testing::rules_of(rules), live, pre);
  EXPECT_TRUE(report.passed());
  EXPECT_EQ(report.violations.size(), 1u);
}

TEST_F(GovernanceTest, AuditDuringTrainingRuleNeverStopsTheRun) {
  const json finite = {
      {"id", "finite-loss"}, {"kind", "non_finite"}, {"metric", "loss"}, {"enforcement", "audit"}};
  TrainingMonitor monitor(testing::rules_of(finite));
  const MonitorResult result = monitor.observe_step("loss", 3, std::nan(""));
  ASSERT_EQ(result.violations.size(), 1u);
  EXPECT_EQ(result.decision, Decision::kContinue);
  EXPECT_EQ(result.violations[0].mode, RuleMode::kAudit);
  EXPECT_TRUE(monitor.report(testing::make_run()).passed());
}

TEST_F(GovernanceTest, UnknownModeIsAProblemAtItsPointer) {
  json rules = policy_rules();
  rules[1]["enforcement"] = "sometimes";
  const auto problems = RuleSet::check(json{{"rules", rules}}.dump(), "t.json");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].pointer, "/rules/1/enforcement");
}

TEST_F(GovernanceTest, RunWaiverTurnsFailIntoPassAndStaysReported) {
  const RuleSet rules = testing::rules_of(policy_rules());
  const auto run = add_run({{"lr", 0.5}, {"epochs", 5}});
  const Report before = check(rules, run);
  EXPECT_EQ(before.verdict, Verdict::kFail);
  EXPECT_EQ(before.score, 70.0);
  const auto id = store_.add_waiver(waiver_for("lr-range", run.id));
  const Report after = check(rules, run);
  EXPECT_EQ(after.verdict, Verdict::kPass);
  EXPECT_EQ(after.score, 90.0);  // only the warning still counts
  ASSERT_EQ(after.violations.size(), 2u);
  ASSERT_TRUE(after.violations[0].waiver);
  EXPECT_EQ(after.violations[0].waiver->id, id);
  EXPECT_EQ(after.violations[0].waiver->reason, "approved by the platform team");
  EXPECT_EQ(after.violations[0].waiver->owner, "alice");
  EXPECT_FALSE(after.violations[0].waiver->experiment_wide);
  EXPECT_FALSE(after.violations[1].waiver);
  EXPECT_EQ(after.waived, 1);
  EXPECT_EQ(after.counts.error, 0);
  EXPECT_EQ(after.counts.warning, 1);
  // The waiver survives a round trip through the stored report.
  const Report stored = json(after).get<Report>();
  ASSERT_TRUE(stored.violations[0].waiver);
  EXPECT_EQ(stored.violations[0].waiver->owner, "alice");
  EXPECT_EQ(stored.waived, 1);
}

TEST_F(GovernanceTest, ExpiredWaiverStopsApplyingAtTheNextValidation) {
  const RuleSet rules = testing::rules_of(policy_rules());
  const auto run = add_run({{"lr", 0.5}, {"epochs", 20}});
  auto w = waiver_for("lr-range", run.id);
  w.until = tracker::now() + 3600;
  store_.add_waiver(w);
  EXPECT_EQ(check(rules, run).verdict, Verdict::kPass);
  const Report later = check(rules, run, tracker::now() + 7200);  // after the expiry
  EXPECT_EQ(later.verdict, Verdict::kFail);
  EXPECT_FALSE(later.violations[0].waiver);
}

TEST_F(GovernanceTest, RevokedWaiverNoLongerApplies) {
  const RuleSet rules = testing::rules_of(policy_rules());
  const auto run = add_run({{"lr", 0.5}, {"epochs", 20}});
  const auto id = store_.add_waiver(waiver_for("lr-range", run.id));
  EXPECT_EQ(check(rules, run).verdict, Verdict::kPass);
  store_.revoke_waiver(id);
  EXPECT_EQ(check(rules, run).verdict, Verdict::kFail);
}

TEST_F(GovernanceTest, ExperimentWaiverCoversEveryRunOfThatExperimentOnly) {
  const RuleSet rules = testing::rules_of(policy_rules());
  store_.add_waiver(waiver_for("min-epochs", "", "mnist"));
  const auto mnist = add_run({{"lr", 0.01}, {"epochs", 2}}, "mnist");
  const auto other = add_run({{"lr", 0.01}, {"epochs", 2}}, "cifar");
  const Report covered = check(rules, mnist);
  EXPECT_EQ(covered.score, 100.0);
  ASSERT_TRUE(covered.violations[0].waiver);
  EXPECT_TRUE(covered.violations[0].waiver->experiment_wide);
  EXPECT_EQ(check(rules, other).score, 90.0);
}

TEST_F(GovernanceTest, WaivedRuleCountsAsPassedUnderWeightedScoring) {
  const RuleSet rules = testing::rules_of(policy_rules(), {{"scoring", {{"model", "weighted"}}}});
  const auto run = add_run({{"lr", 0.5}, {"epochs", 20}});
  EXPECT_EQ(check(rules, run).score, 50.0);
  store_.add_waiver(waiver_for("lr-range", run.id));
  EXPECT_EQ(check(rules, run).score, 100.0);
}

TEST_F(GovernanceTest, VersionIsReadAndTheStoredPolicyExplainsTheVerdict) {
  const std::string text =
      json{{"version", "2026.12"}, {"name", "team"}, {"rules", policy_rules()}}.dump(2);
  const RuleSet rules = RuleSet::parse(text, "team.json");
  EXPECT_EQ(rules.version(), "2026.12");
  EXPECT_EQ(rules.text(), text);
  const auto run = add_run({{"lr", 0.5}, {"epochs", 20}});
  const Report report = check(rules, run);
  EXPECT_EQ(report.rules_version, "2026.12");
  store_report(store_, report, rules);
  const auto policy = store_.policy(rules.hash());
  ASSERT_TRUE(policy);
  EXPECT_EQ(policy->name, "team");
  EXPECT_EQ(policy->version, "2026.12");
  EXPECT_EQ(RuleSet::parse(policy->text, "stored").hash(), rules.hash());
  const auto record = store_.latest_validation(run.id);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->rules_hash, rules.hash());
  EXPECT_EQ(report_from_record(*record).rules_version, "2026.12");
}

TEST_F(GovernanceTest, VersionMustBeAPrintableStringOrTheLegacyOne) {
  EXPECT_EQ(RuleSet::parse(R"({"version": 1, "rules": []})", "t").version(), "1");
  for (const char* bad : {R"(2)", R"("")", R"("a\nb")", R"(["x"])"}) {
    const auto problems =
        RuleSet::check(std::string(R"({"rules": [], "version": )") + bad + "}", "t.json");
    ASSERT_EQ(problems.size(), 1u) << bad;
    EXPECT_EQ(problems[0].pointer, "/version");
  }
  const auto long_version = RuleSet::check(
      json{{"rules", json::array()}, {"version", std::string(65, 'v')}}.dump(), "t.json");
  EXPECT_EQ(long_version.size(), 1u);
}

class PolicyDirTest : public ::testing::Test {
 protected:
  void write(const std::string& name, const json& experiments, const std::string& policy_name) {
    json doc = {{"name", policy_name}, {"rules", json::array()}};
    if (!experiments.is_null()) doc["experiments"] = experiments;
    std::ofstream(dir_.file(name)) << doc.dump();
  }
  std::string dir() { return dir_.file(""); }
  vigil::testing::TempDir dir_;
};

TEST_F(PolicyDirTest, MostSpecificMatchingPolicyGovernsTheExperiment) {
  write("a-all.json", {"*"}, "everyone");
  write("b-mnist.json", {"mnist*", "fashion"}, "mnist-team");
  write("c-unbound.json", nullptr, "unbound");
  EXPECT_EQ(policy_for_experiment("mnist-cnn", dir()).name(), "mnist-team");
  EXPECT_EQ(policy_for_experiment("fashion", dir()).name(), "mnist-team");
  EXPECT_EQ(policy_for_experiment("cifar", dir()).name(), "everyone");
}

TEST_F(PolicyDirTest, NoMatchOrNoDirectoryIsTheDefaultPolicy) {
  write("b-mnist.json", {"mnist*"}, "mnist-team");
  EXPECT_EQ(policy_for_experiment("cifar", dir()).name(), "default");
  EXPECT_EQ(policy_for_experiment("mnist", "").name(), "default");
}

TEST_F(PolicyDirTest, TwoEquallySpecificPoliciesAreAnError) {
  write("a.json", {"mnist*"}, "one");
  write("b.json", {"mnis*t"}, "two");  // both 5 literal characters
  EXPECT_THROW(policy_for_experiment("mnist", dir()), RulesError);
  EXPECT_EQ(policy_for_experiment("other", dir()).name(), "default");
}

TEST_F(PolicyDirTest, BrokenPolicyFileOrMissingDirectoryIsAnError) {
  std::ofstream(dir_.file("broken.json")) << "{";
  EXPECT_THROW(policy_for_experiment("mnist", dir()), RulesError);
  EXPECT_THROW(policy_for_experiment("mnist", dir_.file("absent")), RulesError);
}

TEST_F(PolicyDirTest, ExperimentsMustBeANonEmptyArrayOfPatterns) {
  for (const char* bad : {R"([])", R"("mnist")", R"([""])", R"([1])"}) {
    const auto problems =
        RuleSet::check(std::string(R"({"rules": [], "experiments": )") + bad + "}", "t.json");
    ASSERT_EQ(problems.size(), 1u) << bad;
    EXPECT_EQ(problems[0].pointer.rfind("/experiments", 0), 0u) << problems[0].pointer;
  }
}

TEST_F(GovernanceTest, GivenBaselineRunIsComparedWhateverItsVerdict) {
  const json rule = {{"id", "no-regression"},
                     {"kind", "baseline"},
                     {"path", "results.final_accuracy"},
                     {"on_missing_baseline", "fail"}};
  const auto baseline = add_run({}, "mnist", {{"final_accuracy", 0.9}});  // never validated
  const auto candidate = add_run({}, "mnist", {{"final_accuracy", 0.8}});
  EvaluationOptions options;
  options.store = &store_;
  EXPECT_EQ(evaluate(testing::rules_of(rule), candidate, options).verdict, Verdict::kFail)
      << "no PASS run to compare with";
  options.baseline_run = &baseline;
  const Report report = evaluate(testing::rules_of(rule), candidate, options);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_NE(report.violations[0].expected.find("baseline 0.9"), std::string::npos)
      << report.violations[0].expected;
  const auto better = add_run({}, "mnist", {{"final_accuracy", 0.95}});
  EXPECT_TRUE(evaluate(testing::rules_of(rule), better, options).passed());
}

TEST_F(GovernanceTest, BestBaselineSearchesLaterRunsToo) {
  const json rule = {{"id", "no-regression"},
                     {"kind", "baseline"},
                     {"path", "results.final_accuracy"},
                     {"on_missing_baseline", "fail"}};
  const auto candidate = add_run({}, "mnist", {{"final_accuracy", 0.8}});
  const auto later = add_run({}, "mnist", {{"final_accuracy", 0.9}});
  tracker::ValidationRecord pass;
  pass.run_id = later.id;
  pass.rules_name = "t";
  pass.rules_hash = "0";
  pass.phase = "all";
  pass.verdict = "PASS";
  store_.add_validation(pass);
  EvaluationOptions options;
  options.store = &store_;
  options.baseline_any_time = true;
  const Report report = evaluate(testing::rules_of(rule), candidate, options);
  EXPECT_EQ(report.verdict, Verdict::kFail);
  EXPECT_NE(report.violations[0].expected.find("baseline 0.9"), std::string::npos);
}

}  // namespace
}  // namespace vigil::rules
