// End-to-end tests of the governance commands: waive / unwaive / waivers ls and their effect on
// `vigil validate`, `vigil audit`, `rules show --hash`, policies bound to experiments,
// `validate --format junit|markdown` (the JUnit checked against an XSD with xmllint),
// `validate --baseline` and `vigil report`. Parameterised over the store backends
// (store_uris.h).
#include <fstream>
#include <iterator>

#include "cli_fixture.h"
#include "store_uris.h"

namespace vigil::testing {
namespace {

class GovernanceCommand : public CliTest, public ::testing::WithParamInterface<std::string> {
 protected:
  GovernanceCommand() { store_ = fresh_store_uri(GetParam(), dir_, "store"); }

  // lr in range is an error rule, epochs >= 10 a warning (the default policy).
  std::string add_judged_run(const std::string& name, double lr, int epochs,
                             const std::string& experiment = "mnist", double accuracy = 0.9) {
    tracker::Store store(store_path(), store_options());
    tracker::RunOptions options;
    options.name = name;
    options.experiment = experiment;
    options.params = {{"optimizer", {{"name", "sgd"}, {"lr", lr}}}, {"epochs", epochs}};
    tracker::Run run = store.start_run(options);
    run.log_metric("loss", 0.3, 0);
    run.log_results({{"final_accuracy", accuracy}});
    run.finish();
    return run.id();
  }

  std::string write_file(const std::string& name, const std::string& text) {
    std::string path = dir_.file(name);
    std::ofstream(path) << text;
    return path;
  }

  static std::string read(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  nlohmann::json validate_json(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"validate", "--format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessResult result = vigil(args);
    EXPECT_NE(result.exit_code, 2) << result.err;
    return nlohmann::json::parse(result.out);
  }
};

TEST_P(GovernanceCommand, WaiverTurnsARefusedConfigIntoPassUntilRevoked) {
  const std::string id = add_judged_run("high-lr-run", 0.5, 20);
  EXPECT_EQ(vigil({"validate", id}).exit_code, 1);
  ProcessResult waive = vigil({"waive", id, "learning-rate-range", "--reason",
                               "lr sweep approved by the platform team", "--by", "alice"});
  ASSERT_EQ(waive.exit_code, 0) << waive.err;
  EXPECT_NE(waive.out.find("waiver 1: rule learning-rate-range waived for run"), std::string::npos)
      << waive.out;

  ProcessResult pass = vigil({"validate", id});
  EXPECT_EQ(pass.exit_code, 0) << pass.out;
  EXPECT_NE(pass.out.find("Waived (1, not counted)"), std::string::npos) << pass.out;
  EXPECT_NE(pass.out.find("lr sweep approved by the platform team"), std::string::npos);
  const nlohmann::json report = validate_json({id})["reports"][0];
  EXPECT_EQ(report["verdict"], "PASS");
  EXPECT_EQ(report["waived"], 1);
  EXPECT_EQ(report["violations"][0]["waiver"]["owner"], "alice");

  ProcessResult listed = vigil({"waivers", "ls", "--format", "json"});
  const auto waivers = nlohmann::json::parse(listed.out);
  ASSERT_EQ(waivers.size(), 1u);
  EXPECT_EQ(waivers[0]["rule_id"], "learning-rate-range");
  EXPECT_EQ(waivers[0]["run_id"], id);

  ASSERT_EQ(vigil({"unwaive", "1"}).exit_code, 0);
  EXPECT_EQ(vigil({"validate", id}).exit_code, 1);
  EXPECT_EQ(nlohmann::json::parse(vigil({"waivers", "ls", "--format", "json"}).out).size(), 0u);
  EXPECT_EQ(nlohmann::json::parse(vigil({"waivers", "ls", "--all", "--format", "json"}).out).size(),
            1u);
  ProcessResult again = vigil({"unwaive", "1"});
  EXPECT_EQ(again.exit_code, 3) << again.err;
}

TEST_P(GovernanceCommand, ExpiredWaiverNoLongerApplies) {
  const std::string id = add_judged_run("short-run", 0.01, 2);
  ASSERT_EQ(
      vigil({"waive", id, "min-epochs", "--reason", "smoke", "--until", "2099-01-01"}).exit_code,
      0);
  EXPECT_EQ(validate_json({id})["reports"][0]["score"], 100.0);
  // A waiver cannot be granted in the past, so expiry is checked by the library tests; here:
  ProcessResult past =
      vigil({"waive", id, "min-epochs", "--reason", "smoke", "--until", "2001-01-01"});
  EXPECT_EQ(past.exit_code, 2);
  EXPECT_NE(past.err.find("not in the future"), std::string::npos) << past.err;
}

TEST_P(GovernanceCommand, ExperimentWaiverAndUsageErrors) {
  const std::string a = add_judged_run("short-one", 0.01, 2, "mnist");
  const std::string b = add_judged_run("short-two", 0.01, 2, "cifar");
  ASSERT_EQ(
      vigil({"waive", "--experiment", "mnist", "min-epochs", "--reason", "tiny dataset"}).exit_code,
      0);
  EXPECT_EQ(validate_json({a})["reports"][0]["score"], 100.0);
  EXPECT_EQ(validate_json({b})["reports"][0]["score"], 90.0);
  EXPECT_EQ(vigil({"waive", a, "min-epochs"}).exit_code, 2);  // --reason is required
  EXPECT_EQ(vigil({"waive", a, "min-epochs", "--reason", ""}).exit_code, 2);
  EXPECT_EQ(vigil({"waive", "--experiment", "mnist", a, "min-epochs", "--reason", "x"}).exit_code,
            2);
  EXPECT_EQ(vigil({"waive", "nosuchrun", "min-epochs", "--reason", "x"}).exit_code, 3);
  EXPECT_EQ(vigil({"waive", a, "min-epochs", "--reason", "x", "--until", "2026-02-30"}).exit_code,
            2);
}

TEST_P(GovernanceCommand, AuditListsEveryActionAndKeepsDeletedRuns) {
  const std::string id = add_judged_run("audited-run", 0.5, 20);
  vigil({"validate", id});
  vigil({"runs", "tag", id, "reviewed"});
  vigil({"waive", id, "learning-rate-range", "--reason", "ok"});
  vigil({"unwaive", "1"});
  vigil({"runs", "untag", id, "reviewed"});
  ASSERT_EQ(vigil({"runs", "rm", id, "--yes"}).exit_code, 0);
  ProcessResult audit = vigil({"audit", "--run", id, "--format", "json"});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  std::vector<std::string> actions;
  for (const auto& event : nlohmann::json::parse(audit.out)) {
    actions.push_back(event["action"]);
    EXPECT_FALSE(event["user"].get<std::string>().empty());
    EXPECT_FALSE(event["host"].get<std::string>().empty());
  }
  const std::vector<std::string> expected = {"run.started", "run.finished",   "validation",
                                             "tag.added",   "waiver.granted", "waiver.revoked",
                                             "tag.removed", "run.deleted"};
  EXPECT_EQ(actions, expected);
  ProcessResult table = vigil({"audit", "--since", "2000-01-01"});
  EXPECT_NE(table.out.find("run.deleted"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("policy.stored"), std::string::npos) << table.out;
  EXPECT_EQ(vigil({"audit", "--since", "yesterday"}).exit_code, 2);
}

TEST_P(GovernanceCommand, RulesShowHashExplainsAPastVerdictAfterTheFileChanged) {
  const std::string id = add_judged_run("policy-run", 0.01, 20);
  const std::string rules = write_file(
      "team.json", R"({"version": "2026.12", "name": "team", "rules": [)"
                   R"({"id": "lr", "kind": "max", "path": "params.optimizer.lr", "max": 0.001}]})");
  EXPECT_EQ(vigil({"validate", id, "--rules", rules}).exit_code, 1);
  write_file("team.json", R"({"version": "2027.01", "name": "team", "rules": []})");
  const std::string hash = validate_json({id, "--rules", rules})["reports"][0]["rules_hash"];
  ProcessResult unknown = vigil({"rules", "show", "--hash", "0000000000000000"});
  EXPECT_EQ(unknown.exit_code, 3) << unknown.out;
  // The first validation's policy: find its hash in the audit log.
  std::string first_hash;
  for (const auto& event : nlohmann::json::parse(vigil({"audit", "--format", "json"}).out)) {
    if (event["action"] == "validation" && first_hash.empty()) {
      first_hash = event["details"]["policy_hash"];
    }
  }
  ASSERT_FALSE(first_hash.empty());
  EXPECT_NE(first_hash, hash);
  ProcessResult shown = vigil({"rules", "show", "--hash", first_hash});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("policy team version 2026.12"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("\"max\": 0.001"), std::string::npos) << shown.out;
  const auto json =
      nlohmann::json::parse(vigil({"rules", "show", "--hash", hash, "--format", "json"}).out);
  EXPECT_EQ(json["version"], "2027.01");
}

TEST_P(GovernanceCommand, PolicyDirectoryBindsPoliciesToExperiments) {
  const std::string mnist = add_judged_run("mnist-run", 0.01, 20, "mnist-cnn");
  const std::string other = add_judged_run("other-run", 0.01, 20, "cifar");
  const std::string dir = dir_.file("policies");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/mnist.json")
      << R"({"name": "mnist-team", "version": "3", "experiments": ["mnist*"], "rules": [)"
         R"({"id": "tiny-lr", "kind": "max", "path": "params.optimizer.lr", "max": 0.001}]})";
  const auto reports = validate_json({"--policies", dir, "--status", "finished"})["reports"];
  ASSERT_EQ(reports.size(), 2u);
  for (const auto& report : reports) {
    if (report["run_id"] == mnist) {
      EXPECT_EQ(report["rules_name"], "mnist-team");
      EXPECT_EQ(report["rules_version"], "3");
      EXPECT_EQ(report["verdict"], "FAIL");
    } else {
      EXPECT_EQ(report["run_id"], other);
      EXPECT_EQ(report["rules_name"], "default");
    }
  }
  ProcessOptions env;
  env.env.emplace("VIGIL_POLICY_DIR", dir);
  ProcessResult from_env = vigil_raw(
      {VIGIL_CLI_PATH, "--store", store_path(), "validate", mnist, "--format", "json"}, "", env);
  EXPECT_EQ(nlohmann::json::parse(from_env.out)["reports"][0]["rules_name"], "mnist-team");
}

TEST_P(GovernanceCommand, AuditRuleIsReportedButNeverFailsValidate) {
  const std::string id = add_judged_run("audit-run", 0.01, 20);
  const std::string rules = write_file(
      "rollout.json",
      R"({"name": "rollout", "rules": [{"id": "new-rule", "kind": "max", "enforcement": "audit",)"
      R"( "path": "params.optimizer.lr", "max": 0.001}]})");
  ProcessResult result = vigil({"validate", id, "--rules", rules});
  EXPECT_EQ(result.exit_code, 0) << result.out;
  EXPECT_NE(result.out.find("Audit only (1, not enforced)"), std::string::npos) << result.out;
}

TEST_P(GovernanceCommand, JunitOutputMatchesTheSchemaCiToolsRead) {
  add_judged_run("good-run", 0.01, 20);
  add_judged_run("bad<run>&\"quoted\"", 0.5, 20);
  add_judged_run("other-exp-run", 0.01, 2, "cifar");
  ProcessResult result = vigil({"validate", "--format", "junit"});
  EXPECT_EQ(result.exit_code, 1);
  const std::string xml = write_file("junit.xml", result.out);
  ASSERT_TRUE(std::filesystem::exists(VIGIL_XMLLINT))
      << "xmllint not found (" << VIGIL_XMLLINT
      << "): install libxml2-utils (scripts/bootstrap.sh)";
  ProcessResult lint =
      run_process({VIGIL_XMLLINT, "--noout", "--schema", VIGIL_JUNIT_XSD, xml}, ProcessOptions{});
  EXPECT_EQ(lint.exit_code, 0) << lint.err << result.out;
  EXPECT_NE(result.out.find("<testsuites name=\"vigil validate\" tests=\"3\" failures=\"1\""),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("<testsuite name=\"mnist\" tests=\"2\" failures=\"1\""),
            std::string::npos);
  EXPECT_NE(result.out.find("name=\"bad&lt;run&gt;&amp;&quot;quoted&quot;"), std::string::npos);
  EXPECT_NE(result.out.find("<failure type=\"FAIL\""), std::string::npos);
  EXPECT_NE(result.out.find("learning-rate-range (error)"), std::string::npos);
}

TEST_P(GovernanceCommand, MarkdownOutputIsOneTableRowPerRun) {
  add_judged_run("good-run", 0.01, 20);
  add_judged_run("pipe|run", 0.5, 20);
  ProcessResult result = vigil({"validate", "--format", "markdown"});
  EXPECT_NE(result.out.find("| Run | Experiment | Policy | Verdict | Score | Violations |"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("pipe\\|run"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("2 runs validated: 1 PASS, 1 FAIL"), std::string::npos);
}

TEST_P(GovernanceCommand, BaselineGateComparesWithTheGivenRun) {
  const std::string rules = write_file(
      "gate.json", R"({"name": "gate", "rules": [{"id": "no-regression", "kind": "baseline",)"
                   R"( "path": "results.final_accuracy", "on_missing_baseline": "fail"}]})");
  const std::string baseline = add_judged_run("baseline-run", 0.01, 20, "mnist", 0.90);
  const std::string worse = add_judged_run("worse-run", 0.01, 20, "mnist", 0.85);
  const std::string better = add_judged_run("better-run", 0.01, 20, "mnist", 0.95);
  EXPECT_EQ(vigil({"validate", worse, "--rules", rules, "--baseline", "baseline-run"}).exit_code,
            1);
  EXPECT_EQ(vigil({"validate", better, "--rules", rules, "--baseline", baseline}).exit_code, 0);
  // Without a baseline rule in the policy, --baseline is a usage error.
  EXPECT_EQ(vigil({"validate", better, "--baseline", "best"}).exit_code, 2);
  EXPECT_EQ(vigil({"validate", better, "--rules", rules, "--baseline", "nosuch"}).exit_code, 3);
}

TEST_P(GovernanceCommand, ReportIsOneSelfContainedFile) {
  add_judged_run("good-run", 0.01, 20);
  const std::string bad = add_judged_run("<script>alert(1)</script>", 0.5, 2);
  vigil({"validate"});
  vigil({"waive", bad, "min-epochs", "--reason", "short <b>demo</b>"});
  const std::string html = dir_.file("report.html");
  ProcessResult result = vigil({"report", "--format", "html", "--output", html});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string page = read(html);
  EXPECT_EQ(page.find("<script"), std::string::npos);  // escaped, and no script of ours
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(page.find("http://"), page.find("http://www.w3.org/2000/svg"));  // SVG namespace only
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_NE(page.find("learning-rate-range"), std::string::npos);
  EXPECT_NE(page.find("short &lt;b&gt;demo&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(page.find("id=\"pass-rate\">50.0%"), std::string::npos);
  ProcessResult md = vigil({"report", "--format", "markdown"});
  EXPECT_NE(md.out.find("## Violations per rule"), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("| learning\\-rate\\-range | 1 |"), std::string::npos) << md.out;
  if (GetParam() == "sqlite") {  // the report never overwrites the store's file
    EXPECT_EQ(vigil({"report", "--output", store_path()}).exit_code, 2);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, GovernanceCommand, ::testing::ValuesIn(test_backends()),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace vigil::testing
