// The rules engine's errors derive from vigil::Error and carry their exit codes.
#include "vigil/rules/errors.h"

#include <gtest/gtest.h>

#include "vigil/rules/path.h"
#include "vigil/rules/rule_set.h"

namespace vigil::rules {
namespace {

TEST(RulesErrors, MalformedRulesFileIsAFailureExitOne) {
  try {
    (void)RuleSet::parse("{\"rules\": [", "team.json");
    FAIL() << "a truncated rules file must throw";
  } catch (const vigil::Error& e) {
    EXPECT_EQ(e.exit_code(), kExitFailure);
    EXPECT_NE(dynamic_cast<const RulesError*>(&e), nullptr);
  }
}

TEST(RulesErrors, InvalidArgumentIsAUsageErrorExitTwo) {
  const vigil::Error& error = InvalidArgument("severity 'fatal'");
  EXPECT_EQ(error.exit_code(), kExitUsage);
  EXPECT_NE(dynamic_cast<const vigil::InvalidArgument*>(&error), nullptr);
}

}  // namespace
}  // namespace vigil::rules
