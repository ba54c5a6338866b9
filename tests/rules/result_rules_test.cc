// metric_threshold (baseline needs a store: baseline_test.cc).
#include <cmath>

#include <gtest/gtest.h>

#include "rules_test_util.h"

namespace vigil::rules {
namespace {

using nlohmann::json;
using testing::add_series;
using testing::check_one;
using testing::make_run;

json threshold(const char* stat, const char* direction, double value) {
  return {{"id", "t"},    {"kind", "metric_threshold"}, {"metric", "loss{subset=val}"},
          {"stat", stat}, {"direction", direction},     {"threshold", value}};
}

tracker::RunInfo run_with_loss(double last, double min, double max) {
  auto run = make_run();
  add_series(run, "loss{subset=val}", last, min, max);
  return run;
}

TEST(MetricThresholdRule, StatisticsAgainstBoundWithDirection) {
  auto run = run_with_loss(0.4, 0.3, 2.0);
  EXPECT_TRUE(check_one(threshold("last", "min", 0.4), run).violations.empty());  // at bound
  EXPECT_EQ(check_one(threshold("last", "min", 0.39), run).violations.size(), 1u);
  EXPECT_TRUE(check_one(threshold("best", "min", 0.3), run).violations.empty());  // best = min
  EXPECT_EQ(check_one(threshold("best", "min", 0.29), run).violations.size(), 1u);
  EXPECT_TRUE(check_one(threshold("max", "min", 2.0), run).violations.empty());
  EXPECT_TRUE(check_one(threshold("best", "max", 2.0), run).violations.empty());  // best = max
  EXPECT_EQ(check_one(threshold("min", "max", 0.31), run).violations.size(), 1u);
  auto exclusive = threshold("last", "min", 0.4);
  exclusive["inclusive"] = false;
  auto report = check_one(exclusive, run);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].expected, "< 0.4");
  EXPECT_EQ(report.violations[0].phase, Phase::kPost);
  EXPECT_EQ(report.violations[0].actual, 0.4);
}

TEST(MetricThresholdRule, MissingSeriesIsNotEvaluableAndNaNFails) {
  auto report = check_one(threshold("last", "min", 1.0), make_run());
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_TRUE(report.violations[0].not_evaluable);

  report = check_one(threshold("last", "min", 1.0), run_with_loss(std::nan(""), 0.1, 0.5));
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_FALSE(report.violations[0].not_evaluable);
  EXPECT_EQ(report.violations[0].actual, "NaN");
}

TEST(MetricThresholdRule, OnlyInPostPhase) {
  auto run = run_with_loss(5, 5, 5);
  EXPECT_TRUE(check_one(threshold("last", "min", 1.0), run, Phase::kPre).violations.empty());
  EXPECT_EQ(check_one(threshold("last", "min", 1.0), run, Phase::kPost).violations.size(), 1u);
}

}  // namespace
}  // namespace vigil::rules
