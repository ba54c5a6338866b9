// Distributed jobs with real processes: every rank joins one run, the run ends with its last
// rank, a rank killed with SIGKILL makes the run crashed, and a NaN on one rank stops them all.
// Each rank is the helper binary job_test_child.cc.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "child_process.h"
#include "store_uris.h"
#include "temp_dir.h"
#include "vigil/tracker.h"

namespace vigil::tracker {
namespace {

constexpr char kExperiment[] = "job";  // the experiment the helper uses
constexpr char kJob[] = "job-42";

int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// (ranks, backend): every job test runs with 2 and 4 ranks, on SQLite (one host) and on
// PostgreSQL (the store that ranks on several hosts share).
using JobParam = std::tuple<int, std::string>;

class JobProcessTest : public ::testing::TestWithParam<JobParam> {
 protected:
  static int world_size() { return std::get<0>(GetParam()); }
  /// Starts rank `rank` of a job of `world` ranks in `mode` (see job_test_child.cc).
  void start(int rank, int world, const std::string& mode, const std::string& arg = {}) {
    std::vector<std::string> args{store_, kJob, std::to_string(rank), std::to_string(world), mode};
    if (mode == "hold") {
      args.push_back(go_file_);
    } else if (!arg.empty()) {
      args.push_back(arg);
    }
    ranks_.push_back(
        std::make_unique<testing::ChildProcess>(VIGIL_JOB_TEST_CHILD, std::move(args)));
  }
  /// Reads each holding rank's "ready ID" line; returns the run id they agree on.
  std::string wait_ready() {
    std::string id;
    for (auto& rank : ranks_) {
      const std::string line = rank->read_line();
      EXPECT_EQ(line.rfind("ready ", 0), 0u) << line;
      if (!id.empty()) {
        EXPECT_EQ(line.substr(6), id);
      }
      id = line.substr(6);
    }
    return id;
  }
  void let_go() { std::ofstream(go_file_) << "go\n"; }
  RunInfo the_run() {
    Store store(store_, quiet());
    auto runs = store.list_runs();
    EXPECT_EQ(runs.size(), 1u);
    return runs.empty() ? RunInfo{} : runs.front();
  }
  std::vector<RankInfo> ranks(const std::string& run_id) {
    return Store(store_, quiet()).ranks(run_id);
  }
  static StoreOptions quiet() {
    StoreOptions options;
    options.handle_signals = false;
    return options;
  }

  testing::TempDir dir_;
  std::string store_ = testing::fresh_store_uri(std::get<1>(GetParam()), dir_, "vigil");
  std::string go_file_ = dir_.file("go");
  std::vector<std::unique_ptr<testing::ChildProcess>> ranks_;
};

TEST_P(JobProcessTest, EveryRankJoinsOneRunWithItsOwnRow) {
  const int world = world_size();
  for (int r = 0; r < world; ++r) start(r, world, "train", "30");
  std::vector<pid_t> pids;
  for (auto& rank : ranks_) pids.push_back(rank->pid());
  for (auto& rank : ranks_) EXPECT_EQ(exit_code(rank->wait()), 0);

  const RunInfo run = the_run();
  EXPECT_EQ(run.id, job_run_id(kExperiment, kJob));
  EXPECT_EQ(run.status, RunStatus::kFinished);
  EXPECT_EQ(run.params.at("distributed").at("world_size"), world);
  const auto rows = ranks(run.id);
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(world));
  for (int r = 0; r < world; ++r) {
    EXPECT_EQ(rows[r].rank, r);
    EXPECT_EQ(rows[r].world_size, world);
    EXPECT_EQ(rows[r].pid, pids[r]);
    EXPECT_EQ(rows[r].device, "cpu");
    EXPECT_EQ(rows[r].status, RunStatus::kFinished);
    EXPECT_TRUE(rows[r].finished_at.has_value());
    const SeriesKey key{"loss", r == 0 ? nlohmann::json::object() : nlohmann::json{{"rank", r}}};
    EXPECT_EQ(Store(store_, quiet()).points(run.id, key).size(), 30u) << key.qualified_name();
  }
}

TEST_P(JobProcessTest, RunFinishesOnlyWhenItsLastRankDoes) {
  const int world = world_size();
  for (int r = 0; r < world; ++r) start(r, world, r == 0 ? "train" : "hold", "5");
  std::vector<std::unique_ptr<testing::ChildProcess>> holders;
  EXPECT_EQ(exit_code(ranks_.front()->wait()), 0);
  holders.assign(std::make_move_iterator(ranks_.begin() + 1),
                 std::make_move_iterator(ranks_.end()));
  ranks_ = std::move(holders);
  const std::string id = wait_ready();

  RunInfo run = the_run();
  EXPECT_EQ(run.id, id);
  EXPECT_EQ(run.status, RunStatus::kRunning) << "rank 0 ended, the others run";
  auto rows = ranks(id);
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(world));
  EXPECT_EQ(rows[0].status, RunStatus::kFinished);
  for (int r = 1; r < world; ++r) EXPECT_EQ(rows[r].status, RunStatus::kRunning);

  let_go();
  for (auto& rank : ranks_) EXPECT_EQ(exit_code(rank->wait()), 0);
  run = the_run();
  EXPECT_EQ(run.status, RunStatus::kFinished);
  rows = ranks(id);
  ASSERT_TRUE(run.finished_at.has_value());
  for (const RankInfo& rank : rows) {
    EXPECT_EQ(rank.status, RunStatus::kFinished);
    EXPECT_GE(*run.finished_at, *rank.finished_at) << "rank " << rank.rank;
  }
}

TEST_P(JobProcessTest, KilledRankMakesTheRunCrashedNamingTheRank) {
  const int world = world_size();
  for (int r = 0; r < world; ++r) start(r, world, "hold");
  const std::string id = wait_ready();
  const pid_t victim = ranks_[1]->pid();
  ranks_[1]->signal(SIGKILL);
  EXPECT_EQ(exit_code(ranks_[1]->wait()), 128 + SIGKILL);

  RunInfo run = the_run();
  EXPECT_EQ(run.status, RunStatus::kCrashed);
  EXPECT_EQ(run.error.rfind("rank 1: process " + std::to_string(victim), 0), 0u) << run.error;
  EXPECT_NE(run.error.find("(last heartbeat 20"), std::string::npos) << run.error;
  ASSERT_TRUE(run.finished_at.has_value());
  auto rows = ranks(id);
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(world));
  EXPECT_EQ(rows[1].status, RunStatus::kCrashed);
  // The rank ended when it was last seen; the run no earlier (the other ranks' heartbeats and
  // points may be later: the run's end is the job's last sign of life).
  EXPECT_DOUBLE_EQ(*rows[1].finished_at, rows[1].heartbeat_at) << "when the rank was last seen";
  EXPECT_GE(*run.finished_at, *rows[1].finished_at);
  for (int r = 0; r < world; ++r) {
    if (r != 1) {
      EXPECT_EQ(rows[r].status, RunStatus::kRunning) << "rank " << r;
    }
  }

  let_go();  // the others end normally; the run stays crashed
  for (int r = 0; r < world; ++r) {
    if (r != 1) {
      EXPECT_EQ(exit_code(ranks_[r]->wait()), 0);
    }
  }
  run = the_run();
  EXPECT_EQ(run.status, RunStatus::kCrashed);
  EXPECT_EQ(run.error.rfind("rank 1: ", 0), 0u) << run.error;
}

TEST_P(JobProcessTest, NanOnRankOneStopsEveryRankWithinAPollInterval) {
  const int world = world_size();
  constexpr int kNanStep = 20;
  for (int r = 0; r < world; ++r) {
    if (r == 1) {
      start(r, world, "nan", std::to_string(kNanStep));
    } else {
      start(r, world, "train", "100000");  // 1000 s unless stopped
    }
  }
  for (auto& rank : ranks_) EXPECT_EQ(exit_code(rank->wait()), 4);

  const RunInfo run = the_run();
  EXPECT_EQ(run.status, RunStatus::kAborted);
  EXPECT_EQ(run.error, "rank 1 at step 20 (value NaN): non_finite: loss is NaN");
  const auto stop = Store(store_, quiet()).stop_request(run.id);
  ASSERT_TRUE(stop.has_value());
  EXPECT_EQ(stop->rank, 1);
  EXPECT_EQ(stop->step, kNanStep);
  EXPECT_TRUE(std::isnan(stop->value));
  for (const RankInfo& rank : ranks(run.id)) {
    EXPECT_EQ(rank.status, RunStatus::kAborted) << "rank " << rank.rank;
    ASSERT_TRUE(rank.finished_at.has_value());
    // The writer looks every stop_poll_interval (1 s); the margin covers a loaded machine.
    EXPECT_LT(*rank.finished_at - stop->requested_at, 3.0) << "rank " << rank.rank;
    if (rank.rank != 1) {
      EXPECT_EQ(rank.error.rfind("stopped: rank 1 at step 20", 0), 0u) << rank.error;
    }
  }
}

std::string job_name(const ::testing::TestParamInfo<JobParam>& info) {
  return std::to_string(std::get<0>(info.param)) + "Ranks_" + std::get<1>(info.param);
}

INSTANTIATE_TEST_SUITE_P(Ranks, JobProcessTest,
                         ::testing::Combine(::testing::Values(2, 4),
                                            ::testing::ValuesIn(testing::test_backends())),
                         job_name);

}  // namespace
}  // namespace vigil::tracker
