// Reports stored through tracker::Store::add_validation, and replay of stored series.
#include "vigil/rules/storage.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "rules_test_util.h"
#include "temp_dir.h"
#include "vigil/tracker.h"

namespace vigil::rules {
namespace {

class StorageTest : public ::testing::Test {
 protected:
  StorageTest() : store_(dir_.file("vigil.db"), options()) {}
  static tracker::StoreOptions options() {
    tracker::StoreOptions o;
    o.handle_signals = false;
    return o;
  }
  bool has_tag(const std::string& run_id, const std::string& tag) {
    auto tags = store_.get_run(run_id).tags;
    return std::find(tags.begin(), tags.end(), tag) != tags.end();
  }
  vigil::testing::TempDir dir_;
  tracker::Store store_;
};

TEST_F(StorageTest, StoresReportAndRevalidationReplacesVerdictTags) {
  tracker::RunOptions o;
  o.name = "storage-run";
  o.params = {{"lr", 0.5}, {"epochs", 20}};
  auto run = store_.start_run(o);
  run.log_results({{"final_accuracy", 0.9}});
  run.finish();

  auto info = store_.get_run(run.id());
  auto failed = evaluate(RuleSet::default_rules(), info);
  ASSERT_EQ(failed.verdict, Verdict::kFail);
  const auto first_id = store_report(store_, failed);
  EXPECT_TRUE(has_tag(run.id(), "validated"));
  EXPECT_TRUE(has_tag(run.id(), "FAIL"));
  EXPECT_FALSE(has_tag(run.id(), "PASS"));

  auto record = store_.latest_validation(run.id());
  ASSERT_TRUE(record);
  EXPECT_EQ(record->id, first_id);
  EXPECT_EQ(record->rules_name, "default");
  EXPECT_EQ(record->rules_hash, RuleSet::default_rules().hash());
  EXPECT_EQ(record->phase, "all");
  EXPECT_EQ(record->verdict, "FAIL");
  EXPECT_EQ(record->score, 80);
  ASSERT_EQ(record->violations.size(), 1u);
  EXPECT_EQ(record->violations[0].at("rule_id"), "learning-rate-range");
  auto back = report_from_record(*record);
  EXPECT_EQ(nlohmann::json(back), nlohmann::json(failed));
  EXPECT_EQ(store_.get_run(run.id()).verdict, "FAIL");

  // The team relaxes its policy; re-validation flips the tags.
  auto relaxed = RuleSet::parse(R"({"rules": [{"id": "lr", "kind": "max", "path": "params.lr",
                                               "max": 1}]})",
                                "relaxed");
  auto passed = evaluate(relaxed, store_.get_run(run.id()));
  ASSERT_EQ(passed.verdict, Verdict::kPass);
  store_report(store_, passed);
  EXPECT_TRUE(has_tag(run.id(), "PASS"));
  EXPECT_FALSE(has_tag(run.id(), "FAIL"));
  EXPECT_TRUE(has_tag(run.id(), "validated"));
  EXPECT_EQ(store_.validations(run.id()).size(), 2u);
  EXPECT_EQ(store_.get_run(run.id()).score, 100);
  tracker::RunFilter pass_filter;
  pass_filter.verdict = "PASS";
  EXPECT_EQ(store_.list_runs(pass_filter).size(), 1u);
}

TEST_F(StorageTest, ReportWithoutRunIdIsRejected) {
  Report report;
  EXPECT_THROW(store_report(store_, report), InvalidArgument);
}

TEST_F(StorageTest, ReplaysStoredSeriesForDuringRules) {
  tracker::RunOptions o;
  o.name = "nan-run";
  auto run = store_.start_run(o);
  for (int step = 1; step <= 5; ++step) {
    run.log_metric("loss", step == 4 ? std::numeric_limits<double>::quiet_NaN() : 1.0 / step, step);
  }
  for (int epoch = 1; epoch <= 3; ++epoch) {
    run.log_metric("accuracy", 0.3 * epoch, epoch * 10, epoch, {{"subset", "val"}});
  }
  run.finish();
  auto rules = RuleSet::parse(R"({"rules": [
      {"id": "nan", "kind": "non_finite", "metric": "loss"},
      {"id": "goal", "kind": "target", "metric": "accuracy{subset=val}", "value": 0.85},
      {"id": "missing", "kind": "non_finite", "metric": "grad_norm"}]})",
                              "during");
  EvaluationOptions options;
  options.phase = Phase::kDuring;
  options.store = &store_;
  auto report = evaluate(rules, store_.get_run(run.id()), options);
  ASSERT_EQ(report.violations.size(), 3u);
  EXPECT_EQ(report.violations[0].rule_id, "nan");
  EXPECT_EQ(report.violations[0].step, 4);
  EXPECT_EQ(report.violations[0].decision, Decision::kStopNow);
  EXPECT_EQ(report.violations[1].rule_id, "goal");
  EXPECT_EQ(report.violations[1].step, 3);  // epoch
  EXPECT_TRUE(report.violations[2].not_evaluable);
  EXPECT_EQ(report.verdict, Verdict::kFail);
}

// NaN/Inf params and results used to be stored as null and so read as "missing" by the rules.
TEST_F(StorageTest, NonFiniteParamsAndResultsReachTheRulesAsNumbers) {
  tracker::RunOptions o;
  o.params = {{"lr", std::numeric_limits<double>::quiet_NaN()}};
  auto run = store_.start_run(o);
  run.log_results({{"final_loss", std::numeric_limits<double>::infinity()}});
  run.finish();
  const auto stored = store_.get_run(run.id());
  auto report = testing::check_one(
      {{"id", "lr"}, {"kind", "range"}, {"path", "params.lr"}, {"min", 0}, {"max", 1}}, stored);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_FALSE(report.violations[0].not_evaluable) << report.violations[0].message;
  EXPECT_NE(report.violations[0].message.find("NaN"), std::string::npos)
      << report.violations[0].message;
  report = testing::check_one(
      {{"id", "loss"}, {"kind", "max"}, {"path", "results.final_loss"}, {"max", 10}}, stored);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_FALSE(report.violations[0].not_evaluable) << report.violations[0].message;
  EXPECT_NE(report.violations[0].message.find("Infinity"), std::string::npos)
      << report.violations[0].message;
}

}  // namespace
}  // namespace vigil::rules
