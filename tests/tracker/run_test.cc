// Run lifecycle: finish, failure while unwinding, moves, crash detection by heartbeat.
#include <cmath>
#include <stdexcept>
#include <thread>

#include "raw_store.h"
#include "store_fixture.h"

namespace vigil::tracker {
namespace {

using RunLifecycle = StoreTest;

TEST_P(RunLifecycle, DestroyedWithoutFinishIsFinished) {
  Store store = open();
  std::string id;
  {
    auto run = store.start_run();
    id = run.id();
    run.log_metric("loss", 1.0, 0);
  }
  RunInfo info = store.get_run(id);
  EXPECT_EQ(info.status, RunStatus::kFinished);
  EXPECT_EQ(info.metrics.at(0).count, 1);
}

TEST_P(RunLifecycle, ExceptionWhileUnwindingStoresFailedWithGenericMessage) {
  Store store = open();
  std::string id;
  try {
    auto run = store.start_run();
    id = run.id();
    run.log_metric("loss", 1.0, 0);
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  RunInfo info = store.get_run(id);
  EXPECT_EQ(info.status, RunStatus::kFailed);
  EXPECT_EQ(info.error, "exception during run");
  EXPECT_EQ(info.metrics.at(0).count, 1);  // data logged before the throw is kept
}

TEST_P(RunLifecycle, ExceptionWhileUnwindingKeepsMessageGivenToFail) {
  Store store = open();
  std::string id;
  try {
    auto run = store.start_run();
    id = run.id();
    try {
      throw std::runtime_error("CUDA out of memory");
    } catch (const std::exception& e) {
      run.fail(e.what());
      throw;
    }
  } catch (const std::runtime_error&) {
  }
  RunInfo info = store.get_run(id);
  EXPECT_EQ(info.status, RunStatus::kFailed);
  EXPECT_EQ(info.error, "CUDA out of memory");
}

TEST_P(RunLifecycle, RunCreatedDuringUnwindingFinishesNormally) {
  // A Run started inside a destructor that runs during unwinding must not count the
  // exception that was already in flight.
  Store store = open();
  std::string id;
  struct StartsRunOnDestruction {
    Store* store;
    std::string* id;
    ~StartsRunOnDestruction() {
      auto run = store->start_run();
      *id = run.id();
    }
  };
  try {
    StartsRunOnDestruction guard{&store, &id};
    throw std::runtime_error("unrelated");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(store.get_run(id).status, RunStatus::kFinished);
}

TEST_P(RunLifecycle, FinishIsIdempotentAndRejectsNonTerminalStatus) {
  Store store = open();
  auto run = store.start_run();
  EXPECT_THROW(run.finish(RunStatus::kRunning), InvalidArgument);
  EXPECT_THROW(run.finish(RunStatus::kCrashed), InvalidArgument);
  run.finish(RunStatus::kAborted, "guard: loss diverged");
  run.finish(RunStatus::kFinished);  // ignored
  EXPECT_EQ(run.status(), RunStatus::kAborted);
  RunInfo info = store.get_run(run.id());
  EXPECT_EQ(info.status, RunStatus::kAborted);
  EXPECT_EQ(info.error, "guard: loss diverged");
}

TEST_P(RunLifecycle, FinishFailedUsesFailMessage) {
  Store store = open();
  auto run = store.start_run();
  run.fail("diverged at step 7");
  run.finish(RunStatus::kFailed);
  EXPECT_EQ(store.get_run(run.id()).error, "diverged at step 7");
}

TEST_P(RunLifecycle, PointsLoggedAfterFinishAreIgnored) {
  Store store = open();
  auto run = store.start_run();
  auto loss = run.metric("loss");
  loss.log(1.0, 0);
  run.finish();
  loss.log(2.0, 1);
  run.log_metric("loss", 3.0, 2);
  EXPECT_EQ(store.get_run(run.id()).metrics.at(0).count, 1);
  EXPECT_EQ(run.stats().points_logged, 1u);
}

TEST_P(RunLifecycle, MovedRunKeepsWritingAndMovedFromThrows) {
  Store store = open();
  auto first = store.start_run();
  tracker::Run second = std::move(first);
  second.log_metric("loss", 1.0, 0);
  EXPECT_THROW(first.id(), Error);  // NOLINT(bugprone-use-after-move): tested on purpose
  auto other = store.start_run();
  std::string replaced = other.id();
  other = std::move(second);  // ends the run `other` held
  EXPECT_EQ(store.get_run(replaced).status, RunStatus::kFinished);
  other.finish();
  EXPECT_EQ(store.get_run(other.id()).metrics.at(0).count, 1);
}

TEST_P(RunLifecycle, RunOutlivesItsStore) {
  std::optional<tracker::Run> run;
  {
    Store store = open();
    run.emplace(store.start_run());
  }
  run->log_metric("loss", 4.0, 0);
  std::string id = run->id();
  run->finish();
  run.reset();
  EXPECT_EQ(open().get_run(id).metrics.at(0).last, 4.0);
}

TEST_P(RunLifecycle, FlushMakesDataVisibleToOtherStores) {
  StoreOptions slow = fast_options();
  slow.flush_interval = std::chrono::hours(1);
  Store writer = open(slow);
  Store reader = open();
  auto run = writer.start_run();
  auto loss = run.metric("loss");
  for (int i = 0; i < 1000; ++i) loss.log(i, i);
  run.log_param("lr", 0.1);
  run.flush();
  RunInfo info = reader.get_run(run.id());
  EXPECT_EQ(info.metrics.at(0).count, 1000);
  EXPECT_EQ(info.params["lr"], 0.1);
  EXPECT_EQ(run.stats().points_committed, 1000u);
  EXPECT_EQ(run.stats().write_errors, 0u);
}

TEST_P(RunLifecycle, StaleHeartbeatReadsAsCrashedAndIsPersisted) {
  StoreOptions options = fast_options();
  options.heartbeat_interval = std::chrono::hours(1);
  Store store = open(options);
  auto run = store.start_run();
  run.log_metric("loss", 1.0, 0);
  run.flush();
  // As if the owner had gone silent ten minutes ago (its pid is alive: ours).
  testing::store_exec(path_, "UPDATE runs SET heartbeat_at = heartbeat_at - 600");
  RunInfo info = store.get_run(run.id());
  EXPECT_EQ(info.status, RunStatus::kCrashed);
  EXPECT_NE(info.error.find("no heartbeat since"), std::string::npos) << info.error;
  EXPECT_EQ(testing::store_query(path_, "SELECT status FROM runs"), "crashed");
  RunFilter crashed;
  crashed.statuses = {RunStatus::kCrashed};
  EXPECT_EQ(store.list_runs(crashed).size(), 1u);
  // The owner was alive after all: its final status wins.
  run.finish();
  EXPECT_EQ(store.get_run(run.id()).status, RunStatus::kFinished);
}

TEST_P(RunLifecycle, DeadPidOnThisHostReadsAsCrashed) {
  Store store = open();
  auto run = store.start_run();
  run.flush();
  // pid 2^22+1 is above the kernel's pid_max (4194304) and so never alive.
  testing::store_exec(path_, "UPDATE runs SET pid = 4194305");
  EXPECT_EQ(store.get_run(run.id()).status, RunStatus::kCrashed);
  // Reopening for writing persists the verdict too.
  testing::store_exec(path_, "UPDATE runs SET status = 'running'");
  open();
  EXPECT_EQ(testing::store_query(path_, "SELECT status FROM runs"), "crashed");
  run.finish(RunStatus::kFinished);
}

TEST_P(RunLifecycle, HeartbeatIsRefreshedByTheWriter) {
  StoreOptions options = fast_options();
  options.heartbeat_interval = std::chrono::seconds(1);
  Store store = open(options);
  auto run = store.start_run();
  testing::store_exec(path_, "UPDATE runs SET heartbeat_at = heartbeat_at - 600");
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  RunInfo info = store.get_run(run.id());
  EXPECT_EQ(info.status, RunStatus::kRunning);
  EXPECT_GT(info.heartbeat_at, now() - 5.0);
  run.finish();
}

VIGIL_ON_EVERY_BACKEND(RunLifecycle);

}  // namespace
}  // namespace vigil::tracker
