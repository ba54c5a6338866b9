// range, min, max, required, enum, pattern, compare: boundaries, missing and mistyped values.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "rules_test_util.h"

namespace vigil::rules {
namespace {

using nlohmann::json;
using testing::check_one;
using testing::make_run;

const json kLrRange = {{"id", "lr"},
                       {"kind", "range"},
                       {"path", {"params.lr", "params.learning_rate", "params.optimizer.lr"}},
                       {"min", 0.0001},
                       {"max", 0.1}};

TEST(RangeRule, BoundsAreInclusiveByDefault) {
  EXPECT_TRUE(check_one(kLrRange, make_run({{"lr", 0.0001}})).violations.empty());
  EXPECT_TRUE(check_one(kLrRange, make_run({{"lr", 0.1}})).violations.empty());
  EXPECT_TRUE(check_one(kLrRange, make_run({{"lr", 0.01}})).violations.empty());
  EXPECT_EQ(check_one(kLrRange, make_run({{"lr", 0.0000999}})).violations.size(), 1u);
  EXPECT_EQ(check_one(kLrRange, make_run({{"lr", 0.1000001}})).violations.size(), 1u);
  EXPECT_EQ(check_one(kLrRange, make_run({{"lr", 0}})).violations.size(), 1u);
}

TEST(RangeRule, ViolationRecordsPathActualAndExpected) {
  auto report = check_one(kLrRange, make_run({{"optimizer", {{"lr", 0.5}}}}));
  ASSERT_EQ(report.violations.size(), 1u);
  const auto& v = report.violations[0];
  EXPECT_EQ(v.rule_id, "lr");
  EXPECT_EQ(v.kind, "range");
  EXPECT_EQ(v.phase, Phase::kPre);
  EXPECT_EQ(v.severity, Severity::kError);
  EXPECT_EQ(v.path, "params.optimizer.lr");
  EXPECT_EQ(v.actual, 0.5);
  EXPECT_EQ(v.expected, "in [0.0001, 0.1]");
  EXPECT_FALSE(v.not_evaluable);
  EXPECT_NE(v.message.find("0.5"), std::string::npos) << v.message;
}

TEST(RangeRule, ExclusiveBounds) {
  json rule = {{"id", "r"}, {"kind", "range"},        {"path", "params.x"},    {"min", 0},
               {"max", 1},  {"min_inclusive", false}, {"max_inclusive", false}};
  EXPECT_EQ(check_one(rule, make_run({{"x", 0}})).violations.size(), 1u);
  EXPECT_EQ(check_one(rule, make_run({{"x", 1}})).violations.size(), 1u);
  EXPECT_TRUE(check_one(rule, make_run({{"x", 1e-12}})).violations.empty());
  EXPECT_TRUE(check_one(rule, make_run({{"x", 0.999999}})).violations.empty());
  auto report = check_one(rule, make_run({{"x", 1}}));
  EXPECT_EQ(report.violations[0].expected, "in (0, 1)");
}

TEST(RangeRule, AliasesResolveInOrder) {
  EXPECT_TRUE(check_one(kLrRange, make_run({{"learning_rate", 0.01}})).violations.empty());
  EXPECT_TRUE(check_one(kLrRange, make_run({{"optimizer", {{"lr", 0.01}}}})).violations.empty());
  // The first present alias decides, even when a later one would pass.
  auto report = check_one(kLrRange, make_run({{"lr", 0.5}, {"optimizer", {{"lr", 0.01}}}}));
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].path, "params.lr");
}

TEST(RangeRule, MissingValueIsAnUnscoredInfoNoteByDefault) {
  auto report = check_one(kLrRange, make_run({{"epochs", 10}}));
  ASSERT_EQ(report.violations.size(), 1u);
  const auto& v = report.violations[0];
  EXPECT_TRUE(v.not_evaluable);
  EXPECT_EQ(v.severity, Severity::kInfo);
  EXPECT_TRUE(v.actual.is_null());
  EXPECT_EQ(v.path, "params.lr | params.learning_rate | params.optimizer.lr");
  EXPECT_EQ(report.counts.info, 1);
  EXPECT_EQ(report.score, 100);
  EXPECT_EQ(report.verdict, Verdict::kPass);
}

TEST(WhenMissing, ErrorWarningAndSkipDecideWhatAMissingValueCounts) {
  json rule = kLrRange;
  const auto run = make_run({{"epochs", 10}});
  rule["when_missing"] = "error";
  auto report = check_one(rule, run);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].severity, Severity::kError);
  EXPECT_TRUE(report.violations[0].not_evaluable);
  EXPECT_EQ(report.score, 80);
  EXPECT_EQ(report.verdict, Verdict::kFail);

  rule["when_missing"] = "warning";
  report = check_one(rule, run);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].severity, Severity::kWarning);
  EXPECT_EQ(report.score, 90);
  EXPECT_EQ(report.verdict, Verdict::kPass);

  rule["when_missing"] = "skip";
  report = check_one(rule, run);
  EXPECT_TRUE(report.violations.empty());
  EXPECT_EQ(report.rules_evaluated, 1);
  EXPECT_EQ(report.score, 100);
}

TEST(WhenMissing, OnlyMissingValuesAreAffectedNotWrongTypesOrFailures) {
  json rule = kLrRange;
  rule["when_missing"] = "skip";
  auto wrong_type = check_one(rule, make_run({{"lr", "fast"}}));
  ASSERT_EQ(wrong_type.violations.size(), 1u);
  EXPECT_EQ(wrong_type.violations[0].severity, Severity::kError);
  auto too_high = check_one(rule, make_run({{"lr", 0.5}}));
  ASSERT_EQ(too_high.violations.size(), 1u);
  EXPECT_EQ(too_high.violations[0].severity, Severity::kError);
}

TEST(WhenMissing, WeightedScoreLeavesOutSkippedAndInfoMissingRules) {
  const json extra = {{"scoring", {{"model", "weighted"}}}};
  const json present = {{"id", "epochs"}, {"kind", "min"}, {"path", "params.epochs"}, {"min", 10}};
  json absent = kLrRange;
  auto rules = testing::rules_of(json::array({present, absent}), extra);
  auto report = evaluate(rules, make_run({{"epochs", 5}}));
  EXPECT_EQ(report.total_weight, 1.0);  // the missing lr (info note) is not scored
  EXPECT_EQ(report.score, 0);
  absent["when_missing"] = "error";
  rules = testing::rules_of(json::array({present, absent}), extra);
  report = evaluate(rules, make_run({{"epochs", 10}}));
  EXPECT_EQ(report.total_weight, 2.0);
  EXPECT_EQ(report.score, 50);
}

TEST(RangeRule, WildcardChecksEveryOptimizerAndNamesTheFailingPath) {
  json rule = kLrRange;
  rule["path"] = {"params.optimizer.lr", "params.optimizers.*.lr"};
  const json good = {{"generator", {{"name", "adam"}, {"lr", 0.0002}}},
                     {"discriminator", {{"name", "adam"}, {"lr", 0.0002}}}};
  EXPECT_TRUE(check_one(rule, make_run({{"optimizers", good}})).violations.empty());

  json bad = good;
  bad["discriminator"]["lr"] = 0.5;
  auto report = check_one(rule, make_run({{"optimizers", bad}}));
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].path, "params.optimizers.discriminator.lr");
  EXPECT_EQ(report.violations[0].actual, 0.5);
  EXPECT_EQ(report.verdict, Verdict::kFail);

  bad["generator"]["lr"] = "fast";  // every match is checked; the others are named
  report = check_one(rule, make_run({{"optimizers", bad}}));
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].path, "params.optimizers.discriminator.lr");
  EXPECT_NE(report.violations[0].message.find("also failing: params.optimizers.generator.lr"),
            std::string::npos)
      << report.violations[0].message;

  // An optimizer without lr is not a match; no optimizer with lr at all is missing.
  auto none = check_one(rule, make_run({{"optimizers", {{"g", {{"name", "sgd"}}}}}}));
  ASSERT_EQ(none.violations.size(), 1u);
  EXPECT_EQ(none.violations[0].severity, Severity::kInfo);
  EXPECT_EQ(none.violations[0].path, "params.optimizer.lr | params.optimizers.*.lr");
}

TEST(PatternRule, WildcardChecksEveryModelName) {
  const json rule = {
      {"id", "arch"}, {"kind", "pattern"}, {"path", "params.models.*.arch"}, {"pattern", "[a-z]+"}};
  const json models = {{"encoder", {{"arch", "resnet"}}}, {"decoder", {{"arch", "UNet"}}}};
  auto report = check_one(rule, make_run({{"models", models}}));
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].path, "params.models.decoder.arch");
}

TEST(CompareRule, WildcardComparesEveryPair) {
  const json rule = {{"id", "warmup"},
                     {"kind", "compare"},
                     {"left", "params.schedules.*.warmup"},
                     {"op", "<"},
                     {"right", "params.total_steps"}};
  const json ok = {{"schedules", {{"a", {{"warmup", 10}}}, {"b", {{"warmup", 20}}}}},
                   {"total_steps", 100}};
  EXPECT_TRUE(check_one(rule, make_run(ok)).violations.empty());
  json bad = ok;
  bad["schedules"]["b"]["warmup"] = 200;
  auto report = check_one(rule, make_run(bad));
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].path, "params.schedules.b.warmup < params.total_steps");
}

TEST(RangeRule, WronglyTypedValueIsNotEvaluableViolation) {
  for (const json& bad : {json("0.01"), json(true), json::array({0.01}), json::object()}) {
    auto report = check_one(kLrRange, make_run({{"lr", bad}}));
    ASSERT_EQ(report.violations.size(), 1u) << bad.dump();
    EXPECT_TRUE(report.violations[0].not_evaluable) << bad.dump();
    EXPECT_EQ(report.violations[0].actual, bad);
    EXPECT_NE(report.violations[0].message.find("expected a number"), std::string::npos);
  }
}

TEST(MinRule, EpochsAtAndAroundTheBound) {
  json rule = {{"id", "epochs"}, {"kind", "min"}, {"path", "params.epochs"}, {"min", 10}};
  EXPECT_EQ(check_one(rule, make_run({{"epochs", 9}})).violations.size(), 1u);
  EXPECT_TRUE(check_one(rule, make_run({{"epochs", 10}})).violations.empty());
  EXPECT_TRUE(check_one(rule, make_run({{"epochs", 11}})).violations.empty());
  rule["inclusive"] = false;
  EXPECT_EQ(check_one(rule, make_run({{"epochs", 10}})).violations.size(), 1u);
  EXPECT_TRUE(check_one(rule, make_run({{"epochs", 10.5}})).violations.empty());
}

TEST(MaxRule, InclusiveAndExclusive) {
  json rule = {{"id", "bs"}, {"kind", "max"}, {"path", "params.batch_size"}, {"max", 512}};
  EXPECT_TRUE(check_one(rule, make_run({{"batch_size", 512}})).violations.empty());
  EXPECT_EQ(check_one(rule, make_run({{"batch_size", 513}})).violations.size(), 1u);
  rule["inclusive"] = false;
  EXPECT_EQ(check_one(rule, make_run({{"batch_size", 512}})).violations.size(), 1u);
  EXPECT_EQ(check_one(rule, make_run({{"batch_size", 512}})).violations[0].expected, "< 512");
}

TEST(MinRule, NaNMetricFailsTheBound) {
  json rule = {{"id", "acc"}, {"kind", "min"}, {"path", "metrics.accuracy.last"}, {"min", 0.5}};
  auto run = make_run();
  testing::add_series(run, "accuracy", std::nan(""), 0.1, 0.2);
  auto report = check_one(rule, run);
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_FALSE(report.violations[0].not_evaluable);
  EXPECT_EQ(report.violations[0].actual, "NaN");
  EXPECT_EQ(report.violations[0].phase, Phase::kPost);
}

TEST(RequiredRule, AbsentOrNullFails) {
  json rule = {{"id", "seed"}, {"kind", "required"}, {"path", {"params.seed", "params.rng.seed"}}};
  EXPECT_TRUE(check_one(rule, make_run({{"seed", 0}})).violations.empty());
  EXPECT_TRUE(check_one(rule, make_run({{"rng", {{"seed", 1}}}})).violations.empty());
  auto report = check_one(rule, make_run({{"seed", nullptr}}));
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_FALSE(report.violations[0].not_evaluable);            // absence is what it checks
  EXPECT_EQ(report.violations[0].severity, Severity::kError);  // not when_missing's info
  EXPECT_EQ(report.violations[0].expected, "present");
}

TEST(EnumRule, MatchesJsonValuesNumbersNumerically) {
  json rule = {{"id", "opt"},
               {"kind", "enum"},
               {"path", "params.optimizer.name"},
               {"values", {"adam", "sgd"}}};
  EXPECT_TRUE(check_one(rule, make_run({{"optimizer", {{"name", "sgd"}}}})).violations.empty());
  auto report = check_one(rule, make_run({{"optimizer", {{"name", "rmsprop"}}}}));
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].expected, R"(one of ["adam","sgd"])");
  EXPECT_TRUE(check_one(rule, make_run()).violations[0].not_evaluable);

  json numeric = {{"id", "bs"}, {"kind", "enum"}, {"path", "params.bs"}, {"values", {32, 64}}};
  EXPECT_TRUE(check_one(numeric, make_run({{"bs", 64.0}})).violations.empty());
  EXPECT_EQ(check_one(numeric, make_run({{"bs", "64"}})).violations.size(), 1u);
}

TEST(PatternRule, FullMatchByDefaultSearchOnRequest) {
  json rule = {
      {"id", "name"}, {"kind", "pattern"}, {"path", "run.name"}, {"pattern", "run-[0-9]+"}};
  auto run = make_run();
  run.name = "run-42";
  EXPECT_TRUE(check_one(rule, run).violations.empty());
  run.name = "my-run-42";
  EXPECT_EQ(check_one(rule, run).violations.size(), 1u);
  rule["match"] = "search";
  EXPECT_TRUE(check_one(rule, run).violations.empty());
}

TEST(PatternRule, ParamPatternAndNonStringValue) {
  json rule = {
      {"id", "dev"}, {"kind", "pattern"}, {"path", "params.device"}, {"pattern", "cuda:\\d"}};
  EXPECT_TRUE(check_one(rule, make_run({{"device", "cuda:0"}})).violations.empty());
  EXPECT_EQ(check_one(rule, make_run({{"device", "cpu"}})).violations.size(), 1u);
  auto report = check_one(rule, make_run({{"device", 0}}));
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_TRUE(report.violations[0].not_evaluable);
}

// std::regex recursed once per character: the shipped policy's ".{5,}" overflowed the stack on
// a ~30,000-character run name.
TEST(PatternRule, HugeRunNamesValidateAgainstTheDefaultPolicy) {
  for (const std::size_t length : {std::size_t{30'000}, std::size_t{1'000'000}}) {
    auto run = make_run();
    run.name = std::string(length, 'n');
    const Report report = evaluate(RuleSet::default_rules(), run, EvaluationOptions{});
    for (const auto& violation : report.violations) {
      EXPECT_NE(violation.path, "run.name") << length << ": " << violation.message;
    }
  }
}

// "(a+)+$" against "aaa...a!" backtracks exponentially in std::regex (hours at 40 characters).
TEST(PatternRule, NestedQuantifiersRunInLinearTime) {
  json rule = {{"id", "n"}, {"kind", "pattern"}, {"path", "run.name"}, {"pattern", "(a+)+$"}};
  auto run = make_run();
  const auto start = std::chrono::steady_clock::now();
  run.name = std::string(40, 'a') + "!";
  EXPECT_EQ(check_one(rule, run).violations.size(), 1u);
  run.name = std::string(1'000'000, 'a') + "!";
  EXPECT_EQ(check_one(rule, run).violations.size(), 1u);
  rule["match"] = "search";
  run.name = std::string(1'000'000, 'a') + "!";
  EXPECT_EQ(check_one(rule, run).violations.size(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(PatternRule, PatternsRe2CannotCompileAreProblemsAtTheirLocation) {
  for (const char* pattern : {"(?=lookahead)", "(a)\\1", "([a-z"}) {
    const auto problems = RuleSet::check(
        json{{"rules",
              {{{"id", "p"}, {"kind", "pattern"}, {"path", "run.name"}, {"pattern", pattern}}}}}
            .dump(),
        "team.json");
    ASSERT_EQ(problems.size(), 1u) << pattern;
    EXPECT_EQ(problems[0].source, "team.json");
    EXPECT_EQ(problems[0].pointer, "/rules/0/pattern");
    EXPECT_NE(problems[0].message.find("RE2"), std::string::npos) << problems[0].message;
  }
}

TEST(CompareRule, ParamAgainstParam) {
  json rule = {{"id", "warmup"},
               {"kind", "compare"},
               {"left", "params.warmup_steps"},
               {"op", "<"},
               {"right", "params.total_steps"}};
  EXPECT_TRUE(
      check_one(rule, make_run({{"warmup_steps", 99}, {"total_steps", 100}})).violations.empty());
  auto report = check_one(rule, make_run({{"warmup_steps", 100}, {"total_steps", 100}}));
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].path, "params.warmup_steps < params.total_steps");
  EXPECT_EQ(report.violations[0].actual,
            (json{{"params.warmup_steps", 100}, {"params.total_steps", 100}}));
  rule["op"] = "<=";
  EXPECT_TRUE(
      check_one(rule, make_run({{"warmup_steps", 100}, {"total_steps", 100}})).violations.empty());
  // Missing right side: not evaluable.
  auto missing = check_one(rule, make_run({{"warmup_steps", 1}}));
  ASSERT_EQ(missing.violations.size(), 1u);
  EXPECT_TRUE(missing.violations[0].not_evaluable);
  EXPECT_EQ(missing.violations[0].path, "params.total_steps");
}

TEST(CompareRule, StringsCompareForEqualityOnly) {
  json rule = {{"id", "same"},
               {"kind", "compare"},
               {"left", "params.a"},
               {"op", "=="},
               {"right", "params.b"}};
  EXPECT_TRUE(check_one(rule, make_run({{"a", "x"}, {"b", "x"}})).violations.empty());
  EXPECT_EQ(check_one(rule, make_run({{"a", "x"}, {"b", "y"}})).violations.size(), 1u);
  rule["op"] = ">";
  auto report = check_one(rule, make_run({{"a", "x"}, {"b", "y"}}));
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_TRUE(report.violations[0].not_evaluable);
}

TEST(ValueRules, PhaseFollowsFromPaths) {
  auto rules = testing::rules_of(
      json::array({{{"id", "a"}, {"kind", "min"}, {"path", "params.x"}, {"min", 1}},
                   {{"id", "b"}, {"kind", "min"}, {"path", {"params.x", "results.x"}}, {"min", 1}},
                   {{"id", "c"},
                    {"kind", "compare"},
                    {"left", "params.x"},
                    {"op", "<"},
                    {"right", "metrics.loss.min"}}}));
  EXPECT_EQ(rules.find("a")->phase(), Phase::kPre);
  EXPECT_EQ(rules.find("b")->phase(), Phase::kPost);
  EXPECT_EQ(rules.find("c")->phase(), Phase::kPost);
}

}  // namespace
}  // namespace vigil::rules
