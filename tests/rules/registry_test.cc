// Custom rule kinds written in C++ and used from JSON like built-in ones.
#include "vigil/rules/registry.h"

#include <stdexcept>

#include <gtest/gtest.h>

#include "rules_test_util.h"

namespace vigil::rules {
namespace {

using testing::make_run;

/// A team's own kind: the value at `path` must be a power of two.
class PowerOfTwoRule : public Rule {
 public:
  explicit PowerOfTwoRule(PathAlternatives paths)
      : Rule(phase_of(paths)), paths_(std::move(paths)) {}
  Outcome evaluate(const RunContext& ctx) const override {
    auto found = ctx.resolve(paths_);
    if (!found) return Outcome::not_evaluable(describe(paths_), "missing");
    if (!found->value.is_number_integer()) {
      return Outcome::not_evaluable(found->path, "not an integer", found->value);
    }
    auto v = found->value.get<long long>();
    if (v > 0 && (v & (v - 1)) == 0) return Outcome::passed();
    return Outcome::failed(found->path, found->path + " is not a power of two", found->value,
                           condition());
  }
  std::string target() const override { return describe(paths_); }
  std::string condition() const override { return "a power of two"; }

 private:
  PathAlternatives paths_;
};

TEST(RuleRegistry, CustomKindFromJsonInTheGlobalRegistry) {
  if (!RuleRegistry::global().contains("power_of_two")) {
    RuleRegistry::global().add("power_of_two", [](RuleFields& f) {
      return std::make_unique<PowerOfTwoRule>(f.paths("path"));
    });
  }
  auto rules = RuleSet::parse(
      R"({"rules": [{"id": "bs", "kind": "power_of_two", "path": "params.batch_size",
                     "severity": "warning", "weight": 2}]})",
      "custom.json");
  EXPECT_EQ(rules.rules()[0]->phase(), Phase::kPre);
  EXPECT_TRUE(evaluate(rules, make_run({{"batch_size", 64}})).violations.empty());
  auto report = evaluate(rules, make_run({{"batch_size", 48}}));
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].rule_id, "bs");
  EXPECT_EQ(report.violations[0].kind, "power_of_two");
  EXPECT_EQ(report.violations[0].severity, Severity::kWarning);
  EXPECT_EQ(report.violations[0].expected, "a power of two");
  EXPECT_EQ(report.score, 90);
  // Its fields are checked like a built-in kind's.
  auto problems = RuleSet::check(
      R"({"rules": [{"id": "bs", "kind": "power_of_two", "path": "params.bs", "base": 2}]})",
      "custom.json");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].pointer, "/rules/0/base");
}

TEST(RuleRegistry, SeparateRegistryDoesNotLeakIntoGlobal) {
  auto registry = RuleRegistry::with_builtins();
  registry.add(
      "custom_only",
      [](RuleFields& f) { return std::make_unique<PowerOfTwoRule>(f.paths("path")); },
      Severity::kInfo);
  auto rules = RuleSet::parse(
      R"({"rules": [{"id": "x", "kind": "custom_only", "path": "params.x"}]})", "r.json", registry);
  EXPECT_EQ(rules.rules()[0]->info().severity, Severity::kInfo);  // the kind's default
  EXPECT_FALSE(RuleRegistry::global().contains("custom_only"));
  EXPECT_THROW(
      RuleSet::parse(R"({"rules": [{"id": "x", "kind": "custom_only", "path": "params.x"}]})",
                     "r.json"),
      RulesError);
  EXPECT_TRUE(RuleRegistry().kinds().empty());
}

TEST(RuleRegistry, RejectsDuplicateAndEmptyRegistrations) {
  auto registry = RuleRegistry::with_builtins();
  auto factory = [](RuleFields& f) { return std::make_unique<PowerOfTwoRule>(f.paths("path")); };
  EXPECT_THROW(registry.add("range", factory), InvalidArgument);
  EXPECT_THROW(registry.add("", factory), InvalidArgument);
  EXPECT_THROW(registry.add("x", RuleFactory{}), InvalidArgument);
  const auto kinds = registry.kinds();
  for (const char* kind :
       {"range", "min", "max", "required", "enum", "pattern", "compare", "non_finite", "divergence",
        "plateau", "target", "metric_threshold", "baseline"}) {
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), kind), kinds.end()) << kind;
  }
}

/// A kind whose evaluation throws: reported as not evaluable, never skipped.
class ThrowingRule : public Rule {
 public:
  ThrowingRule() : Rule(Phase::kPre) {}
  Outcome evaluate(const RunContext&) const override { throw std::runtime_error("boom"); }
  std::string target() const override { return "params.x"; }
  std::string condition() const override { return "never"; }
};

TEST(RuleRegistry, ThrowingRuleBecomesNotEvaluableViolation) {
  auto registry = RuleRegistry::with_builtins();
  registry.add("throws", [](RuleFields&) { return std::make_unique<ThrowingRule>(); });
  auto rules = RuleSet::parse(R"({"rules": [{"id": "t", "kind": "throws"}]})", "r.json", registry);
  auto report = evaluate(rules, make_run());
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_TRUE(report.violations[0].not_evaluable);
  EXPECT_NE(report.violations[0].message.find("boom"), std::string::npos);
  EXPECT_EQ(report.verdict, Verdict::kFail);
}

TEST(RuleRegistry, FactoryExceptionIsAProblemOfTheFile) {
  auto registry = RuleRegistry::with_builtins();
  registry.add("bad_factory", [](RuleFields&) -> std::unique_ptr<Rule> {
    throw std::runtime_error("needs a GPU");
  });
  auto problems =
      RuleSet::check(R"({"rules": [{"id": "t", "kind": "bad_factory"}]})", "r.json", registry);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].pointer, "/rules/0");
  EXPECT_NE(problems[0].message.find("needs a GPU"), std::string::npos);
}

}  // namespace
}  // namespace vigil::rules
