// vigil::Error, the one root of every vigil exception, and the tracker's errors under it: each
// carries the exit code a program should end with.
#include "vigil/error.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "vigil/tracker/errors.h"
#include "vigil/tracker/store.h"

namespace vigil::tracker {
namespace {

template <typename E>
int exit_code_of(const E& error) {
  const vigil::Error& root = error;  // compiles only if E derives from the one root
  return root.exit_code();
}

TEST(Errors, RootIsARuntimeErrorWithFailureExitCodeByDefault) {
  const vigil::Error error("boom");
  const std::runtime_error& standard = error;
  EXPECT_STREQ(standard.what(), "boom");
  EXPECT_EQ(error.exit_code(), 1);
  EXPECT_EQ(vigil::Error("refused", kExitRefused).exit_code(), 3);
}

TEST(Errors, ExitCodeConstantsMatchTheDocumentedCodes) {
  EXPECT_EQ(kExitFailure, 1);
  EXPECT_EQ(kExitUsage, 2);
  EXPECT_EQ(kExitNotFound, 3);
  EXPECT_EQ(kExitRefused, 3);
  EXPECT_EQ(kExitAborted, 4);
}

TEST(Errors, EachTrackerErrorCarriesItsExitCode) {
  EXPECT_EQ(exit_code_of(vigil::InvalidArgument("x")), 2);
  EXPECT_EQ(exit_code_of(InvalidArgument("bad filter")), 2);
  EXPECT_EQ(exit_code_of(Error("io")), 1);
  EXPECT_EQ(exit_code_of(StoreError("corrupt")), 1);
  EXPECT_EQ(exit_code_of(RunNotFound("no run abc")), 3);
  EXPECT_EQ(exit_code_of(AmbiguousRunId("ab matches 2 runs")), 3);
}

TEST(Errors, TrackerInvalidArgumentIsCaughtAsTheRootAndAsAUsageError) {
  try {
    Store store("nosuchscheme://x");
    FAIL() << "a bad store URI must throw";
  } catch (const vigil::InvalidArgument& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    EXPECT_NE(std::string(e.what()).find("nosuchscheme"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vigil::tracker
