// During-training rules through TrainingMonitor, and their post-hoc replay over stored points.
#include <cmath>
#include <limits>
#include <map>

#include <gtest/gtest.h>

#include "rules_test_util.h"

namespace vigil::rules {
namespace {

using nlohmann::json;
using testing::make_run;
using testing::MemorySeries;
using testing::point;
using testing::rules_of;

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

TEST(NonFiniteRule, NaNStopsNowOnce) {
  TrainingMonitor monitor(rules_of({{"id", "nan"}, {"kind", "non_finite"}, {"metric", "loss"}}));
  EXPECT_EQ(monitor.observe_step("loss", 1, 2.3).decision, Decision::kContinue);
  auto result = monitor.observe_step("loss", 2, kNaN);
  EXPECT_EQ(result.decision, Decision::kStopNow);
  EXPECT_TRUE(result.stop());
  ASSERT_EQ(result.violations.size(), 1u);
  const auto& v = result.violations[0];
  EXPECT_EQ(v.rule_id, "nan");
  EXPECT_EQ(v.phase, Phase::kDuring);
  EXPECT_EQ(v.step, 2);
  EXPECT_EQ(v.actual, "NaN");
  EXPECT_EQ(v.path, "loss");
  EXPECT_EQ(v.decision, Decision::kStopNow);
  // Fires once; the monitor's decision stays stop.
  EXPECT_TRUE(monitor.observe_step("loss", 3, kNaN).violations.empty());
  EXPECT_EQ(monitor.decision(), Decision::kStopNow);
  EXPECT_EQ(monitor.violations().size(), 1u);
}

TEST(NonFiniteRule, InfinityStopsAndOtherMetricsAreIgnored) {
  TrainingMonitor monitor(rules_of({{"id", "nan"}, {"kind", "non_finite"}, {"metric", "loss"}}));
  EXPECT_EQ(monitor.observe_step("accuracy", 1, kNaN).decision, Decision::kContinue);
  EXPECT_TRUE(monitor.watches("loss"));
  EXPECT_FALSE(monitor.watches("accuracy"));
  auto result = monitor.observe_step("loss", 5, -kInf);
  EXPECT_EQ(result.decision, Decision::kStopNow);
  EXPECT_EQ(result.violations.at(0).actual, "-Infinity");
}

TEST(DivergenceRule, StopsWhenCrossingBoundNotAtIt) {
  TrainingMonitor monitor(rules_of(
      {{"id", "div"}, {"kind", "divergence"}, {"metric", "loss"}, {"max", 10}, {"min", 0}}));
  EXPECT_EQ(monitor.observe_step("loss", 1, 10.0).decision, Decision::kContinue);
  EXPECT_EQ(monitor.observe_step("loss", 2, 0.0).decision, Decision::kContinue);
  EXPECT_EQ(monitor.observe_step("loss", 3, kNaN).decision,
            Decision::kContinue);  // non_finite's job
  auto result = monitor.observe_step("loss", 4, 10.5);
  EXPECT_EQ(result.decision, Decision::kStopNow);
  EXPECT_EQ(result.violations.at(0).expected, "in [0, 10]");
}

TEST(DivergenceRule, LowerBoundAlone) {
  TrainingMonitor monitor(
      rules_of({{"id", "div"}, {"kind", "divergence"}, {"metric", "accuracy"}, {"min", 0.05}}));
  EXPECT_EQ(monitor.observe_step("accuracy", 1, 0.05).decision, Decision::kContinue);
  EXPECT_EQ(monitor.observe_step("accuracy", 2, 0.01).decision, Decision::kStopNow);
}

json plateau(double min_delta, int patience, const char* mode = "min") {
  return {{"id", "plateau"}, {"kind", "plateau"},    {"metric", "loss{subset=val}"},
          {"mode", mode},    {"patience", patience}, {"min_delta", min_delta}};
}

TEST(PlateauRule, StopsGracefullyAfterPatienceObservationsWithoutImprovement) {
  TrainingMonitor monitor(rules_of(plateau(0.25, 3)));
  EXPECT_EQ(monitor.observe_epoch("loss{subset=val}", 1, 2.0).decision, Decision::kContinue);
  EXPECT_EQ(monitor.observe_epoch("loss{subset=val}", 2, 1.5).decision,
            Decision::kContinue);  // improves
  // An improvement of exactly min_delta is not enough.
  EXPECT_EQ(monitor.observe_epoch("loss{subset=val}", 3, 1.25).decision, Decision::kContinue);
  EXPECT_EQ(monitor.observe_epoch("loss{subset=val}", 4, 1.3).decision, Decision::kContinue);
  auto result = monitor.observe_epoch("loss{subset=val}", 5, 1.4);
  EXPECT_EQ(result.decision, Decision::kStopGracefully);
  ASSERT_EQ(result.violations.size(), 1u);
  EXPECT_EQ(result.violations[0].step, 5);
  EXPECT_NE(result.violations[0].message.find("epoch 5"), std::string::npos);
}

TEST(PlateauRule, ImprovementResetsPatience) {
  TrainingMonitor monitor(rules_of(plateau(0.0, 2)));
  monitor.observe_epoch("loss{subset=val}", 1, 1.0);
  EXPECT_FALSE(monitor.observe_epoch("loss{subset=val}", 2, 1.0).stop());  // equal: no improvement
  EXPECT_FALSE(monitor.observe_epoch("loss{subset=val}", 3, 0.9).stop());  // improves: reset
  EXPECT_FALSE(monitor.observe_epoch("loss{subset=val}", 4, 0.95).stop());
  EXPECT_TRUE(monitor.observe_epoch("loss{subset=val}", 5, kNaN).stop());  // NaN never improves
}

TEST(PlateauRule, MaxMode) {
  TrainingMonitor monitor(rules_of(plateau(0.0, 1, "max")));
  monitor.observe_epoch("loss{subset=val}", 1, 0.5);
  EXPECT_FALSE(monitor.observe_epoch("loss{subset=val}", 2, 0.6).stop());
  EXPECT_TRUE(monitor.observe_epoch("loss{subset=val}", 3, 0.6).stop());
}

TEST(TargetRule, StopsGracefullyWhenReachedWithInfoSeverity) {
  TrainingMonitor monitor(rules_of(
      {{"id", "goal"}, {"kind", "target"}, {"metric", "accuracy{subset=val}"}, {"value", 0.9}}));
  EXPECT_FALSE(monitor.observe_epoch("accuracy{subset=val}", 1, 0.89).stop());
  auto result = monitor.observe_epoch("accuracy{subset=val}", 2, 0.9);
  EXPECT_EQ(result.decision, Decision::kStopGracefully);
  EXPECT_EQ(result.violations.at(0).severity, Severity::kInfo);
  auto report = monitor.report(make_run());
  EXPECT_EQ(report.phase, Phase::kDuring);
  EXPECT_EQ(report.verdict, Verdict::kPass);
  EXPECT_EQ(report.score, 100.0);  // info costs nothing by default
  EXPECT_EQ(report.counts.info, 1);
}

TEST(TargetRule, MinMode) {
  TrainingMonitor monitor(rules_of(
      {{"id", "goal"}, {"kind", "target"}, {"metric", "loss"}, {"value", 0.1}, {"mode", "min"}}));
  EXPECT_FALSE(monitor.observe_step("loss", 1, 0.11).stop());
  EXPECT_TRUE(monitor.observe_step("loss", 2, 0.1).stop());
}

TEST(TrainingMonitor, StrongestDecisionWinsAndIsSticky) {
  TrainingMonitor monitor(rules_of(json::array(
      {{{"id", "goal"}, {"kind", "target"}, {"metric", "loss"}, {"value", 1}, {"mode", "min"}},
       {{"id", "div"}, {"kind", "divergence"}, {"metric", "loss"}, {"min", 0.5}}})));
  EXPECT_EQ(monitor.observe_step("loss", 1, 0.9).decision, Decision::kStopGracefully);
  EXPECT_EQ(monitor.observe_step("loss", 2, 0.4).decision, Decision::kStopNow);
  EXPECT_EQ(monitor.decision(), Decision::kStopNow);
  EXPECT_EQ(monitor.watched_metrics(), std::vector<std::string>{"loss"});
}

TEST(TrainingMonitor, WarnOnlyReportsButNeverStops) {
  TrainingMonitor monitor(rules_of({{"id", "nan"}, {"kind", "non_finite"}, {"metric", "loss"}},
                                   {{"enforcement", "warn_only"}}));
  auto result = monitor.observe_step("loss", 1, kNaN);
  EXPECT_EQ(result.decision, Decision::kContinue);
  ASSERT_EQ(result.violations.size(), 1u);
  EXPECT_EQ(result.violations[0].decision, Decision::kStopNow);  // what the rule asked for
  EXPECT_EQ(monitor.decision(), Decision::kContinue);
  auto report = monitor.report(make_run());
  EXPECT_EQ(report.verdict, Verdict::kPass);
  EXPECT_EQ(report.enforced_verdict, Verdict::kFail);
}

TEST(TrainingMonitor, IgnoresPreAndPostRulesAndOffRules) {
  TrainingMonitor monitor(rules_of(json::array(
      {{{"id", "lr"}, {"kind", "min"}, {"path", "params.lr"}, {"min", 1}},
       {{"id", "nan"}, {"kind", "non_finite"}, {"metric", "loss"}, {"severity", "off"}}})));
  EXPECT_TRUE(monitor.watched_metrics().empty());
  EXPECT_FALSE(monitor.observe_step("loss", 1, kNaN).stop());
}

TEST(TrainingMonitor, MatchesSeriesNamesWhateverTheContextKeyOrder) {
  TrainingMonitor monitor(
      rules_of({{"id", "nan"}, {"kind", "non_finite"}, {"metric", "loss{subset=val,fold=1}"}}));
  EXPECT_EQ(monitor.watched_metrics(), std::vector<std::string>{"loss{fold=1,subset=val}"});
  EXPECT_TRUE(monitor.watches("loss{subset=val,fold=1}"));
  EXPECT_FALSE(monitor.watches("loss{subset=val}"));
  EXPECT_FALSE(monitor.watches("not{valid"));
  EXPECT_TRUE(monitor.observe_epoch("loss{subset=val,fold=1}", 1, kNaN).stop());
}

TEST(Replay, DuringRulesReplayStoredPoints) {
  auto rules = rules_of(json::array(
      {{{"id", "nan"}, {"kind", "non_finite"}, {"metric", "loss"}},
       {{"id", "plateau"}, {"kind", "plateau"}, {"metric", "loss{subset=val}"}, {"patience", 2}}}));
  MemorySeries source;
  source.series["loss"] = {point(1, 1.0), point(2, 0.5), point(3, kNaN), point(4, 0.4)};
  source.series["loss{subset=val}"] = {point(10, 1.0, 1), point(20, 0.8, 2), point(30, 0.9, 3)};
  EvaluationOptions options;
  options.phase = Phase::kDuring;
  options.series = &source;
  auto report = evaluate(rules, make_run(), options);
  EXPECT_EQ(report.rules_evaluated, 2);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].rule_id, "nan");
  EXPECT_EQ(report.violations[0].step, 3);
  EXPECT_EQ(report.verdict, Verdict::kFail);

  source.series["loss{subset=val}"].push_back(point(40, 0.85, 4));  // 2nd epoch without improvement
  report = evaluate(rules, make_run(), options);
  ASSERT_EQ(report.violations.size(), 2u);
  EXPECT_EQ(report.violations[1].rule_id, "plateau");
  EXPECT_EQ(report.violations[1].step, 4);  // epoch index for per-epoch points
}

TEST(Replay, MissingSourceOrSeriesIsMissingValue) {
  auto rules = rules_of(
      {{"id", "nan"}, {"kind", "non_finite"}, {"metric", "loss"}, {"when_missing", "warning"}});
  EvaluationOptions options;
  options.phase = Phase::kDuring;
  auto report = evaluate(rules, make_run(), options);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_TRUE(report.violations[0].not_evaluable);
  EXPECT_EQ(report.violations[0].severity, Severity::kWarning);

  MemorySeries empty;
  options.series = &empty;
  report = evaluate(rules, make_run(), options);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_TRUE(report.violations[0].not_evaluable);
  EXPECT_EQ(report.violations[0].severity, Severity::kWarning);
  EXPECT_NE(report.violations[0].message.find("no metric series 'loss'"), std::string::npos);
}

const json kEveryLoss = {{"id", "finite"}, {"kind", "non_finite"}, {"metric", {"loss", "*loss*"}}};

TEST(NonFiniteRule, ListAndPatternsWatchEveryNamedLossLive) {
  TrainingMonitor monitor(rules_of(kEveryLoss));
  EXPECT_TRUE(monitor.watches("loss"));
  EXPECT_TRUE(monitor.watches("loss{model=generator}"));
  EXPECT_TRUE(monitor.watches("d_loss"));
  EXPECT_FALSE(monitor.watches("accuracy"));
  EXPECT_EQ(monitor.observe_step("accuracy", 1, kNaN).decision, Decision::kContinue);
  EXPECT_EQ(monitor.observe_step("d_loss", 1, 0.7).decision, Decision::kContinue);
  auto result = monitor.observe_step("d_loss", 2, kInf);
  EXPECT_EQ(result.decision, Decision::kStopNow);
  ASSERT_EQ(result.violations.size(), 1u);
  EXPECT_EQ(result.violations[0].path, "d_loss");  // the concrete series that went bad
}

TEST(NonFiniteRule, PatternsReplayEveryMatchingStoredSeries) {
  auto rules = rules_of(kEveryLoss);
  auto run = make_run();
  testing::add_series(run, "accuracy", 0.5, 0.5, 0.5);
  testing::add_series(run, "loss{model=generator}", 1.0, 1.0, 1.0);
  testing::add_series(run, "loss{model=discriminator}", 1.0, 1.0, 1.0);
  MemorySeries source;
  source.series["accuracy"] = {point(1, kNaN)};  // not a loss: ignored
  source.series["loss{model=generator}"] = {point(1, 1.0), point(2, 0.9)};
  source.series["loss{model=discriminator}"] = {point(1, 1.0), point(2, kNaN)};
  EvaluationOptions options;
  options.phase = Phase::kDuring;
  options.series = &source;
  auto report = evaluate(rules, run, options);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].path, "loss{model=discriminator}");
  EXPECT_EQ(report.violations[0].step, 2);
  EXPECT_EQ(report.verdict, Verdict::kFail);

  source.series["loss{model=discriminator}"][1].value = 0.8;
  EXPECT_TRUE(evaluate(rules, run, options).violations.empty());
  // No loss series at all: missing (an info note by default), not a failure.
  report = evaluate(rules, make_run(), options);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].severity, Severity::kInfo);
  EXPECT_EQ(report.verdict, Verdict::kPass);
}

}  // namespace
}  // namespace vigil::rules
