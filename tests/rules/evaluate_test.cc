// Evaluation, scoring and verdicts; the default policy on the reference governance cases.
#include "vigil/rules/evaluate.h"

#include <cmath>
#include <stdexcept>

#include <gtest/gtest.h>

#include "rules_test_util.h"

namespace vigil::rules {
namespace {

using nlohmann::json;
using testing::make_run;
using testing::rules_of;

tracker::RunInfo clean_run() {
  auto run = make_run({{"optimizer", {{"name", "sgd"}, {"lr", 0.01}}}, {"epochs", 10}},
                      {{"final_accuracy", 0.9}});
  run.name = "baseline";
  return run;
}

TEST(DefaultPolicy, CleanRunScores100Pass) {
  auto report = evaluate(RuleSet::default_rules(), clean_run());
  EXPECT_TRUE(report.violations.empty());
  EXPECT_EQ(report.score, 100);
  EXPECT_EQ(report.verdict, Verdict::kPass);
  EXPECT_EQ(report.rules_evaluated, 5);
  EXPECT_EQ(report.rules_name, "default");
  EXPECT_EQ(report.rules_hash, RuleSet::default_rules().hash());
  EXPECT_EQ(report.run_id, clean_run().id);
  EXPECT_EQ(report.phase, Phase::kAll);
}

TEST(DefaultPolicy, OneErrorScores80Fail) {
  auto run = clean_run();
  run.params["optimizer"]["lr"] = 0.5;
  auto report = evaluate(RuleSet::default_rules(), run);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].rule_id, "learning-rate-range");
  EXPECT_EQ(report.counts.error, 1);
  EXPECT_EQ(report.score, 80);
  EXPECT_EQ(report.verdict, Verdict::kFail);
}

TEST(DefaultPolicy, MissingLearningRateIsOneError) {
  auto run = clean_run();
  run.params.erase("optimizer");
  auto report = evaluate(RuleSet::default_rules(), run);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_TRUE(report.violations[0].not_evaluable);
  EXPECT_EQ(report.score, 80);
  EXPECT_EQ(report.verdict, Verdict::kFail);
}

TEST(DefaultPolicy, OneWarningScores90Pass) {
  auto run = clean_run();
  run.params["epochs"] = 9;
  auto report = evaluate(RuleSet::default_rules(), run);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].rule_id, "min-epochs");
  EXPECT_EQ(report.counts.warning, 1);
  EXPECT_EQ(report.score, 90);
  EXPECT_EQ(report.verdict, Verdict::kPass);
}

TEST(DefaultPolicy, RunNameOfFiveCharactersPasses) {
  auto run = clean_run();
  run.name = "abcde";
  EXPECT_TRUE(evaluate(RuleSet::default_rules(), run).violations.empty());
  run.name = "abcd";
  EXPECT_EQ(evaluate(RuleSet::default_rules(), run).score, 90);
  run.name = "";  // missing: the rule's when_missing makes that a warning too
  auto report = evaluate(RuleSet::default_rules(), run);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].rule_id, "run-name");
  EXPECT_EQ(report.violations[0].severity, Severity::kWarning);
  EXPECT_EQ(report.score, 90);
}

TEST(DefaultPolicy, FinalAccuracyAliasesAndBoundary) {
  auto run = clean_run();
  run.results = json::object();
  testing::add_series(run, "accuracy", 0.3, 0.1, 0.3);
  testing::add_series(run, "accuracy{subset=val}", 0.5, 0.1, 0.5);
  EXPECT_TRUE(evaluate(RuleSet::default_rules(), run).violations.empty());  // val 0.5 at bound
  run.metrics.pop_back();  // only the train accuracy, 0.3, remains
  auto report = evaluate(RuleSet::default_rules(), run);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].path, "metrics.accuracy.last");
  EXPECT_EQ(report.score, 90);
  run.results["final_accuracy"] = 0.49;
  report = evaluate(RuleSet::default_rules(), run);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].path, "results.final_accuracy");
}

TEST(DefaultPolicy, PrePhaseIgnoresResultsRules) {
  auto run = clean_run();
  run.results = json::object();
  EvaluationOptions options;
  options.phase = Phase::kPre;
  auto report = evaluate(RuleSet::default_rules(), run, options);
  EXPECT_EQ(report.rules_evaluated, 3);
  EXPECT_TRUE(report.violations.empty());
  EXPECT_EQ(report.phase, Phase::kPre);
  options.phase = Phase::kPost;
  report = evaluate(RuleSet::default_rules(), run, options);
  EXPECT_EQ(report.rules_evaluated, 1);
  EXPECT_EQ(report.counts.info, 1);  // no accuracy anywhere: missing, an unscored note
  EXPECT_EQ(report.score, 100);
}

TEST(DefaultPolicy, RegressionRunWithoutAccuracyOrEpochsScores100Pass) {
  // A regression model: a good lr and name, but no accuracy and no epochs param.
  auto run = make_run({{"optimizer", {{"name", "adam"}, {"lr", 0.001}}}, {"steps", 5000}},
                      {{"final_mse", 0.02}});
  run.name = "house-prices";
  auto report = evaluate(RuleSet::default_rules(), run);
  EXPECT_EQ(report.score, 100);
  EXPECT_EQ(report.verdict, Verdict::kPass);
  EXPECT_EQ(report.counts.error + report.counts.warning, 0);
  ASSERT_EQ(report.violations.size(), 2u);  // the two missing values are info notes
  EXPECT_EQ(report.violations[0].rule_id, "min-epochs");
  EXPECT_EQ(report.violations[1].rule_id, "final-accuracy");
  for (const auto& v : report.violations) EXPECT_EQ(v.severity, Severity::kInfo) << v.rule_id;
}

TEST(DefaultPolicy, EveryOptimizerOfAMultiOptimizerProgramIsChecked) {
  auto run = clean_run();
  run.params.erase("optimizer");
  run.params["optimizers"] = {{"generator", {{"name", "adam"}, {"lr", 0.0002}}},
                              {"discriminator", {{"name", "adam"}, {"lr", 0.0002}}}};
  EXPECT_TRUE(evaluate(RuleSet::default_rules(), run).violations.empty());
  run.params["optimizers"]["discriminator"]["lr"] = 0.3;
  auto report = evaluate(RuleSet::default_rules(), run);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].rule_id, "learning-rate-range");
  EXPECT_EQ(report.violations[0].path, "params.optimizers.discriminator.lr");
  EXPECT_EQ(report.verdict, Verdict::kFail);
}

TEST(DefaultPolicy, NaNLossFailsWhenReplayedAndStopsALiveRun) {
  auto run = clean_run();
  testing::add_series(run, "loss", 0.5, 0.5, 1.0);
  testing::MemorySeries source;
  source.series["loss"] = {testing::point(1, 1.0), testing::point(2, std::nan(""))};
  EvaluationOptions options;
  options.series = &source;
  auto report = evaluate(RuleSet::default_rules(), run, options);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].rule_id, "finite-loss");
  EXPECT_EQ(report.violations[0].severity, Severity::kError);
  EXPECT_EQ(report.violations[0].step, 2);
  EXPECT_EQ(report.verdict, Verdict::kFail);

  TrainingMonitor monitor(RuleSet::default_rules());
  EXPECT_TRUE(monitor.watches("loss"));
  EXPECT_EQ(monitor.observe_step("loss", 1, 0.7).decision, Decision::kContinue);
  EXPECT_EQ(monitor.observe_step("loss{model=critic}", 2, -HUGE_VAL).decision, Decision::kStopNow);
}

TEST(Evaluate, CollectsEveryViolationInRuleOrder) {
  auto run = make_run({{"lr", 5}, {"epochs", 1}}, {{"final_accuracy", 0.1}});
  run.name = "x";
  auto report = evaluate(RuleSet::default_rules(), run);
  ASSERT_EQ(report.violations.size(), 4u);
  EXPECT_EQ(report.violations[0].rule_id, "learning-rate-range");
  EXPECT_EQ(report.violations[3].rule_id, "final-accuracy");
  EXPECT_EQ(report.counts.error, 1);
  EXPECT_EQ(report.counts.warning, 3);
  EXPECT_EQ(report.counts.total(), 4);
  EXPECT_EQ(report.score, 50);
}

json failing(const std::string& id, const char* severity, double weight = 1.0) {
  return {{"id", id},
          {"kind", "required"},
          {"path", "params.absent"},
          {"severity", severity},
          {"weight", weight}};
}
json passing(const std::string& id, const char* severity, double weight = 1.0) {
  return {{"id", id},
          {"kind", "required"},
          {"path", "params.present"},
          {"severity", severity},
          {"weight", weight}};
}

TEST(Scoring, PenaltyFloorsAtZeroAndPenaltiesAreConfigurable) {
  json many = json::array();
  for (int i = 0; i < 6; ++i) many.push_back(failing("e" + std::to_string(i), "error"));
  auto run = make_run({{"present", 1}});
  EXPECT_EQ(evaluate(rules_of(many), run).score, 0);

  auto rules =
      rules_of(json::array({failing("e", "error"), failing("w", "warning"), failing("i", "info")}),
               {{"scoring", {{"penalties", {{"error", 50}, {"warning", 5}, {"info", 1}}}}}});
  auto report = evaluate(rules, run);
  EXPECT_EQ(report.score, 44);
  EXPECT_EQ(report.counts.info, 1);
}

TEST(Scoring, WeightedModelUsesPassedOverTotalWeightOfScoredRules) {
  auto run = make_run({{"present", 1}});
  auto rules = rules_of(json::array({passing("a", "error", 3), failing("b", "warning", 1),
                                     failing("c", "info", 100)}),
                        {{"scoring", {{"model", "weighted"}}}});
  auto report = evaluate(rules, run);
  EXPECT_EQ(report.total_weight, 4);
  EXPECT_EQ(report.passed_weight, 3);
  EXPECT_EQ(report.score, 75);
  EXPECT_EQ(report.verdict, Verdict::kPass);
  auto none_scored =
      rules_of(json::array({failing("c", "info")}), {{"scoring", {{"model", "weighted"}}}});
  EXPECT_EQ(evaluate(none_scored, run).score, 100);
  auto failing_error = rules_of(json::array({passing("a", "warning", 1), failing("b", "error", 1)}),
                                {{"scoring", {{"model", "weighted"}}}});
  report = evaluate(failing_error, run);
  EXPECT_EQ(report.score, 50);
  EXPECT_EQ(report.verdict, Verdict::kFail);
}

TEST(Verdict, MinScoreGateFailsOnWarningsAlone) {
  auto run = make_run({{"present", 1}});
  auto rules = rules_of(
      json::array({failing("w1", "warning"), failing("w2", "warning"), failing("w3", "warning")}),
      {{"verdict", {{"min_score", 75}}}});
  auto report = evaluate(rules, run);
  EXPECT_EQ(report.score, 70);
  EXPECT_EQ(report.counts.error, 0);
  EXPECT_EQ(report.verdict, Verdict::kFail);
  auto at_gate =
      rules_of(json::array({failing("w1", "warning")}), {{"verdict", {{"min_score", 90}}}});
  EXPECT_EQ(evaluate(at_gate, run).verdict, Verdict::kPass);
}

TEST(Enforcement, WarnOnlyReportsEverythingButPasses) {
  auto run = clean_run();
  run.params["optimizer"]["lr"] = 0.5;
  auto rules = RuleSet::default_rules();
  rules.set_enforcement(Enforcement::kWarnOnly);
  auto report = evaluate(rules, run);
  EXPECT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.counts.error, 1);
  EXPECT_EQ(report.score, 80);
  EXPECT_EQ(report.verdict, Verdict::kPass);
  EXPECT_EQ(report.enforced_verdict, Verdict::kFail);
  EXPECT_EQ(report.enforcement, Enforcement::kWarnOnly);
  EXPECT_EQ(RuleSet::default_rules().enforcement(), Enforcement::kEnforce);  // copy unaffected
}

TEST(Evaluate, OffRulesAreNotEvaluated) {
  auto rules = rules_of(json::array({failing("a", "off")}));
  auto report = evaluate(rules, make_run());
  EXPECT_EQ(report.rules_evaluated, 0);
  EXPECT_TRUE(report.violations.empty());
  EXPECT_EQ(report.score, 100);
}

TEST(Evaluate, BaselineWithoutStoreIsNotEvaluable) {
  auto rules = rules_of({{"id", "b"},
                         {"kind", "baseline"},
                         {"path", "results.final_accuracy"},
                         {"on_missing_baseline", "pass"}});
  auto report = evaluate(rules, clean_run());
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_TRUE(report.violations[0].not_evaluable);
  EXPECT_NE(report.violations[0].message.find("no store"), std::string::npos);
}

TEST(ComputeScore, ClampsToRange) {
  ScoringOptions scoring;
  SeverityCounts counts;
  counts.warning = 3;
  EXPECT_EQ(compute_score(scoring, counts, 0, 0), 70);
  counts.error = 10;
  EXPECT_EQ(compute_score(scoring, counts, 0, 0), 0);
  scoring.model = ScoringModel::kWeighted;
  EXPECT_EQ(compute_score(scoring, counts, 1, 3), 100.0 / 3);
}

}  // namespace
}  // namespace vigil::rules
