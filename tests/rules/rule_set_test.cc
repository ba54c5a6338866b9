// Loading rules files: every kind of malformed input is an error naming file and location.
#include "vigil/rules/rule_set.h"

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "rules_test_util.h"
#include "temp_dir.h"

namespace vigil::rules {
namespace {

using testing::problems_text;

/// The problems of a rules text holding one rule object (JSON text) besides valid defaults.
std::vector<Problem> problems_of_rule(const std::string& rule) {
  return RuleSet::check(R"({"rules": [)" + rule + "]}", "t.json");
}

/// Asserts exactly one problem at `pointer` whose message contains `needle`.
void expect_one_problem(const std::vector<Problem>& problems, const std::string& pointer,
                        const std::string& needle) {
  ASSERT_EQ(problems.size(), 1u) << problems_text(problems);
  EXPECT_EQ(problems[0].pointer, pointer) << problems_text(problems);
  EXPECT_NE(problems[0].message.find(needle), std::string::npos) << problems_text(problems);
  EXPECT_EQ(problems[0].source, "t.json");
}

TEST(RuleSetParse, SyntaxErrorNamesFileLineAndColumn) {
  const std::string text = "{\n  \"rules\": [\n    {\"id\": \"a\",, }\n  ]\n}\n";
  try {
    RuleSet::parse(text, "broken.json");
    FAIL() << "accepted malformed JSON";
  } catch (const RulesError& e) {
    ASSERT_EQ(e.problems().size(), 1u);
    const auto& p = e.problems()[0];
    EXPECT_EQ(p.line, 3);
    EXPECT_EQ(p.column, 16);
    EXPECT_TRUE(p.pointer.empty());
    EXPECT_EQ(std::string(e.what()).rfind("broken.json:3:16: invalid JSON", 0), 0u) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
}

TEST(RuleSetParse, TruncatedAndEmptyTextAreSyntaxErrors) {
  for (const char* text : {"", "{", "{\"rules\": [}", "[1, 2"}) {
    auto problems = RuleSet::check(text, "t.json");
    ASSERT_EQ(problems.size(), 1u) << text;
    EXPECT_GT(problems[0].line, 0) << text;
  }
}

// Found by fuzz/rules_json.cc: nlohmann reports a number beyond double range as out_of_range,
// not parse_error, and it escaped RuleSet::parse as a foreign exception (now caught by the
// tracker's bounded parser).
TEST(RuleSetParse, NumberBeyondDoubleRangeIsAProblemNotACrash) {
  const char* text =
      R"({"rules": [{"id": "a", "kind": "min", "path": "params.lr", "min": 1e400}]})";
  auto problems = RuleSet::check(text, "huge.json");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_GT(problems[0].line, 0) << problems[0].message;
  EXPECT_THROW((void)RuleSet::parse(text, "huge.json"), RulesError);
}

TEST(RuleSetParse, UnknownKindListsKnownKinds) {
  expect_one_problem(problems_of_rule(R"({"id": "a", "kind": "rnage", "path": "params.x"})"),
                     "/rules/0/kind", "unknown rule kind 'rnage'");
  auto problems = problems_of_rule(R"({"id": "a", "kind": "rnage"})");
  EXPECT_NE(problems[0].message.find("range"), std::string::npos);
  EXPECT_NE(problems[0].message.find("(rule 'a')"), std::string::npos);
}

TEST(RuleSetParse, UnknownFieldIsAnError) {
  expect_one_problem(
      problems_of_rule(R"({"id": "a", "kind": "min", "path": "params.x", "mni": 3, "min": 1})"),
      "/rules/0/mni", "unknown field 'mni'");
  expect_one_problem(RuleSet::check(R"({"rules": [], "enforcment": "enforce"})", "t.json"),
                     "/enforcment", "unknown field 'enforcment'");
  expect_one_problem(
      RuleSet::check(R"({"rules": [], "scoring": {"penalties": {"fatal": 1}}})", "t.json"),
      "/scoring/penalties/fatal", "unknown field");
}

TEST(RuleSetParse, WrongTypesNameTheirPointer) {
  expect_one_problem(
      problems_of_rule(R"({"id": "a", "kind": "min", "path": "params.x", "min": "1"})"),
      "/rules/0/min", "expected a number, got a string");
  expect_one_problem(problems_of_rule(R"({"id": "a", "kind": "min", "path": 3, "min": 1})"),
                     "/rules/0/path", "expected a path string");
  expect_one_problem(
      problems_of_rule(R"({"id": "a", "kind": "min", "path": ["params.x", 2], "min": 1})"),
      "/rules/0/path/1", "expected a path string");
  expect_one_problem(
      problems_of_rule(
          R"({"id": "a", "kind": "min", "path": "params.x", "min": 1, "inclusive": "no"})"),
      "/rules/0/inclusive", "expected true or false");
  expect_one_problem(
      problems_of_rule(
          R"({"id": "a", "kind": "min", "path": "params.x", "min": 1, "severity": "fatal"})"),
      "/rules/0/severity", "expected one of off, info, warning, error");
  expect_one_problem(
      problems_of_rule(R"({"id": "a", "kind": "min", "path": "params.x", "min": 1, "weight": -1})"),
      "/rules/0/weight", "expected a number >= 0");
  expect_one_problem(
      problems_of_rule(
          R"({"id": "a", "kind": "min", "path": "params.x", "min": 1, "when_missing": "off"})"),
      "/rules/0/when_missing", "expected one of skip, info, warning, error");
  expect_one_problem(
      problems_of_rule(
          R"({"id": "a", "kind": "min", "path": "params.x", "min": 1, "when_missing": true})"),
      "/rules/0/when_missing", "expected one of skip, info, warning, error");
  expect_one_problem(
      problems_of_rule(
          R"({"id": "a", "kind": "required", "path": "params.x", "when_missing": "error"})"),
      "/rules/0/when_missing", "fails with its severity");
  expect_one_problem(problems_of_rule(R"({"id": "a", "kind": "baseline", "path":
                                        "results.*.acc", "on_missing_baseline": "pass"})"),
                     "/rules/0/path", "without a * key");
  expect_one_problem(
      problems_of_rule(R"({"id": "a", "kind": "plateau", "metric": "*loss", "patience": 2})"),
      "/rules/0/metric", "a * pattern is allowed only for non_finite and divergence");
  expect_one_problem(problems_of_rule(R"({"id": "a", "kind": "non_finite", "metric": []})"),
                     "/rules/0/metric", "a non-empty array of series names");
  expect_one_problem(
      problems_of_rule(R"({"id": "a", "kind": "non_finite", "metric": ["loss", 3]})"),
      "/rules/0/metric", "metric[1]: expected a qualified series name");
  expect_one_problem(RuleSet::check(R"({"rules": {}})", "t.json"), "/rules",
                     "expected an array of rule objects");
  expect_one_problem(RuleSet::check(R"([])", "t.json"), "", "expected a JSON object");
  expect_one_problem(RuleSet::check(R"({"rules": [], "verdict": {"min_score": 101}})", "t.json"),
                     "/verdict/min_score", "expected a number in [0, 100]");
  expect_one_problem(RuleSet::check(R"({"rules": [], "version": 2})", "t.json"), "/version",
                     "expected a version string");
  expect_one_problem(RuleSet::check(R"({"rules": [], "scoring": {"model": "linear"}})", "t.json"),
                     "/scoring/model", "expected \"penalty\" or \"weighted\"");
}

TEST(RuleSetParse, NumberOutOfRangeNamesFileLineAndColumn) {
  const auto problems = RuleSet::check("{\n  \"rules\": [],\n  \"version\": 1e999\n}", "t.json");
  ASSERT_EQ(problems.size(), 1u) << problems_text(problems);
  EXPECT_EQ(problems[0].line, 3);
  EXPECT_EQ(problems[0].column, 14);
  EXPECT_NE(problems[0].message.find("number out of range"), std::string::npos)
      << problems[0].message;
  EXPECT_EQ(problems[0].to_string().rfind("t.json:3:14: ", 0), 0u) << problems[0].to_string();
}

// nlohmann treats a NUL byte as the end of input: what followed it was silently ignored.
TEST(RuleSetParse, BytesAfterTheDocumentAreRejected) {
  using namespace std::string_literals;
  for (const std::string& text :
       {"{\"rules\": []}\0garbage"s, "{\"rules\": []}\n\0"s, "{\"rules\": []} {}"s}) {
    const auto problems = RuleSet::check(text, "t.json");
    ASSERT_EQ(problems.size(), 1u) << problems_text(problems);
    EXPECT_GT(problems[0].line, 0);
    EXPECT_NE(problems[0].message.find("invalid JSON"), std::string::npos);
  }
}

TEST(RuleSetParse, DeepNestingIsOneProblemNotACrash) {
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  const auto problems = RuleSet::check(R"({"rules": [], "description": )" + deep + "}", "t.json");
  ASSERT_EQ(problems.size(), 1u) << problems_text(problems);
  EXPECT_NE(problems[0].message.find("limit of 64"), std::string::npos) << problems[0].message;
  EXPECT_EQ(problems[0].line, 1);
}

TEST(RuleSetLoad, FilesOverTheSizeLimitAreRefusedAfterABoundedRead) {
  vigil::testing::TempDir dir;
  const std::string path = dir.file("big.json");
  {
    std::ofstream out(path);
    out << "{\"rules\": []" << std::string(kMaxRulesFileBytes, ' ') << "}";
  }
  for (const std::string& file : {path, std::string("/dev/zero")}) {
    const auto problems = RuleSet::check_file(file);
    ASSERT_EQ(problems.size(), 1u) << problems_text(problems);
    EXPECT_EQ(problems[0].source, file);
    EXPECT_NE(problems[0].message.find("larger than the limit of 1048576 bytes"), std::string::npos)
        << problems[0].message;
  }
  EXPECT_THROW(RuleSet::load_file("/dev/zero"), RulesError);
}

TEST(RuleSetParse, BadRegexIsAnError) {
  expect_one_problem(
      problems_of_rule(R"({"id": "a", "kind": "pattern", "path": "run.name", "pattern": "([a-z"})"),
      "/rules/0/pattern", "invalid regular expression /([a-z/");
}

TEST(RuleSetParse, BadPathsAndValuesOfKinds) {
  expect_one_problem(problems_of_rule(R"({"id": "a", "kind": "min", "path": "param.x", "min": 1})"),
                     "/rules/0/path", "unknown root 'param'");
  expect_one_problem(
      problems_of_rule(R"({"id": "a", "kind": "range", "path": "params.x", "min": 2, "max": 1})"),
      "/rules/0/max", "empty range");
  expect_one_problem(
      problems_of_rule(R"({"id": "a", "kind": "plateau", "metric": "loss", "patience": 0})"),
      "/rules/0/patience", "expected an integer >= 1");
  expect_one_problem(problems_of_rule(R"({"id": "a", "kind": "divergence", "metric": "loss"})"),
                     "/rules/0", "at least one of 'min' or 'max'");
  expect_one_problem(
      problems_of_rule(R"({"id": "a", "kind": "enum", "path": "params.x", "values": []})"),
      "/rules/0/values", "non-empty array");
  expect_one_problem(
      problems_of_rule(
          R"({"id": "a", "kind": "compare", "left": "params.a", "op": "=<", "right": "params.b"})"),
      "/rules/0/op", "unknown operator '=<'");
  expect_one_problem(problems_of_rule(R"({"id": "a", "kind": "baseline", "path": "results.acc"})"),
                     "/rules/0", "on_missing_baseline");
  expect_one_problem(
      problems_of_rule(
          R"({"id": "a", "kind": "metric_threshold", "metric": "loss", "threshold": 1, "stat": "median"})"),
      "/rules/0/stat", "unknown value 'median'");
  expect_one_problem(problems_of_rule(R"({"id": "a", "kind": "min", "path": "params.x"})"),
                     "/rules/0", "missing required field 'min'");
}

TEST(RuleSetParse, MissingAndDuplicateIds) {
  expect_one_problem(problems_of_rule(R"({"kind": "required", "path": "params.x"})"), "/rules/0",
                     "missing required field 'id'");
  auto problems = RuleSet::check(
      R"({"rules": [{"id": "a", "kind": "required", "path": "params.x"},
                    {"id": "a", "kind": "required", "path": "params.y"}]})",
      "t.json");
  expect_one_problem(problems, "/rules/1/id", "duplicate rule id 'a'");
}

TEST(RuleSetParse, DuplicateJsonKeysAreNotSilentlyDropped) {
  auto problems = RuleSet::check(
      R"({"rules": [{"id": "a", "kind": "min", "path": "params.x", "min": 1, "min": 2}]})",
      "t.json");
  expect_one_problem(problems, "/rules/0/min", "duplicate key 'min'");
}

TEST(RuleSetParse, WhenMissingIsReadIntoRuleInfoWithInfoAsDefault) {
  auto rules = RuleSet::parse(R"({"rules": [
      {"id": "a", "kind": "min", "path": "params.x", "min": 1},
      {"id": "b", "kind": "min", "path": "params.x", "min": 1, "when_missing": "skip"},
      {"id": "c", "kind": "min", "path": "params.x", "min": 1, "when_missing": "warning"},
      {"id": "d", "kind": "non_finite", "metric": "loss", "when_missing": "error"}]})",
                              "t.json");
  EXPECT_EQ(rules.find("a")->info().when_missing, Severity::kInfo);
  EXPECT_EQ(rules.find("b")->info().when_missing, Severity::kOff);  // skip
  EXPECT_EQ(rules.find("c")->info().when_missing, Severity::kWarning);
  EXPECT_EQ(rules.find("d")->info().when_missing, Severity::kError);
}

TEST(RuleSetParse, CheckReturnsEveryProblem) {
  auto problems = RuleSet::check(
      R"({"rules": [{"id": "a", "kind": "nope"},
                    {"id": "b", "kind": "min", "path": "params.x", "min": "1", "extra": 1},
                    {"id": "c", "kind": "pattern", "path": "run.name", "pattern": "("}],
          "enforcement": "sometimes"})",
      "t.json");
  EXPECT_EQ(problems.size(), 5u) << problems_text(problems);
  try {
    RuleSet::parse(R"({"rules": [{"id": "a", "kind": "nope"}, {"id": "b", "kind": "nope"}]})",
                   "t.json");
    FAIL();
  } catch (const RulesError& e) {
    EXPECT_EQ(e.problems().size(), 2u);
    EXPECT_NE(std::string(e.what()).find("(and 1 more problem)"), std::string::npos) << e.what();
  }
}

TEST(RuleSetParse, ValidFileHasNoProblemsAndKeepsSettings) {
  const std::string text = R"({
    "version": 1, "name": "team", "description": "d", "enforcement": "warn_only",
    "scoring": {"model": "weighted", "penalties": {"error": 30}}, "verdict": {"min_score": 70},
    "rules": [{"id": "a", "kind": "required", "path": "params.x", "severity": "info",
               "weight": 2.5, "description": "x is set"}]})";
  EXPECT_TRUE(RuleSet::check(text, "t.json").empty());
  auto rules = RuleSet::parse(text, "t.json");
  EXPECT_EQ(rules.name(), "team");
  EXPECT_EQ(rules.description(), "d");
  EXPECT_EQ(rules.source(), "t.json");
  EXPECT_EQ(rules.enforcement(), Enforcement::kWarnOnly);
  EXPECT_EQ(rules.scoring().model, ScoringModel::kWeighted);
  EXPECT_EQ(rules.scoring().error_penalty, 30);
  EXPECT_EQ(rules.scoring().warning_penalty, 10);
  EXPECT_EQ(rules.scoring().min_score, 70);
  ASSERT_EQ(rules.rules().size(), 1u);
  const auto& info = rules.rules()[0]->info();
  EXPECT_EQ(info.id, "a");
  EXPECT_EQ(info.kind, "required");
  EXPECT_EQ(info.severity, Severity::kInfo);
  EXPECT_EQ(info.weight, 2.5);
  EXPECT_EQ(info.description, "x is set");
  EXPECT_EQ(rules.hash(), content_hash(text));
  EXPECT_EQ(rules.document().at("name"), "team");
}

TEST(RuleSetLoad, FileNameAndHash) {
  vigil::testing::TempDir dir;
  const std::string path = dir.file("team-policy.json");
  const std::string text = R"({"rules": [{"id": "a", "kind": "required", "path": "params.x"}]})";
  std::ofstream(path) << text;
  auto rules = RuleSet::load_file(path);
  EXPECT_EQ(rules.name(), "team-policy");
  EXPECT_EQ(rules.source(), path);
  EXPECT_EQ(rules.hash(), content_hash(text));
  EXPECT_EQ(rules.hash().size(), 16u);
  EXPECT_NE(rules.hash(), content_hash(text + " "));
  EXPECT_TRUE(RuleSet::check_file(path).empty());
}

TEST(RuleSetLoad, UnreadableFileAndErrorsNameThePath) {
  vigil::testing::TempDir dir;
  const std::string missing = dir.file("nope.json");
  try {
    RuleSet::load_file(missing);
    FAIL();
  } catch (const RulesError& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
  EXPECT_EQ(RuleSet::check_file(missing).size(), 1u);
  EXPECT_EQ(RuleSet::check_file(dir.path().string()).size(), 1u);
  const std::string bad = dir.file("bad.json");
  std::ofstream(bad)
      << R"({"rules": [{"id": "a", "kind": "min", "path": "params.x", "min": "1"}]})";
  try {
    RuleSet::load_file(bad);
    FAIL();
  } catch (const RulesError& e) {
    EXPECT_EQ(std::string(e.what()),
              bad + ": /rules/0/min: expected a number, got a string (\"1\") (rule 'a')");
  }
}

TEST(DefaultRules, EmbedsRulesDefaultJsonByteForByte) {
  std::ifstream in(VIGIL_RULES_DEFAULT_JSON, std::ios::binary);
  ASSERT_TRUE(in);
  std::ostringstream file;
  file << in.rdbuf();
  EXPECT_EQ(RuleSet::default_rules_text(), file.str());
  auto rules = RuleSet::default_rules();
  EXPECT_EQ(rules.name(), "default");
  EXPECT_EQ(rules.hash(), content_hash(file.str()));
  EXPECT_EQ(rules.rules().size(), 5u);
  EXPECT_TRUE(RuleSet::check_file(VIGIL_RULES_DEFAULT_JSON).empty());
  EXPECT_EQ(rules.active_rules(Phase::kPre).size(), 3u);
  EXPECT_EQ(rules.active_rules(Phase::kDuring).size(), 1u);
  EXPECT_EQ(rules.active_rules(Phase::kPost).size(), 1u);
}

TEST(RuleSet, OffRulesAreInactive) {
  auto rules = testing::rules_of(nlohmann::json::array(
      {{{"id", "a"}, {"kind", "required"}, {"path", "params.x"}, {"severity", "off"}},
       {{"id", "b"}, {"kind", "required"}, {"path", "params.y"}}}));
  EXPECT_EQ(rules.rules().size(), 2u);
  ASSERT_EQ(rules.active_rules(Phase::kAll).size(), 1u);
  EXPECT_EQ(rules.active_rules(Phase::kAll)[0]->info().id, "b");
  EXPECT_EQ(rules.find("a")->info().severity, Severity::kOff);
  EXPECT_EQ(rules.find("zzz"), nullptr);
}

}  // namespace
}  // namespace vigil::rules
