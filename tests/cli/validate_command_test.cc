// End-to-end tests of `vigil validate` (default policy and custom rules files) and of how its
// stored verdicts show up in `vigil runs`.
#include <fstream>

#include "cli_fixture.h"

namespace vigil::testing {
namespace {

class ValidateCommand : public CliTest {
 protected:
  /// A finished run judged by the default policy: lr range (error), epochs >= 10 (warning),
  /// name of 5+ characters (warning), final accuracy >= 0.5 (warning).
  std::string add_judged_run(const std::string& name, double lr, int epochs) {
    tracker::Store store(store_path(), store_options());
    tracker::RunOptions options;
    options.name = name;
    options.experiment = "mnist";
    options.params = {{"optimizer", {{"name", "sgd"}, {"lr", lr}}}, {"epochs", epochs}};
    tracker::Run run = store.start_run(options);
    run.log_metric("loss", 0.3, 0);
    run.log_results({{"final_accuracy", 0.9}});
    run.finish();
    return run.id();
  }

  std::string write_rules(const std::string& file, const std::string& text) {
    std::string path = dir_.file(file);
    std::ofstream(path) << text;
    return path;
  }

  std::vector<std::string> tags_of(const std::string& id) {
    return tracker::Store(store_path(), store_options()).get_run(id).tags;
  }
};

bool contains(const std::vector<std::string>& tags, const std::string& tag) {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

TEST_F(ValidateCommand, PassingRunExitsZeroAndStoresVerdict) {
  std::string id = add_judged_run("good-run", 0.01, 20);
  ProcessResult result = vigil({"validate", id});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("PASS"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("validated 1 run: 1 PASS, 0 FAIL"), std::string::npos) << result.out;
  std::vector<std::string> tags = tags_of(id);
  EXPECT_TRUE(contains(tags, "validated"));
  EXPECT_TRUE(contains(tags, "PASS"));
  tracker::Store store(store_path(), store_options());
  ASSERT_TRUE(store.latest_validation(id).has_value());
  EXPECT_EQ(store.latest_validation(id)->verdict, "PASS");
}

TEST_F(ValidateCommand, LearningRateOutOfRangeFailsWithExitOne) {
  std::string id = add_judged_run("bad-lr-run", 0.5, 20);
  ProcessResult result = vigil({"validate", id.substr(0, 8)});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE(result.out.find("learning-rate-range"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("FAIL"), std::string::npos);
  EXPECT_NE(result.out.find("validated 1 run: 0 PASS, 1 FAIL"), std::string::npos) << result.out;
  EXPECT_EQ(result.err, "");  // a failing verdict is a result, not an error
  EXPECT_TRUE(contains(tags_of(id), "FAIL"));
}

TEST_F(ValidateCommand, FailOnWarningFailsWarningOnlyRun) {
  std::string id = add_judged_run("few-epochs", 0.01, 2);
  ProcessResult lenient = vigil({"validate", id});
  EXPECT_EQ(lenient.exit_code, 0) << lenient.out << lenient.err;
  EXPECT_NE(lenient.out.find("min-epochs"), std::string::npos) << lenient.out;
  ProcessResult strict = vigil({"validate", id, "--fail-on", "warning"});
  EXPECT_EQ(strict.exit_code, 1) << strict.out << strict.err;
  EXPECT_NE(strict.out.find("1 PASS, 0 FAIL (1 PASS with warnings)"), std::string::npos)
      << strict.out;
  expect_error(vigil({"validate", id, "--fail-on", "info"}), 2, "info");
}

TEST_F(ValidateCommand, DefaultSelectsEveryFinishedRun) {
  add_judged_run("good-run", 0.01, 20);
  add_judged_run("bad-lr-run", 0.5, 20);
  std::string crashed;
  {
    tracker::Store store(store_path(), store_options());
    tracker::RunOptions options;
    options.name = "broken-run";
    tracker::Run run = store.start_run(options);
    run.finish(tracker::RunStatus::kFailed, "boom");
    crashed = run.id();
  }
  ProcessResult result = vigil({"validate"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.out.find("validated 2 runs: 1 PASS, 1 FAIL"), std::string::npos) << result.out;
  EXPECT_FALSE(contains(tags_of(crashed), "validated"));
  // Filters narrow the selection like in `runs ls`.
  ProcessResult filtered = vigil({"validate", "--name", "good"});
  EXPECT_EQ(filtered.exit_code, 0) << filtered.out;
  EXPECT_NE(filtered.out.find("validated 1 run: 1 PASS, 0 FAIL"), std::string::npos);
}

TEST_F(ValidateCommand, RevalidationReplacesVerdictAndRunsShowIt) {
  std::string id = add_judged_run("bad-lr-run", 0.5, 20);
  ASSERT_EQ(vigil({"validate", id}).exit_code, 1);
  EXPECT_TRUE(contains(tags_of(id), "FAIL"));

  std::string lenient = write_rules("lenient.json", R"({
    "name": "lenient",
    "rules": [{"id": "lr-loose", "kind": "range", "path": "params.optimizer.lr",
               "min": 0.0001, "max": 1}]
  })");
  ProcessResult again = vigil({"validate", id, "--rules", lenient});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  std::vector<std::string> tags = tags_of(id);
  EXPECT_TRUE(contains(tags, "PASS"));
  EXPECT_FALSE(contains(tags, "FAIL"));

  ProcessResult passing = vigil({"runs", "ls", "--verdict", "PASS", "--format", "json"});
  ASSERT_EQ(passing.exit_code, 0) << passing.err;
  nlohmann::json runs = parse_json(passing.out);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].at("verdict"), "PASS");
  EXPECT_EQ(runs[0].at("score"), 100.0);
  EXPECT_EQ(parse_json(vigil({"runs", "ls", "--verdict", "fail", "--format", "json"}).out).size(),
            0u);

  ProcessResult table = vigil({"runs", "ls"});
  std::vector<std::string> rows = lines(table.out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_NE(rows[1].find("PASS"), std::string::npos) << rows[1];
  EXPECT_NE(rows[1].find("100.0"), std::string::npos) << rows[1];

  ProcessResult show = vigil({"runs", "show", id});
  EXPECT_NE(show.out.find("Latest validation"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("lenient"), std::string::npos) << show.out;
  nlohmann::json shown = parse_json(vigil({"runs", "show", id, "--format", "json"}).out);
  EXPECT_EQ(shown.at("validation").at("verdict"), "PASS");
  EXPECT_EQ(shown.at("validation").at("rules_name"), "lenient");
}

TEST_F(ValidateCommand, DuringTrainingRulesReplayStoredSeries) {
  std::string finite = add_run("finite-loss", "mnist", {{"lr", 0.01}}, {1.0, 0.5, 0.25});
  std::string diverged = add_run("nan-loss", "mnist", {{"lr", 0.01}},
                                 {1.0, std::numeric_limits<double>::quiet_NaN(), 0.5});
  std::string rules = write_rules("finite.json", R"({
    "name": "finite",
    "rules": [{"id": "loss-finite", "kind": "non_finite", "metric": "loss"}]
  })");
  ProcessResult result = vigil({"validate", "--rules", rules, "--format", "json"});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  nlohmann::json reports = parse_json(result.out).at("reports");
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].at("run_id"), finite);  // oldest first
  EXPECT_EQ(reports[0].at("verdict"), "PASS");
  EXPECT_EQ(reports[1].at("run_id"), diverged);
  EXPECT_EQ(reports[1].at("verdict"), "FAIL");
  EXPECT_EQ(reports[1].at("violations").at(0).at("rule_id"), "loss-finite");
  EXPECT_EQ(reports[1].at("violations").at(0).at("step"), 1);
}

TEST_F(ValidateCommand, DefaultPolicyFailsARunWhoseLossWentNaN) {
  std::string id = add_run("nan-loss-run", "mnist",
                           {{"optimizer", {{"name", "sgd"}, {"lr", 0.01}}}, {"epochs", 10}},
                           {1.0, 0.7, std::numeric_limits<double>::quiet_NaN(), 0.5});
  ProcessResult result = vigil({"validate", id, "--fail-on", "error", "--format", "json"});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  nlohmann::json document = parse_json(result.out);
  const nlohmann::json& report = document.at("reports").at(0);
  EXPECT_EQ(report.at("verdict"), "FAIL");
  bool found = false;
  for (const nlohmann::json& violation : report.at("violations")) {
    if (violation.at("kind") != "non_finite") continue;
    found = true;
    EXPECT_EQ(violation.at("rule_id"), "finite-loss");
    EXPECT_EQ(violation.at("severity"), "error");
    EXPECT_EQ(violation.at("path"), "loss");
    EXPECT_EQ(violation.at("step"), 2);
    EXPECT_EQ(violation.at("actual"), "NaN");
  }
  EXPECT_TRUE(found) << report.dump(2);
  EXPECT_TRUE(contains(tags_of(id), "FAIL"));
  // The table output says the same.
  ProcessResult table = vigil({"validate", id});
  EXPECT_EQ(table.exit_code, 1);
  EXPECT_NE(table.out.find("finite-loss"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("FAIL"), std::string::npos) << table.out;
}

TEST_F(ValidateCommand, RegressionRunWithoutAccuracyOrEpochsPassesWith100) {
  // Made with the tracker API like any C++ program would: a good lr and name, no accuracy,
  // no epochs param.
  std::string id;
  {
    tracker::Store store(store_path(), store_options());
    tracker::RunOptions options;
    options.name = "house-prices";
    options.experiment = "regression";
    options.params = {{"optimizer", {{"name", "adam"}, {"lr", 0.001}}}, {"steps", 300}};
    tracker::Run run = store.start_run(options);
    for (int step = 0; step < 300; ++step) run.log_metric("loss", 10.0 / (step + 1), step);
    run.log_results({{"final_mse", 0.03}});
    run.finish();
    id = run.id();
  }
  ProcessResult result = vigil({"validate", id, "--fail-on", "warning", "--format", "json"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  const nlohmann::json report = parse_json(result.out).at("reports").at(0);
  EXPECT_EQ(report.at("verdict"), "PASS");
  EXPECT_EQ(report.at("score"), 100);
  EXPECT_EQ(report.at("counts").at("error"), 0);
  EXPECT_EQ(report.at("counts").at("warning"), 0);
  EXPECT_EQ(report.at("counts").at("info"), 2);  // no epochs, no accuracy: notes only
  EXPECT_TRUE(contains(tags_of(id), "PASS"));
}

TEST_F(ValidateCommand, RunsMayBeNamed) {
  std::string id = add_judged_run("named-run", 0.01, 20);
  ProcessResult result = vigil({"validate", "named-run"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_TRUE(contains(tags_of(id), "PASS"));
}

TEST_F(ValidateCommand, BaselineComparesWithEarlierRunsValidatedInTheSameCall) {
  auto add_with_accuracy = [&](const std::string& name, double accuracy) {
    tracker::Store store(store_path(), store_options());
    tracker::RunOptions options;
    options.name = name;
    options.experiment = "mnist";
    tracker::Run run = store.start_run(options);
    run.log_results({{"final_accuracy", accuracy}});
    run.finish();
    return run.id();
  };
  std::string older = add_with_accuracy("older", 0.9);
  std::string newer = add_with_accuracy("newer", 0.8);
  std::string rules = write_rules("baseline.json", R"({
    "rules": [{"id": "beats-baseline", "kind": "baseline", "path": "results.final_accuracy",
               "on_missing_baseline": "pass"}]
  })");
  ProcessResult result = vigil({"validate", "--rules", rules});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_TRUE(contains(tags_of(older), "PASS"));
  EXPECT_TRUE(contains(tags_of(newer), "FAIL")) << result.out;
}

TEST_F(ValidateCommand, JsonFormatHasReportsAndSummary) {
  std::string good = add_judged_run("good-run", 0.01, 20);
  add_judged_run("bad-lr-run", 0.5, 20);
  ProcessResult result = vigil({"validate", "--format", "json"});
  EXPECT_EQ(result.exit_code, 1);
  nlohmann::json document = parse_json(result.out);
  ASSERT_EQ(document.at("reports").size(), 2u);
  EXPECT_EQ(document.at("summary").at("validated"), 2);
  EXPECT_EQ(document.at("summary").at("pass"), 1);
  EXPECT_EQ(document.at("summary").at("fail"), 1);
  EXPECT_EQ(document.at("reports")[0].at("run_id"), good);  // oldest first
  const nlohmann::json& bad = document.at("reports")[1];
  EXPECT_EQ(bad.at("verdict"), "FAIL");
  ASSERT_FALSE(bad.at("violations").empty());
  EXPECT_EQ(bad.at("violations")[0].at("rule_id"), "learning-rate-range");
}

TEST_F(ValidateCommand, UnknownRunExitsThreeAndStoresNothing) {
  std::string id = add_judged_run("good-run", 0.01, 20);
  expect_error(vigil({"validate", id, "0000000000"}), 3, "0000000000");
  EXPECT_FALSE(contains(tags_of(id), "validated"));
}

TEST_F(ValidateCommand, MalformedRulesFileIsErrorAndStoresNothing) {
  std::string id = add_judged_run("good-run", 0.01, 20);
  std::string bad = write_rules("bad.json", R"({"rules": [{"id": "x", "kind": "nope"}]})");
  ProcessResult result = vigil({"validate", "--rules", bad});
  expect_error(result, 1, "bad.json");
  EXPECT_FALSE(contains(tags_of(id), "validated"));
  expect_error(vigil({"validate", "--rules", dir_.file("absent.json")}), 1, "absent.json");
}

}  // namespace
}  // namespace vigil::testing
