// Several processes on one store, and processes that die: SIGKILL (crashed) and SIGTERM
// (killed, data flushed). Runs the helper binary tracker_test_child.cc.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "raw_sqlite.h"
#include "temp_dir.h"
#include "vigil/tracker.h"

extern char** environ;

namespace vigil::tracker {
namespace {

/// A running helper process with its stdout readable line by line.
class Child {
 public:
  explicit Child(std::vector<std::string> args) {
    args.insert(args.begin(), VIGIL_TRACKER_TEST_CHILD);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) throw std::runtime_error("posix_spawn failed");
    out_ = fdopen(fds[0], "r");
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      wait();
    }
    if (out_) fclose(out_);
  }
  std::string read_line() {
    char buffer[256] = {};
    if (!fgets(buffer, sizeof(buffer), out_)) return {};
    std::string line(buffer);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    return line;
  }
  void signal(int sig) { kill(pid_, sig); }
  /// Reaps the child (so its pid reads as dead) and returns the wait status.
  int wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
};

std::string ready_run_id(Child& child) {
  std::string line = child.read_line();
  EXPECT_EQ(line.rfind("ready ", 0), 0u) << "child said: " << line;
  return line.size() > 6 ? line.substr(6) : std::string();
}

std::string integrity_check(const std::string& path) {
  return testing::raw_query(path, "PRAGMA integrity_check");
}

TEST(ProcessTest, SeveralProcessesWriteOneStoreWithoutLosingPoints) {
  testing::TempDir dir;
  const std::string path = dir.file("shared.db");
  constexpr int kProcesses = 6;
  constexpr long kPoints = 50000;
  std::vector<std::unique_ptr<Child>> children;
  for (int i = 0; i < kProcesses; ++i) {
    children.push_back(std::make_unique<Child>(std::vector<std::string>{
        "write", path, "writer-" + std::to_string(i), std::to_string(kPoints)}));
  }
  for (auto& child : children) {
    int status = child->wait();
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "a writer failed or lost points";
  }
  Store store(path);
  auto runs = store.list_runs();
  ASSERT_EQ(runs.size(), static_cast<std::size_t>(kProcesses));
  for (const auto& run : runs) {
    EXPECT_EQ(run.status, RunStatus::kFinished) << run.error;
    ASSERT_EQ(run.metrics.size(), 2u);
    for (const auto& series : run.metrics) EXPECT_EQ(series.count, kPoints);
    auto points = store.points(run.id, SeriesKey{"accuracy", {{"subset", "val"}}});
    ASSERT_EQ(points.size(), static_cast<std::size_t>(kPoints));
    for (long i = 0; i < kPoints; ++i) {
      ASSERT_EQ(points[static_cast<std::size_t>(i)].step, i);
      ASSERT_EQ(points[static_cast<std::size_t>(i)].epoch, i / 100);
    }
  }
  EXPECT_EQ(integrity_check(path), "ok");
}

TEST(ProcessTest, ChangeTokenSeesWritesOfAnotherProcess) {
  testing::TempDir dir;
  const std::string path = dir.file("shared.db");
  StoreOptions options;
  options.handle_signals = false;
  Store store(path, options);
  const auto before = store.change_token();
  EXPECT_EQ(store.change_token(), before);
  Child writer({"write", path, "other-process", "10"});
  int status = writer.wait();
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  const auto after = store.change_token();
  EXPECT_NE(after, before);
  EXPECT_EQ(store.list_runs().size(), 1u);
  EXPECT_EQ(store.change_token(), after);  // reading changes nothing
}

TEST(ProcessTest, SigkilledProcessLeavesIntactStoreAndCrashedRun) {
  testing::TempDir dir;
  const std::string path = dir.file("crash.db");
  Child child({"crash", path, "5000"});
  std::string run_id = ready_run_id(child);
  child.signal(SIGKILL);
  int status = child.wait();
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);

  EXPECT_EQ(integrity_check(path), "ok");
  Store store(path);
  RunInfo run = store.get_run(run_id);
  EXPECT_EQ(run.status, RunStatus::kCrashed);
  EXPECT_NE(run.error.find("ended without finishing"), std::string::npos) << run.error;
  auto points = store.points(run_id, SeriesKey{"loss", {}});
  ASSERT_EQ(points.size(), 5000u);  // everything flushed before the kill
  EXPECT_EQ(points.back().value, 4999.0);

  // Opening the store for writing persisted the verdict in the file itself.
  EXPECT_EQ(testing::raw_query(path, "SELECT status FROM runs WHERE id = '" + run_id + "'"),
            "crashed");
}

TEST(ProcessTest, SigtermFlushesBufferedPointsAndStoresKilled) {
  testing::TempDir dir;
  const std::string path = dir.file("term.db");
  Child child({"term", path, "7000"});
  std::string run_id = ready_run_id(child);
  child.signal(SIGTERM);
  int status = child.wait();
  ASSERT_TRUE(WIFSIGNALED(status)) << "the signal's default action must still run";
  EXPECT_EQ(WTERMSIG(status), SIGTERM);

  Store store(path);
  RunInfo run = store.get_run(run_id);
  EXPECT_EQ(run.status, RunStatus::kKilled);
  EXPECT_EQ(run.error, "killed by SIGTERM");
  EXPECT_TRUE(run.finished_at.has_value());
  ASSERT_EQ(run.metrics.size(), 1u);
  EXPECT_EQ(run.metrics[0].count, 7000);  // buffered only; committed by the signal path
  EXPECT_EQ(integrity_check(path), "ok");
}

}  // namespace
}  // namespace vigil::tracker
