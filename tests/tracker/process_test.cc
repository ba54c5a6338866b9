// Several processes on one store, and processes that die: SIGKILL (crashed) and SIGTERM
// (killed, data flushed). Runs the helper binary tracker_test_child.cc.
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "child_process.h"
#include "format1.h"
#include "raw_sqlite.h"
#include "temp_dir.h"
#include "vigil/tracker.h"

namespace vigil::tracker {
namespace {

/// The helper binary, run with `args`.
class Child : public testing::ChildProcess {
 public:
  explicit Child(std::vector<std::string> args, bool merge_stderr = false)
      : ChildProcess(VIGIL_TRACKER_TEST_CHILD, std::move(args), merge_stderr) {}
};

/// Reads the store read-only in a forked child and returns (wait status, "runs N points M" or
/// the error). A root parent's child drops to uid/gid 65534 first: root ignores file
/// permissions, an ordinary user does not. (Forked, not exec'd: the test binary may lie where
/// that user cannot reach it.)
std::pair<int, std::string> read_unprivileged(const std::string& path) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    if (getuid() == 0 && (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0)) {
      _exit(126);
    }
    std::string text;
    int code = 0;
    try {
      StoreOptions options;
      options.read_only = true;
      options.handle_signals = false;
      Store store(path, options);
      const auto runs = store.list_runs();
      const std::size_t points =
          runs.empty() ? 0 : store.points(runs.front().id, SeriesKey{"loss", {}}).size();
      text = "runs " + std::to_string(runs.size()) + " points " + std::to_string(points) + "\n";
    } catch (const std::exception& e) {
      text = std::string("error: ") + e.what() + "\n";
      code = 1;
    }
    const ssize_t written = write(fds[1], text.data(), text.size());
    _exit(written == static_cast<ssize_t>(text.size()) ? code : 2);
  }
  close(fds[1]);
  std::string output;
  char buffer[4096];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) output.append(buffer, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return {status, output};
}

// A directory and its files that the (unprivileged) reader can read but not write.
void make_read_only(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  for (const auto& entry : fs::directory_iterator(dir)) {
    fs::permissions(entry.path(),
                    fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  }
  fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                           fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
}

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

TEST(ProcessTest, CrashedRunLastsUntilItsLastPointNotItsLastHeartbeat) {
  testing::TempDir dir;
  const std::string path = dir.file("slow.db");
  Child child({"slow", path, "1500"});
  const std::string run_id = ready_run_id(child);
  child.signal(SIGKILL);
  child.wait();

  Store store(path);
  for (const RunInfo& run : {store.get_run(run_id), store.list_runs().at(0)}) {
    EXPECT_EQ(run.status, RunStatus::kCrashed);
    ASSERT_TRUE(run.finished_at.has_value());
    // The heartbeat never moved after the start; the points went on for 1.5 s.
    EXPECT_GE(*run.finished_at - run.started_at, 1.4) << "ended at the last heartbeat";
    ASSERT_EQ(run.metrics.size(), 1u);
    EXPECT_DOUBLE_EQ(*run.finished_at, run.metrics[0].last_time);
    nlohmann::json out = run;
    EXPECT_GE(out.at("duration").get<double>(), 1.4);
  }
}

// A store on a read-only location (here: a directory without write permission; a
// read-only mount behaves alike) used to fail: SQLite could not create the -shm index.
TEST(ProcessTest, StoreInReadOnlyDirectoryIsReadable) {
  namespace fs = std::filesystem;
  testing::TempDir dir;
  fs::permissions(dir.path(), fs::perms::others_exec, fs::perm_options::add);
  const fs::path store_dir = dir.path() / "ro";
  fs::create_directory(store_dir);
  const std::string path = (store_dir / "store.db").string();
  {
    StoreOptions options;
    options.handle_signals = false;
    Store store(path, options);
    auto run = store.start_run();
    for (int i = 0; i < 100; ++i) run.log_metric("loss", 1.0 / (i + 1), i);
    run.finish();
  }
  make_read_only(store_dir);
  const auto [status, output] = read_unprivileged(path);
  fs::permissions(store_dir, fs::perms::owner_all, fs::perm_options::add);  // for cleanup
  ASSERT_TRUE(WIFEXITED(status)) << output;
  EXPECT_EQ(WEXITSTATUS(status), 0) << output;
  EXPECT_EQ(output, "runs 1 points 100\n");
  EXPECT_FALSE(fs::exists(path + "-shm"));
  EXPECT_FALSE(fs::exists(path + "-wal"));
}

// A store whose writer died leaves -wal and -shm beside it: readable read-only too.
TEST(ProcessTest, StoreWithWalInReadOnlyDirectoryIsReadable) {
  namespace fs = std::filesystem;
  testing::TempDir dir;
  fs::permissions(dir.path(), fs::perms::others_exec, fs::perm_options::add);
  const fs::path store_dir = dir.path() / "ro";
  fs::create_directory(store_dir);
  const std::string path = (store_dir / "store.db").string();
  Child child({"crash", path, "3000"});
  ready_run_id(child);
  child.signal(SIGKILL);
  child.wait();
  ASSERT_TRUE(fs::exists(path + "-wal"));
  make_read_only(store_dir);
  const auto [status, output] = read_unprivileged(path);
  fs::permissions(store_dir, fs::perms::owner_all, fs::perm_options::add);
  ASSERT_TRUE(WIFEXITED(status)) << output;
  EXPECT_EQ(WEXITSTATUS(status), 0) << output;
  EXPECT_EQ(output, "runs 1 points 3000\n");
}

// The value after `key ` on the line starting with it ("" when absent).
std::string field(const std::vector<std::string>& lines, const std::string& key) {
  for (const auto& line : lines) {
    if (line.rfind(key + " ", 0) == 0) return line.substr(key.size() + 1);
  }
  return {};
}

TEST(ProcessTest, FullDiskFailsFastWithOneMessageAndStoresFailedRun) {
  testing::TempDir dir;
  const std::string path = dir.file("full.db");
  Child child({"full", path, "2000"}, /*merge_stderr=*/true);
  const std::vector<std::string> lines = child.read_all_lines();
  const int status = child.wait();
  std::string all;
  for (const auto& line : lines) all += line + "\n";
  ASSERT_TRUE(WIFEXITED(status)) << all;
  ASSERT_EQ(WEXITSTATUS(status), 0) << all;

  // Logging never blocked, flush() and finish() gave up at once instead of after minutes.
  EXPECT_LT(std::stoll(field(lines, "logged_ms")), 3000) << all;
  EXPECT_EQ(field(lines, "flush_ms").find("StoreFull"), field(lines, "flush_ms").size() - 9) << all;
  EXPECT_LT(std::stoll(field(lines, "flush_ms")), 3000) << all;
  EXPECT_LT(std::stoll(field(lines, "finish_ms")), 3000) << all;
  int problems = 0, full = 0;
  for (const auto& line : lines) {
    problems +=
        line.find("[error]") != std::string::npos || line.find("[warning]") != std::string::npos;
    full += line.find("the disk is full") != std::string::npos;
  }
  EXPECT_EQ(problems, 1) << "one log message for a full disk:\n" << all;
  EXPECT_EQ(full, 1) << all;

  // Every point is either committed or counted as dropped.
  std::istringstream stats(field(lines, "stats"));
  unsigned long long logged = 0, committed = 0, dropped = 0;
  stats >> logged >> committed >> dropped;
  EXPECT_EQ(logged, 5000u) << all;
  EXPECT_EQ(committed, 2000u) << all;
  EXPECT_EQ(committed + dropped, logged) << all;

  // The points committed before the disk filled are intact; the run is failed, saying why.
  const std::string id = field(lines, "id").substr(0, field(lines, "id").find(' '));
  EXPECT_EQ(integrity_check(path), "ok");
  Store store(path);
  RunInfo run = store.get_run(id);
  EXPECT_EQ(run.status, RunStatus::kFailed) << run.error;
  EXPECT_NE(run.error.find("disk was full: 3000 metric points could not be stored"),
            std::string::npos)
      << run.error;
  auto points = store.points(id, SeriesKey{"loss", {}});
  ASSERT_EQ(points.size(), 2000u);
  EXPECT_EQ(points.back().value, 1999.0);
}

// kill -9 at any moment of `store migrate` leaves a readable store with every point, and a
// second run finishes the job.
TEST(ProcessTest, MigrationKilledAtAnyMomentLosesNoPointAndResumes) {
  testing::TempDir dir;
  const std::string path = dir.file("old.db");
  std::vector<std::string> ids;
  {
    Store store(path);
    for (int r = 0; r < 4; ++r) {
      auto run = store.start_run();
      for (int s = 0; s < 200; ++s) {
        for (int i = 0; i < 20; ++i) run.log_metric("m" + std::to_string(s), s + i * 0.5, i);
      }
      run.finish();
      ids.push_back(run.id());
    }
  }
  ASSERT_EQ(testing::downgrade_chunks_to_format1(path), 800);
  auto count_points = [&] {
    Store store(path);
    std::size_t total = 0;
    for (const auto& id : ids) {
      for (const auto& series : store.series(id)) {
        auto points = store.points(id, series.key);
        for (std::size_t i = 0; i < points.size(); ++i) {
          EXPECT_EQ(points[i].step, static_cast<std::int64_t>(i));
        }
        total += points.size();
      }
    }
    return total;
  };
  // Killed between batches (after the first one), then at arbitrary moments.
  for (int round = 0; round < 6; ++round) {
    Child child({"migrate", path, round == 0 ? "1000" : "0"});
    if (round == 0) {
      ASSERT_EQ(child.read_line(), "batch 1");
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(3 * round));
    }
    child.signal(SIGKILL);
    child.wait();
    EXPECT_EQ(count_points(), 800u * 20u) << "after kill " << round;
  }
  EXPECT_LT(std::stoi(testing::raw_query(path,
                                         "SELECT count(*) FROM chunks WHERE "
                                         "substr(data, 1, 1) = x'01'")),
            800);
  Child finish({"migrate", path, "0"});
  std::string line;
  while (!(line = finish.read_line()).empty() && line != "done") {
  }
  EXPECT_EQ(line, "done");
  EXPECT_EQ(finish.wait(), 0);
  EXPECT_EQ(
      testing::raw_query(path, "SELECT count(*) FROM chunks WHERE substr(data, 1, 1) = x'01'"),
      "0");
  EXPECT_EQ(count_points(), 800u * 20u);
}
}  // namespace
}  // namespace vigil::tracker
