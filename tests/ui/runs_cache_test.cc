#include "runs_cache.h"

#include <thread>

#include <gtest/gtest.h>

#include "temp_dir.h"
#include "vigil/tracker.h"

namespace vigil::ui {
namespace {

tracker::StoreOptions quiet() {
  tracker::StoreOptions options;
  options.handle_signals = false;
  return options;
}

class RunsCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("store.db");
    writer_ = std::make_unique<tracker::Store>(path_, quiet());
    writer_->start_run().finish();
  }
  std::vector<tracker::RunInfo> load() {
    ++loads_;
    return writer_->list_runs();
  }
  vigil::testing::TempDir dir_;
  std::string path_;
  std::unique_ptr<tracker::Store> writer_;
  int loads_ = 0;
};

TEST_F(RunsCacheTest, ReusesTheSnapshotWhileTheStoreIsUnchanged) {
  RunsCache cache(path_, std::chrono::seconds(60));
  const auto first = cache.get("k", [&] { return load(); });
  const auto second = cache.get("k", [&] { return load(); });
  EXPECT_EQ(first, second);
  EXPECT_EQ(loads_, 1);
  EXPECT_EQ(first->runs.size(), 1u);
}

TEST_F(RunsCacheTest, ReloadsForAnotherFilterAWriteOrAfterClear) {
  RunsCache cache("sqlite://" + path_, std::chrono::seconds(60));
  cache.get("k", [&] { return load(); });
  cache.get("other", [&] { return load(); });
  EXPECT_EQ(loads_, 2);
  writer_->start_run().finish();  // another writer changes the database files
  const auto after_write = cache.get("other", [&] { return load(); });
  EXPECT_EQ(loads_, 3);
  EXPECT_EQ(after_write->runs.size(), 2u);
  cache.clear();
  cache.get("other", [&] { return load(); });
  EXPECT_EQ(loads_, 4);
}

TEST_F(RunsCacheTest, ExpiresAfterMaxAge) {
  RunsCache cache(path_, std::chrono::milliseconds(0));
  cache.get("k", [&] { return load(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  cache.get("k", [&] { return load(); });
  EXPECT_EQ(loads_, 2);
}

TEST_F(RunsCacheTest, StoresThatAreNotLocalFilesAreNeverCached) {
  RunsCache cache(dir_.file("absent.db"), std::chrono::seconds(60));
  cache.get("k", [&] { return load(); });
  cache.get("k", [&] { return load(); });
  EXPECT_EQ(loads_, 2);
}

}  // namespace
}  // namespace vigil::ui
