// End-to-end tests of `vigil rules check|show`.
#include <fstream>

#include "cli_fixture.h"

namespace vigil::testing {
namespace {

class RulesCommand : public CliTest {
 protected:
  std::string write_rules(const std::string& file, const std::string& text) {
    std::string path = dir_.file(file);
    std::ofstream(path) << text;
    return path;
  }
};

constexpr const char* kGoodRules = R"({
  "name": "team-policy",
  "rules": [
    {"id": "lr-range", "kind": "range", "path": "params.lr", "min": 0.0001, "max": 0.1},
    {"id": "loss-finite", "kind": "non_finite", "metric": "loss", "severity": "error"}
  ]
})";

TEST_F(RulesCommand, CheckGoodFileSaysOk) {
  std::string path = write_rules("good.json", kGoodRules);
  ProcessResult result = vigil({"rules", "check", path});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(result.out, path + ": ok, 2 rules\n");
}

TEST_F(RulesCommand, CheckListsEveryProblem) {
  std::string path = write_rules("bad.json", R"({
    "rules": [
      {"id": "a", "kind": "no-such-kind", "path": "params.lr"},
      {"id": "b", "kind": "range", "path": "params.lr", "min": 1},
      {"id": "c", "kind": "min", "path": "params.epochs", "min": 1, "severity": "fatal"}
    ]
  })");
  ProcessResult result = vigil({"rules", "check", path});
  EXPECT_EQ(result.exit_code, 1);
  std::vector<std::string> rows = lines(result.out);
  ASSERT_GE(rows.size(), 4u) << result.out;
  EXPECT_NE(result.out.find("/rules/0"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("no-such-kind"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("/rules/1"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("/rules/2"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("fatal"), std::string::npos) << result.out;
  EXPECT_EQ(rows.back(), path + ": " + std::to_string(rows.size() - 1) + " problems");
  for (std::size_t i = 0; i + 1 < rows.size(); ++i) {
    EXPECT_EQ(rows[i].rfind(path, 0), 0u) << "each problem names the file: " << rows[i];
  }
}

TEST_F(RulesCommand, CheckSeveralFilesReportsEachAndFailsIfAnyIsBad) {
  std::string good = write_rules("good.json", kGoodRules);
  std::string bad = write_rules("bad.json", R"({"rules": [{"id": "x", "kind": "range"}]})");
  ProcessResult result = vigil({"rules", "check", good, bad});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.out.find(good + ": ok, 2 rules\n"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find(bad + ": "), std::string::npos) << result.out;
}

TEST_F(RulesCommand, CheckSyntaxErrorGivesLineAndColumn) {
  std::string path = write_rules("syntax.json", "{\n  \"rules\": [\n    {\"id\": }\n  ]\n}\n");
  ProcessResult result = vigil({"rules", "check", path});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out.rfind(path + ":3:", 0), 0u) << result.out;
}

TEST_F(RulesCommand, CheckMissingFileIsAProblem) {
  ProcessResult result = vigil({"rules", "check", dir_.file("absent.json")});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.out.find("absent.json"), std::string::npos) << result.out;
}

TEST_F(RulesCommand, ShowDefaultPolicyListsItsRules) {
  ProcessResult result = vigil({"rules", "show"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* id : {"learning-rate-range", "min-epochs", "run-name", "final-accuracy"}) {
    EXPECT_NE(result.out.find(id), std::string::npos) << id << " in:\n" << result.out;
  }
  EXPECT_NE(result.out.find("default"), std::string::npos);
}

TEST_F(RulesCommand, ShowFileAsTableAndJson) {
  std::string path = write_rules("good.json", kGoodRules);
  ProcessResult table = vigil({"rules", "show", path});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("team-policy"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("lr-range"), std::string::npos);
  EXPECT_NE(table.out.find("loss-finite"), std::string::npos);
  ProcessResult json = vigil({"rules", "show", path, "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(parse_json(json.out), nlohmann::json::parse(kGoodRules));
}

TEST_F(RulesCommand, ShowBadFileIsOneLineError) {
  std::string path = write_rules("bad.json", R"({"rules": 3})");
  expect_error(vigil({"rules", "show", path}), 1, "bad.json");
}

}  // namespace
}  // namespace vigil::testing
