// Distributed jobs within one process: the job's run id, the launcher environment, joining
// rules, stop requests, the job status policy, and the system metrics sampler.
#include <stdlib.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "raw_sqlite.h"
#include "temp_dir.h"
#include "vigil/tracker.h"

namespace vigil::tracker {
namespace {

/// Sets environment variables for one test and restores them after.
class ScopedEnv {
 public:
  explicit ScopedEnv(const std::map<std::string, std::optional<std::string>>& values) {
    for (const char* name :
         {"RANK", "WORLD_SIZE", "LOCAL_RANK", "TORCHELASTIC_RUN_ID", "SLURM_PROCID", "SLURM_NTASKS",
          "SLURM_LOCALID", "SLURM_JOB_ID", "VIGIL_RUN_ID"}) {
      const char* old = getenv(name);
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
      unsetenv(name);
    }
    for (const auto& [name, value] : values) {
      if (value) setenv(name.c_str(), value->c_str(), 1);
    }
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

StoreOptions quiet() {
  StoreOptions options;
  options.handle_signals = false;
  options.stop_poll_interval = std::chrono::milliseconds(50);
  return options;
}

RankOptions rank_of(int rank, int world, std::string job = "job-1") {
  RankOptions options;
  options.job_id = std::move(job);
  options.rank = rank;
  options.world_size = world;
  return options;
}

TEST(JobRunId, IsTheSameForTheSameJobAndDiffersOtherwise) {
  const std::string id = job_run_id("mnist", "elastic-7");
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(job_run_id("mnist", "elastic-7"), id);
  EXPECT_NE(job_run_id("mnist", "elastic-8"), id);
  EXPECT_NE(job_run_id("cifar", "elastic-7"), id);
  EXPECT_NE(job_run_id("mnistelastic-7", "x"), job_run_id("mnist", "elastic-7x"));
  EXPECT_THROW((void)job_run_id("mnist", ""), InvalidArgument);
}

TEST(RankFromEnvironment, ReadsTorchrunVariables) {
  ScopedEnv env(
      {{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"TORCHELASTIC_RUN_ID", "abc"}});
  const auto rank = rank_from_environment();
  ASSERT_TRUE(rank.has_value());
  EXPECT_EQ(rank->rank, 3);
  EXPECT_EQ(rank->world_size, 4);
  EXPECT_EQ(rank->local_rank, 1);
  EXPECT_EQ(rank->job_id, "abc");
}

TEST(RankFromEnvironment, ReadsSlurmVariablesAndPrefersVigilRunId) {
  ScopedEnv env({{"SLURM_PROCID", "1"},
                 {"SLURM_NTASKS", "2"},
                 {"SLURM_LOCALID", "0"},
                 {"SLURM_JOB_ID", "991"},
                 {"VIGIL_RUN_ID", "mine"}});
  const auto rank = rank_from_environment();
  ASSERT_TRUE(rank.has_value());
  EXPECT_EQ(rank->rank, 1);
  EXPECT_EQ(rank->world_size, 2);
  EXPECT_EQ(rank->job_id, "mine");
}

TEST(RankFromEnvironment, IsAbsentForOneProcess) {
  {
    ScopedEnv env({});
    EXPECT_FALSE(rank_from_environment().has_value());
  }
  ScopedEnv env({{"RANK", "0"}, {"WORLD_SIZE", "1"}});
  EXPECT_FALSE(rank_from_environment().has_value());
}

TEST(RankFromEnvironment, RefusesBadValuesNamingTheVariable) {
  {
    ScopedEnv env({{"RANK", "one"}, {"WORLD_SIZE", "2"}, {"VIGIL_RUN_ID", "j"}});
    try {
      (void)rank_from_environment();
      FAIL() << "no error";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find("RANK='one'"), std::string::npos) << e.what();
    }
  }
  {
    ScopedEnv env({{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"VIGIL_RUN_ID", "j"}});
    EXPECT_THROW((void)rank_from_environment(), InvalidArgument);
  }
  ScopedEnv env({{"RANK", "0"}, {"WORLD_SIZE", "2"}});
  try {
    (void)rank_from_environment();
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("VIGIL_RUN_ID"), std::string::npos) << e.what();
  }
}

TEST(JobStatus, RunsUntilEveryRankEndedThenTakesTheMostSevere) {
  using S = RunStatus;
  EXPECT_EQ(job_status({S::kFinished}, 2), S::kRunning);
  EXPECT_EQ(job_status({S::kFinished, S::kRunning}, 2), S::kRunning);
  EXPECT_EQ(job_status({S::kFinished, S::kFinished}, 2), S::kFinished);
  EXPECT_EQ(job_status({S::kFinished, S::kFailed}, 2), S::kFailed);
  EXPECT_EQ(job_status({S::kFailed, S::kCrashed}, 2), S::kCrashed);
  EXPECT_EQ(job_status({S::kCrashed, S::kRejected}, 2), S::kRejected);
  EXPECT_EQ(job_status({S::kAborted, S::kRejected, S::kKilled}, 3), S::kAborted);
}

class JobStoreTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  Store store_{dir_.file("vigil.db"), quiet()};
  RunOptions options_ = [] {
    RunOptions options;
    options.experiment = "mnist";
    options.params = {{"lr", 0.1}};
    options.tags = {"ddp"};
    return options;
  }();
};

TEST_F(JobStoreTest, RankZeroParamsAndTagsWinWhicheverRankCreatesTheRun) {
  RunOptions other = options_;
  other.params = {{"lr", 99.0}};
  other.tags = {};
  tracker::Run rank1 = store_.join_run(other, rank_of(1, 2));  // arrives first, creates the run
  tracker::Run rank0 = store_.join_run(options_, rank_of(0, 2));
  EXPECT_EQ(rank0.id(), rank1.id());
  EXPECT_EQ(rank0.rank(), 0);
  EXPECT_EQ(rank1.rank(), 1);
  rank1.finish();
  rank0.finish();
  const RunInfo run = store_.get_run(rank0.id());
  EXPECT_EQ(run.params.at("lr"), 0.1);
  EXPECT_EQ(run.tags, std::vector<std::string>{"ddp"});
  EXPECT_EQ(run.status, RunStatus::kFinished);
  EXPECT_EQ(store_.ranks(run.id).size(), 2u);
}

TEST_F(JobStoreTest, JoiningAnEndedJobOrAnotherExperimentIsRefused) {
  {
    tracker::Run only = store_.join_run(options_, rank_of(0, 1));
    only.finish();
  }
  try {
    (void)store_.join_run(options_, rank_of(0, 1));
    FAIL() << "joined an ended run";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has ended (finished)"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)store_.join_run(options_, rank_of(2, 2, "other")), InvalidArgument);
  EXPECT_THROW((void)store_.join_run(options_, rank_of(0, 2, "")), InvalidArgument);
}

TEST_F(JobStoreTest, FirstStopRequestWinsAndEveryRankSeesIt) {
  tracker::Run rank0 = store_.join_run(options_, rank_of(0, 2));
  tracker::Run rank1 = store_.join_run(options_, rank_of(1, 2));
  EXPECT_FALSE(rank0.stop_request().has_value());
  StopRequest request;
  request.step = 7;
  request.value = std::numeric_limits<double>::infinity();
  request.message = "divergence";
  EXPECT_TRUE(rank1.request_stop(request));
  request.message = "second";
  EXPECT_FALSE(rank0.request_stop(request)) << "a later request does not replace the first";
  ASSERT_TRUE(rank0.stop_request().has_value());
  EXPECT_EQ(rank0.stop_request()->rank, 1) << "rank 0 holds the job's request, not its own";
  EXPECT_EQ(rank0.stop_request()->message, "divergence");
  const auto stored = store_.stop_request(rank0.id());
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->step, 7);
  EXPECT_TRUE(std::isinf(stored->value));
  rank0.finish(RunStatus::kAborted, "stopped");
  rank1.finish(RunStatus::kAborted, "divergence");
  const RunInfo run = store_.get_run(rank0.id());
  EXPECT_EQ(run.status, RunStatus::kAborted);
  EXPECT_EQ(run.error, "rank 1 at step 7 (value Infinity): divergence");
}

TEST_F(JobStoreTest, WriterThreadDeliversAnotherProcessesStopRequest) {
  tracker::Run rank0 = store_.join_run(options_, rank_of(0, 2));
  StopRequest request;
  request.rank = 1;
  request.message = "from elsewhere";
  EXPECT_TRUE(store_.request_stop(rank0.id(), request));  // as another process would
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!rank0.stop_request() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(rank0.stop_request().has_value());
  EXPECT_EQ(rank0.stop_request()->message, "from elsewhere");
}

TEST_F(JobStoreTest, RankOnAnotherHostWithAStaleHeartbeatMakesTheRunCrashed) {
  tracker::Run rank0 = store_.join_run(options_, rank_of(0, 2));
  tracker::Run rank1 = store_.join_run(options_, rank_of(1, 2));
  // As if rank 1 ran on another machine and went silent 10 minutes ago (its pid cannot be
  // checked there: only the heartbeat tells).
  testing::raw_exec(dir_.file("vigil.db"),
                    "UPDATE ranks SET host = 'elsewhere', heartbeat_at = heartbeat_at - 600 "
                    "WHERE rank = 1");
  const RunInfo run = store_.get_run(rank0.id());
  EXPECT_EQ(run.status, RunStatus::kCrashed);
  EXPECT_EQ(run.error.rfind("rank 1: no heartbeat since ", 0), 0u) << run.error;
  const auto ranks = store_.ranks(run.id);
  EXPECT_EQ(ranks[0].status, RunStatus::kRunning);
  EXPECT_EQ(ranks[1].status, RunStatus::kCrashed);
  EXPECT_NE(ranks[1].error.find("on elsewhere"), std::string::npos) << ranks[1].error;
  rank0.finish();
  EXPECT_EQ(store_.get_run(run.id).status, RunStatus::kCrashed) << "a crash is not undone";
}

TEST_F(JobStoreTest, PlainRunHasNoRankAndCannotRequestAStop) {
  tracker::Run run = store_.start_run(options_);
  EXPECT_FALSE(run.rank().has_value());
  EXPECT_FALSE(run.stop_request().has_value());
  EXPECT_THROW(run.request_stop(StopRequest{}), InvalidArgument);
  EXPECT_TRUE(store_.ranks(run.id()).empty());
}

TEST_F(JobStoreTest, SamplerRecordsCpuAndMemorySeriesWithTheRankContext) {
  tracker::Run run = store_.join_run(options_, rank_of(1, 2));
  {
    SystemMetricsOptions options;
    options.interval = std::chrono::hours(1);  // the first sample at start, then on demand
    options.context = {{"rank", 1}};
    SystemMetricsSampler sampler(run, options);
    volatile double sink = 0;
    for (int i = 0; i < 20000000; ++i) sink = sink + i;  // some CPU time to measure
    sampler.sample_now();
  }
  run.flush();
  const SeriesKey cpu{"sys.cpu_percent", {{"rank", 1}}};
  const SeriesKey rss{"sys.rss_bytes", {{"rank", 1}}};
  const auto cpu_points = store_.points(run.id(), cpu);
  const auto rss_points = store_.points(run.id(), rss);
  ASSERT_EQ(cpu_points.size(), 2u);
  ASSERT_EQ(rss_points.size(), 2u);
  EXPECT_GT(cpu_points[1].value, 1.0) << "the loop kept one core busy";
  EXPECT_LT(cpu_points[1].value, 100.0 * std::thread::hardware_concurrency() + 1);
  EXPECT_GT(rss_points[0].value, 1e6) << "a process holds more than a megabyte";
  EXPECT_EQ(cpu_points[1].step, 1);
}

TEST_F(JobStoreTest, SamplerRefusesBadOptions) {
  tracker::Run run = store_.start_run(options_);
  SystemMetricsOptions options;
  options.interval = std::chrono::milliseconds(0);
  EXPECT_THROW(SystemMetricsSampler(run, options), InvalidArgument);
  options.interval = std::chrono::milliseconds(10);
  options.context = nlohmann::json::array();
  EXPECT_THROW(SystemMetricsSampler(run, options), InvalidArgument);
}

}  // namespace
}  // namespace vigil::tracker
