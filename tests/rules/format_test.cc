#include "vigil/rules/format.h"

#include <memory>
#include <sstream>

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include "rules_test_util.h"

namespace vigil::rules {
namespace {

TEST(FormatReport, GroupsBySeverityThenScoreAndVerdict) {
  auto run = testing::make_run({{"lr", 0.5}, {"epochs", 3}}, {{"final_accuracy", 0.9}});
  auto text = format_report(evaluate(RuleSet::default_rules(), run));
  const auto errors = text.find("Errors (1):");
  const auto warnings = text.find("Warnings (1):");
  ASSERT_NE(errors, std::string::npos) << text;
  ASSERT_NE(warnings, std::string::npos) << text;
  EXPECT_LT(errors, warnings);
  EXPECT_LT(errors, text.find("learning-rate-range"));
  EXPECT_LT(warnings, text.find("min-epochs"));
  EXPECT_NE(text.find("expected: in [0.0001, 0.1]"), std::string::npos) << text;
  EXPECT_NE(text.find("Score: 70/100 (1 error, 1 warning, 0 info; 5 rules checked)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Verdict: FAIL"), std::string::npos) << text;
  EXPECT_EQ(text.find("\033["), std::string::npos);  // no color by default
  EXPECT_NE(format_report(evaluate(RuleSet::default_rules(), run), {true}).find("\033["),
            std::string::npos);
}

TEST(FormatReport, WarnOnlySaysWhatEnforceWouldGive) {
  auto rules = RuleSet::default_rules();
  rules.set_enforcement(Enforcement::kWarnOnly);
  auto text = format_report(evaluate(rules, testing::make_run({{"lr", 0.5}})));
  EXPECT_NE(text.find("Verdict: PASS (warn_only; enforce would give FAIL)"), std::string::npos)
      << text;
}

TEST(FormatRuleSet, TableListsEveryRule) {
  auto text = format_rule_set(RuleSet::default_rules());
  EXPECT_NE(text.find("Rules 'default'"), std::string::npos) << text;
  EXPECT_NE(text.find("ID"), std::string::npos);
  EXPECT_NE(text.find("CONDITION"), std::string::npos);
  EXPECT_NE(text.find("MISSING"), std::string::npos);
  for (const char* needle :
       {"learning-rate-range", "min-epochs", "run-name", "final-accuracy", "in [0.0001, 0.1]",
        "params.lr | params.learning_rate | params.optimizer.lr | params.optimizers.*.lr", ">= 10",
        "post", "pre", "finite-loss", "during", "loss | *loss*", "skip"}) {
    EXPECT_NE(text.find(needle), std::string::npos) << needle << "\n" << text;
  }
}

TEST(FormatValue, ShortForms) {
  EXPECT_EQ(format_value(nullptr), "missing");
  EXPECT_EQ(format_value("abc"), "abc");
  EXPECT_EQ(format_value(0.0001), "0.0001");
  EXPECT_EQ(format_value(10), "10");
  EXPECT_EQ(format_value(80.0), "80");
  EXPECT_EQ(format_value(33.25), "33.25");
  EXPECT_EQ(format_value({1, 2}), "[1,2]");
}

TEST(LogViolation, ErrorsLogAtErrorLevelAndWarningsAtWarningLevel) {
  std::ostringstream out;
  spdlog::logger logger("vigil", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  logger.set_pattern("%l|%v");
  logger.set_level(spdlog::level::trace);
  Violation v;
  v.rule_id = "finite-loss";
  v.severity = Severity::kError;
  v.message = "loss is NaN at step 2";
  log_violation(logger, v, "default");
  v.rule_id = "min-epochs";
  v.severity = Severity::kWarning;
  v.message = "params.epochs = 3, expected >= 10";
  log_violation(logger, v, "default");
  v.rule_id = "final-accuracy";
  v.severity = Severity::kInfo;
  v.message = "none of ... is set";
  log_violation(logger, v, "default");
  EXPECT_EQ(out.str(),
            "error|vigil: rules 'default': finite-loss (error): loss is NaN at step 2\n"
            "warning|vigil: rules 'default': min-epochs (warning): params.epochs = 3, expected "
            ">= 10\n"
            "info|vigil: rules 'default': final-accuracy (info): none of ... is set\n");
}

}  // namespace
}  // namespace vigil::rules
