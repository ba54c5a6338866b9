// Fuzzes rules::RuleSet::parse (rules files are outside input: `vigil validate --rules`,
// GuardOptions::rules_file) and evaluates every rule set that parses against a small run, so
// hostile thresholds and patterns reach the rule implementations too.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "vigil/rules/evaluate.h"
#include "vigil/rules/rule_set.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  vigil::fuzz::expect_vigil_errors_only([&] {
    const auto rules = vigil::rules::RuleSet::parse(vigil::fuzz::as_text(data, size), "fuzz");
    vigil::tracker::RunInfo run;
    run.id = "0123456789abcdef0123456789abcdef";
    run.name = "fuzz-run";
    run.params = {{"lr", 0.01}, {"epochs", 3}, {"optimizer", {{"name", "adam"}}}};
    run.results = {{"accuracy", 0.9}};
    vigil::rules::EvaluationOptions options;
    options.created_at = 0.0;
    (void)vigil::rules::evaluate(rules, run, options);
  });
  vigil::fuzz::expect_vigil_errors_only(
      [&] { (void)vigil::rules::RuleSet::check(vigil::fuzz::as_text(data, size), "fuzz"); });
  return 0;
}
