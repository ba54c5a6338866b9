// End-to-end tests of vigil::plugin::run_main: a real training program, written the way
// README.md shows, run as a child process; its exit code, stderr and stored run.
#include <gtest/gtest.h>

#include <string>

#include <vigil/tracker.h>

#include "process.h"
#include "temp_dir.h"

namespace {

using vigil::testing::run_process;
using vigil::tracker::RunStatus;

class RunMain : public ::testing::Test {
 protected:
  vigil::testing::ProcessResult run(const std::string& scenario) {
    return run_process({VIGIL_EXIT_PROGRAM, store(), scenario});
  }
  std::string store() const { return dir.file("vigil.db"); }
  vigil::tracker::RunInfo only_run() const {
    vigil::tracker::Store store_(store());
    auto runs = store_.list_runs();
    EXPECT_EQ(runs.size(), 1u);
    if (runs.empty()) throw std::runtime_error("no run stored");
    return runs.front();
  }
  // What std::terminate prints for an uncaught exception (libstdc++), or an abort.
  static void expect_no_terminate(const vigil::testing::ProcessResult& result) {
    EXPECT_EQ(result.err.find("terminate called"), std::string::npos) << result.err;
    EXPECT_NE(result.exit_code, 128 + 6) << "SIGABRT";
  }
  vigil::testing::TempDir dir;
};

TEST_F(RunMain, RegressionLoopWithoutEpochsFinishesAndPassesTheDefaultPolicyWithScore100) {
  const auto result = run("finish");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto info = only_run();
  EXPECT_EQ(info.status, RunStatus::kFinished);
  EXPECT_EQ(info.verdict, "PASS") << result.err;
  ASSERT_TRUE(info.score);
  EXPECT_DOUBLE_EQ(*info.score, 100.0) << result.err;
  EXPECT_EQ(info.results.at("steps"), 30);
  EXPECT_EQ(info.results.at("epochs_completed"), 0);
  EXPECT_LT(info.results.at("final_loss").get<double>(), 1.0);
  EXPECT_FALSE(info.results.contains("final_accuracy"));
}

TEST_F(RunMain, RefusedRunExitsWith3WithoutTerminate) {
  const auto result = run("refused");
  expect_no_terminate(result);
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_NE(result.err.find("learning-rate-range (error)"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("run refused before training"), std::string::npos) << result.err;
  const auto info = only_run();
  EXPECT_EQ(info.status, RunStatus::kRejected);
  EXPECT_EQ(info.verdict, "FAIL");
  EXPECT_TRUE(info.metrics.empty());
}

TEST_F(RunMain, NaNLossUnderTheDefaultPolicyExitsWith4AndIsStoredAborted) {
  const auto result = run("nan");
  expect_no_terminate(result);
  EXPECT_EQ(result.exit_code, 4) << result.err;
  EXPECT_NE(result.err.find("at step 5"), std::string::npos) << result.err;
  const auto info = only_run();
  EXPECT_EQ(info.status, RunStatus::kAborted);
  EXPECT_NE(info.error.find("step 5"), std::string::npos) << info.error;
  EXPECT_EQ(info.verdict, "FAIL");
}

TEST_F(RunMain, OtherExceptionExitsWith1AndTheRunIsStoredFailedWithItsMessage) {
  const auto result = run("throw");
  expect_no_terminate(result);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("error: data loader exploded"), std::string::npos) << result.err;
  const auto info = only_run();
  EXPECT_EQ(info.status, RunStatus::kFailed);
  EXPECT_EQ(info.error, "data loader exploded");
  EXPECT_EQ(info.results.at("steps"), 5);  // the steps before the failure are kept
}

}  // namespace
