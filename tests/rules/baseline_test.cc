// baseline rule against earlier PASS runs of a real store.
#include <gtest/gtest.h>

#include "rules_test_util.h"
#include "temp_dir.h"
#include "vigil/rules/baseline.h"
#include "vigil/rules/storage.h"
#include "vigil/tracker.h"

namespace vigil::rules {
namespace {

using nlohmann::json;

// Parameter: whether the rule reads its baselines through a BaselineRuns (as `vigil validate`
// does) or lists them from the store itself; both must judge alike.
class BaselineTest : public ::testing::TestWithParam<bool> {
 protected:
  BaselineTest() : store_(dir_.file("vigil.db"), options()) {}

  static tracker::StoreOptions options() {
    tracker::StoreOptions o;
    o.handle_signals = false;
    return o;
  }

  /// A finished run of `experiment` with results.final_accuracy = accuracy and, when given,
  /// a stored validation with that verdict.
  tracker::RunInfo add_run(double accuracy, std::optional<std::string> verdict,
                           const std::string& experiment = "exp") {
    tracker::RunOptions o;
    o.name = "run";
    o.experiment = experiment;
    auto run = store_.start_run(o);
    run.log_results({{"final_accuracy", accuracy}});
    run.finish();
    if (verdict) {
      tracker::ValidationRecord record;
      record.run_id = run.id();
      record.rules_name = "test";
      record.rules_hash = "0";
      record.phase = "all";
      record.verdict = *verdict;
      record.score = 100;
      record.created_at = tracker::now();
      store_.add_validation(record);
    }
    return store_.get_run(run.id());
  }

  Report check(const json& rule, const tracker::RunInfo& run) {
    EvaluationOptions options;
    options.phase = Phase::kPost;
    options.store = &store_;
    std::optional<BaselineRuns> baselines;
    if (GetParam()) options.baselines = &baselines.emplace(store_);
    return evaluate(testing::rules_of(rule), run, options);
  }

  static json baseline(const char* on_missing) {
    return {{"id", "no-regression"},
            {"kind", "baseline"},
            {"path", {"results.final_accuracy", "metrics.accuracy{subset=val}.last"}},
            {"on_missing_baseline", on_missing}};
  }

  vigil::testing::TempDir dir_;
  tracker::Store store_;
};

TEST_P(BaselineTest, NoEarlierPassRunFollowsPolicy) {
  add_run(0.99, "FAIL");               // FAIL runs are no baseline
  add_run(0.99, "PASS", "other-exp");  // nor runs of another experiment
  add_run(0.99, std::nullopt);         // nor unvalidated runs
  auto run = add_run(0.5, std::nullopt);
  EXPECT_TRUE(check(baseline("pass"), run).violations.empty());
  auto warn = check(baseline("warn"), run);
  ASSERT_EQ(warn.violations.size(), 1u);
  EXPECT_EQ(warn.violations[0].severity, Severity::kWarning);
  EXPECT_EQ(warn.verdict, Verdict::kPass);
  auto fail = check(baseline("fail"), run);
  ASSERT_EQ(fail.violations.size(), 1u);
  EXPECT_EQ(fail.violations[0].severity, Severity::kError);
  EXPECT_EQ(fail.verdict, Verdict::kFail);
}

TEST_P(BaselineTest, NoRegressionAgainstBestEarlierPassRun) {
  add_run(0.5, "PASS");
  add_run(0.75, "PASS");
  add_run(0.25, "PASS");
  auto equal = add_run(0.75, std::nullopt);
  EXPECT_TRUE(check(baseline("fail"), equal).violations.empty());
  auto worse = add_run(0.7, std::nullopt);
  auto report = check(baseline("fail"), worse);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].actual, 0.7);
  EXPECT_NE(report.violations[0].expected.find(">= 0.75"), std::string::npos)
      << report.violations[0].expected;
}

TEST_P(BaselineTest, LaterRunsAreNoBaseline) {
  auto run = add_run(0.5, std::nullopt);
  add_run(0.9, "PASS");  // created after `run`
  EXPECT_TRUE(check(baseline("pass"), run).violations.empty());
  EXPECT_EQ(check(baseline("fail"), run).violations.size(), 1u);
}

TEST_P(BaselineTest, MinimumAbsoluteAndRelativeImprovement) {
  add_run(0.5, "PASS");
  auto absolute = baseline("fail");
  absolute["min_improvement"] = 0.25;
  EXPECT_TRUE(check(absolute, add_run(0.75, std::nullopt)).violations.empty());
  EXPECT_EQ(check(absolute, add_run(0.625, std::nullopt)).violations.size(), 1u);
  auto relative = baseline("fail");
  relative["min_relative_improvement"] = 0.5;  // 50% better than 0.5
  EXPECT_TRUE(check(relative, add_run(0.75, std::nullopt)).violations.empty());
  EXPECT_EQ(check(relative, add_run(0.625, std::nullopt)).violations.size(), 1u);
}

TEST_P(BaselineTest, LowerIsBetterDirection) {
  add_run(0.5, "PASS");
  auto rule = baseline("fail");
  rule["direction"] = "min";
  EXPECT_TRUE(check(rule, add_run(0.25, std::nullopt)).violations.empty());
  EXPECT_EQ(check(rule, add_run(0.75, std::nullopt)).violations.size(), 1u);
}

TEST_P(BaselineTest, OwnValueMissingIsNotEvaluable) {
  add_run(0.5, "PASS");
  tracker::RunOptions o;
  o.experiment = "exp";
  auto live = store_.start_run(o);
  live.finish();
  auto report = check(baseline("pass"), store_.get_run(live.id()));
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_TRUE(report.violations[0].not_evaluable);
}

// One BaselineRuns through a whole validation, as `vigil validate` uses it: each stored verdict
// is recorded, and later runs compare with the PASS runs as they are then.
TEST(BaselineRunsTest, FollowsRecordedVerdicts) {
  vigil::testing::TempDir dir;
  tracker::StoreOptions store_options;
  store_options.handle_signals = false;
  tracker::Store store(dir.file("vigil.db"), store_options);
  std::vector<tracker::RunInfo> runs;
  for (double accuracy : {0.5, 0.7, 0.6}) {
    tracker::RunOptions o;
    o.name = "r" + std::to_string(runs.size());
    auto run = store.start_run(o);
    run.log_results({{"final_accuracy", accuracy}});
    run.finish();
    runs.push_back(store.get_run(run.id()));
  }
  const auto rules = testing::rules_of({{"id", "no-regression"},
                                        {"kind", "baseline"},
                                        {"path", "results.final_accuracy"},
                                        {"on_missing_baseline", "pass"}});
  BaselineRuns baselines(store);
  EvaluationOptions options;
  options.phase = Phase::kPost;
  options.store = &store;
  options.baselines = &baselines;
  auto validate = [&](const tracker::RunInfo& run) {
    Report report = evaluate(rules, run, options);
    store_report(store, report);
    baselines.record(run, report.verdict == Verdict::kPass);
    return report;
  };
  EXPECT_EQ(validate(runs[0]).verdict, Verdict::kPass);  // nothing earlier
  EXPECT_EQ(validate(runs[1]).verdict, Verdict::kPass);  // 0.7 >= 0.5
  const Report third = validate(runs[2]);                // 0.6 < 0.7 of r1
  ASSERT_EQ(third.violations.size(), 1u);
  EXPECT_NE(third.violations[0].expected.find(runs[1].id.substr(0, 8) + " r1"), std::string::npos)
      << third.violations[0].expected;
  baselines.record(runs[1], false);  // r1 no longer passes: r0 is the baseline again
  EXPECT_EQ(evaluate(rules, runs[2], options).verdict, Verdict::kPass);
  baselines.record(runs[1], true);
  EXPECT_EQ(evaluate(rules, runs[2], options).verdict, Verdict::kFail);
}

INSTANTIATE_TEST_SUITE_P(Lookup, BaselineTest, ::testing::Values(false, true),
                         [](const auto& param_info) {
                           return param_info.param ? "Cached" : "Listed";
                         });

}  // namespace
}  // namespace vigil::rules
