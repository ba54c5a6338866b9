// The compliance summary of the Governance page: buckets, violation outcomes, tallies.
#include "compliance.h"

#include <gtest/gtest.h>

#include "vigil/tracker/types.h"

namespace vigil::ui {
namespace {

using nlohmann::json;

tracker::Timestamp at(const char* text) { return tracker::parse_time(text); }

TEST(BucketStart, DayIsMidnightUtcAndWeekIsTheMondayBefore) {
  EXPECT_EQ(bucket_start(at("2026-11-29T23:59:59Z"), Bucket::kDay), at("2026-11-29"));
  // 2026-11-29 is a Sunday: its week began on Monday 2026-11-23.
  EXPECT_EQ(bucket_start(at("2026-11-29T23:59:59Z"), Bucket::kWeek), at("2026-11-23"));
  EXPECT_EQ(bucket_start(at("2026-11-30T00:00:00Z"), Bucket::kWeek), at("2026-11-30"));
  EXPECT_EQ(bucket_start(at("2026-11-23T08:00:00Z"), Bucket::kWeek), at("2026-11-23"));
  // Before 1970 (negative timestamps) too: 1969-12-31 was a Wednesday.
  EXPECT_EQ(bucket_start(at("1969-12-31T12:00:00Z"), Bucket::kWeek), at("1969-12-29"));
}

json engine_violation(const std::string& severity, const std::string& enforcement,
                      json waiver = nullptr) {
  return {{"rule_id", "r"},
          {"kind", "range"},
          {"phase", "post"},
          {"severity", severity},
          {"path", "lr"},
          {"message", "m"},
          {"actual", 1},
          {"expected", "in [0, 1]"},
          {"not_evaluable", false},
          {"step", nullptr},
          {"decision", "continue"},
          {"enforcement", enforcement},
          {"waiver", std::move(waiver)}};
}

TEST(ViolationOutcome, FollowsTheRuleEngineForItsOwnObjects) {
  EXPECT_EQ(violation_outcome(engine_violation("error", "enforce")), ViolationOutcome::kCounted);
  EXPECT_EQ(violation_outcome(engine_violation("warning", "enforce")), ViolationOutcome::kCounted);
  EXPECT_EQ(violation_outcome(engine_violation("info", "enforce")), ViolationOutcome::kInfo);
  EXPECT_EQ(violation_outcome(engine_violation("error", "audit")), ViolationOutcome::kAudited);
  const json note = {{"id", 3},
                     {"reason", "approved"},
                     {"owner", "alice"},
                     {"until", nullptr},
                     {"experiment_wide", false}};
  EXPECT_EQ(violation_outcome(engine_violation("error", "enforce", note)),
            ViolationOutcome::kWaived);
}

TEST(ViolationOutcome, ForeignOrOlderObjectsCountByTheirSeverity) {
  // Written before rule modes and waivers: no "enforcement", "waiver", "step" or "decision".
  EXPECT_EQ(violation_outcome({{"rule_id", "r"}, {"severity", "warning"}}),
            ViolationOutcome::kCounted);
  EXPECT_EQ(violation_outcome({{"rule_id", "r"}, {"severity", "info"}}), ViolationOutcome::kInfo);
  EXPECT_EQ(violation_outcome({{"rule_id", "r"}, {"severity", "bogus"}}),
            ViolationOutcome::kCounted);
  EXPECT_EQ(violation_outcome("not an object"), ViolationOutcome::kCounted);
  EXPECT_EQ(violation_outcome(json::object()), ViolationOutcome::kCounted);
}

tracker::ValidationRecord record(const std::string& verdict, double score, json violations) {
  tracker::ValidationRecord r;
  r.verdict = verdict;
  r.score = score;
  r.violations = std::move(violations);
  return r;
}

tracker::RunInfo run(const std::string& id, const std::string& experiment, const char* created) {
  tracker::RunInfo r;
  r.id = id;
  r.name = "run-" + id;
  r.experiment = experiment;
  r.created_at = at(created);
  return r;
}

TEST(ComplianceSummary, TalliesRatesHistogramRulesAndExperiments) {
  ComplianceSummary summary(Bucket::kWeek);
  auto lr = engine_violation("error", "enforce");
  lr["rule_id"] = "lr";
  summary.add(run("a1", "a", "2026-11-23T10:00:00Z"), record("PASS", 95.0, json::array()));
  summary.add(run("a2", "a", "2026-11-29T10:00:00Z"), record("FAIL", 45.0, {lr, lr}));
  summary.add(run("b1", "b", "2026-11-30T10:00:00Z"), record("FAIL", 5.0, json::array({lr})));
  summary.add_unvalidated();
  const json out = summary.to_json();
  EXPECT_EQ(out.at("runs"), 4);
  EXPECT_EQ(out.at("validated"), 3);
  EXPECT_EQ(out.at("passed"), 1);
  EXPECT_NEAR(out.at("pass_rate").get<double>(), 100.0 / 3, 1e-9);
  EXPECT_NEAR(out.at("mean_score").get<double>(), 145.0 / 3, 1e-9);
  ASSERT_EQ(out.at("over_time").size(), 2u);
  EXPECT_EQ(out.at("over_time")[0].at("start"), "2026-11-23");
  EXPECT_EQ(out.at("over_time")[0].at("validated"), 2);
  EXPECT_EQ(out.at("over_time")[0].at("mean_score"), 70.0);
  EXPECT_EQ(out.at("over_time")[1].at("start"), "2026-11-30");
  EXPECT_EQ(out.at("over_time")[1].at("pass_rate"), 0.0);
  std::vector<int> bins;
  for (const auto& bin : out.at("histogram")) bins.push_back(bin.at("runs").get<int>());
  EXPECT_EQ(bins, (std::vector<int>{1, 0, 0, 0, 1, 0, 0, 0, 0, 1}));
  ASSERT_EQ(out.at("rules").size(), 1u);
  const json& rule = out.at("rules")[0];
  EXPECT_EQ(rule.at("rule_id"), "lr");
  EXPECT_EQ(rule.at("counted"), 3);  // violations, two of them in one run
  EXPECT_EQ(rule.at("run_count"), 2);
  EXPECT_EQ(rule.at("runs")[0].at("id"), "a2");
  EXPECT_EQ(rule.at("runs")[1].at("outcome"), "counted");
  ASSERT_EQ(out.at("experiments").size(), 2u);
  EXPECT_EQ(out.at("experiments")[0].at("name"), "a");
  EXPECT_EQ(out.at("experiments")[0].at("pass_rate"), 50.0);
}

TEST(ComplianceSummary, EmptySelectionHasNullRatesNotZero) {
  ComplianceSummary summary(Bucket::kDay);
  summary.add_unvalidated();
  const json out = summary.to_json();
  EXPECT_EQ(out.at("validated"), 0);
  EXPECT_TRUE(out.at("pass_rate").is_null());
  EXPECT_TRUE(out.at("mean_score").is_null());
  EXPECT_TRUE(out.at("over_time").empty());
}

TEST(ComplianceSummary, ListsAtMostTheCapOfRunsPerRuleButCountsAll) {
  ComplianceSummary summary(Bucket::kDay);
  const json violation = {{"rule_id", "r"}, {"severity", "error"}};
  for (std::size_t i = 0; i < kMaxRuleRuns + 5; ++i) {
    summary.add(run(std::to_string(i), "e", "2026-11-23T00:00:00Z"),
                record("FAIL", 0.0, json::array({violation})));
  }
  const json rule = summary.to_json().at("rules").at(0);
  EXPECT_EQ(rule.at("run_count"), kMaxRuleRuns + 5);
  EXPECT_EQ(rule.at("runs").size(), kMaxRuleRuns);
}

}  // namespace
}  // namespace vigil::ui
