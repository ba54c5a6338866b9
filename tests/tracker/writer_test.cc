// The background writer: many logging threads, backpressure, several runs at once.
#include <atomic>
#include <cmath>
#include <thread>

#include "raw_store.h"
#include "store_fixture.h"

namespace vigil::tracker {
namespace {

using Writer = StoreTest;

TEST_P(Writer, ManyThreadsLoseNoPoint) {
  Store store = open();
  auto run = store.start_run();
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  auto shared = run.metric("shared");
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto own = run.metric("own", {{"thread", t}});
      for (int i = 0; i < kPerThread; ++i) {
        own.log(i, i);
        shared.log(t, t * kPerThread + i);
        if (i % 5000 == 0) run.log_param("thread" + std::to_string(t), i);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  run.finish();
  WriterStats stats = run.stats();
  EXPECT_EQ(stats.points_logged, 2u * kThreads * kPerThread);
  EXPECT_EQ(stats.points_committed, stats.points_logged);
  EXPECT_EQ(stats.write_errors, 0u);

  auto points = store.points(run.id(), SeriesKey{"shared", {}});
  ASSERT_EQ(points.size(), static_cast<std::size_t>(kThreads * kPerThread));
  for (std::size_t i = 0; i < points.size(); ++i) {
    ASSERT_EQ(points[i].step, static_cast<std::int64_t>(i));  // every step exactly once
    ASSERT_EQ(points[i].value, static_cast<double>(i / kPerThread));
  }
  for (int t = 0; t < kThreads; ++t) {
    auto own = store.points(run.id(), SeriesKey{"own", {{"thread", t}}});
    ASSERT_EQ(own.size(), static_cast<std::size_t>(kPerThread));
    EXPECT_EQ(own.back().value, kPerThread - 1.0);
  }
  EXPECT_EQ(store.get_run(run.id()).params["thread3"], 15000);
}

// The series summary is kept per chunk and per round, not per point: extremes in an earlier
// chunk and an earlier round, NaNs, and the last point survive chunk seals (4,096 points) and
// flushes in the middle of an open chunk.
TEST_P(Writer, SummaryCoversEveryRoundAndChunk) {
  Store store = open();
  auto run = store.start_run();
  auto loss = run.metric("loss");
  constexpr int kPoints = 10000;
  for (int i = 0; i < kPoints; ++i) {
    double value = 1.0 + (i % 7) * 0.125;
    if (i == 100) value = -3.5;  // the minimum, in the first chunk and the first round
    if (i == 6000) value = 9.0;  // the maximum, in the second chunk
    if (i % 1000 == 999) value = std::nan("");
    loss.log(value, 2 * i);
    if (i == 150 || i == 4500 || i == 8190) run.flush();  // rounds end mid-chunk
  }
  loss.log(0.75, 2 * kPoints);
  run.flush();
  SeriesSummary summary = store.get_run(run.id()).metrics.at(0);
  EXPECT_EQ(summary.count, kPoints + 1);
  EXPECT_EQ(summary.min, -3.5);
  EXPECT_EQ(summary.max, 9.0);
  EXPECT_EQ(summary.last, 0.75);
  EXPECT_EQ(summary.last_step, 2 * kPoints);
  EXPECT_NEAR(summary.last_time, now(), 60.0);
  run.finish();
}

TEST_P(Writer, TinyBufferAppliesBackpressureAndLosesNothing) {
  StoreOptions options = fast_options();
  options.max_buffered_points = 16;
  options.flush_interval = std::chrono::seconds(30);  // only backpressure wakes the writer
  Store store = open(options);
  auto run = store.start_run();
  auto loss = run.metric("loss");
  constexpr int kPoints = 5000;
  for (int i = 0; i < kPoints; ++i) loss.log(i, i);
  WriterStats stats = run.stats();
  EXPECT_GT(stats.backpressure_waits, 0u);
  // At most the run's buffer plus the batch being committed are outstanding.
  EXPECT_GE(stats.points_committed, kPoints - 2 * 16u);
  run.finish();
  stats = run.stats();
  EXPECT_EQ(stats.points_committed, static_cast<std::uint64_t>(kPoints));
  auto points = store.points(run.id(), SeriesKey{"loss", {}});
  ASSERT_EQ(points.size(), static_cast<std::size_t>(kPoints));
  for (int i = 0; i < kPoints; ++i) ASSERT_EQ(points[i].value, i);
}

TEST_P(Writer, SeveralRunsOfOneStoreInParallel) {
  Store store = open();
  std::vector<std::thread> threads;
  std::vector<std::string> ids(4);
  for (int r = 0; r < 4; ++r) {
    threads.emplace_back([&, r] {
      auto run = store.start_run();
      ids[r] = run.id();
      auto loss = run.metric("loss");
      for (int i = 0; i < 10000; ++i) loss.log(r, i);
      run.finish();
    });
  }
  for (auto& thread : threads) thread.join();
  for (int r = 0; r < 4; ++r) {
    RunInfo info = store.get_run(ids[r]);
    EXPECT_EQ(info.status, RunStatus::kFinished);
    ASSERT_EQ(info.metrics.size(), 1u);
    EXPECT_EQ(info.metrics[0].count, 10000);
    EXPECT_EQ(info.metrics[0].last, r);
  }
}

TEST_P(Writer, TwoStoresOnOneFileWriteConcurrently) {
  Store a = open();
  Store b = open();
  auto run_a = a.start_run();
  auto run_b = b.start_run();
  std::thread ta([&] {
    for (int i = 0; i < 30000; ++i) run_a.log_metric("x", i, i);
    run_a.finish();
  });
  std::thread tb([&] {
    for (int i = 0; i < 30000; ++i) run_b.log_metric("x", i, i);
    run_b.finish();
  });
  ta.join();
  tb.join();
  EXPECT_EQ(run_a.stats().write_errors + run_b.stats().write_errors, 0u);
  EXPECT_EQ(a.get_run(run_b.id()).metrics.at(0).count, 30000);
  EXPECT_EQ(b.get_run(run_a.id()).metrics.at(0).count, 30000);
}

// An SQLite file lock: PostgreSQL writers do not lock each other, so this runs on SQLite only.
using SqliteWriter = SqliteStoreTest;

TEST_F(SqliteWriter, StoreLockedByAnotherWriterIsWaitedForNotAnError) {
  Store store = open();
  auto run = store.start_run();
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  run.log_metric("loss", 1.0, 0);
  // Readers are not blocked by the held write lock (WAL).
  EXPECT_EQ(store.list_runs().size(), 1u);
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
  });
  run.flush();  // waits for the lock
  release.join();
  sqlite3_close(other);
  EXPECT_EQ(run.stats().points_committed, 1u);
  EXPECT_EQ(run.stats().write_errors, 0u);
}

TEST_P(Writer, FailedCommitsAreCountedAndRetriedWithoutLoss) {
  Store store = open();
  auto run = store.start_run();
  run.log_metric("loss", 1.0, 0);
  run.flush();
  testing::store_exec(path_, "ALTER TABLE chunks RENAME TO chunks_away");
  for (int i = 1; i <= 100; ++i) run.log_metric("loss", i, i);
  for (int i = 0; i < 500 && run.stats().write_errors == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  WriterStats failing = run.stats();
  EXPECT_GT(failing.write_errors, 0u);
  EXPECT_NE(failing.last_error.find("chunks"), std::string::npos) << failing.last_error;
  EXPECT_EQ(failing.points_committed, 1u);
  testing::store_exec(path_, "ALTER TABLE chunks_away RENAME TO chunks");
  run.flush();
  run.finish();
  EXPECT_EQ(run.stats().points_committed, 101u);
  auto points = store.points(run.id(), SeriesKey{"loss", {}});
  ASSERT_EQ(points.size(), 101u);
  EXPECT_EQ(points.back().value, 100.0);
}

VIGIL_ON_EVERY_BACKEND(Writer);

}  // namespace
}  // namespace vigil::tracker
