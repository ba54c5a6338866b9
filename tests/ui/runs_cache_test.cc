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
  RunsCache cache(*writer_, std::chrono::seconds(60));
  const auto first = cache.get("k", [&] { return load(); });
  const auto second = cache.get("k", [&] { return load(); });
  EXPECT_EQ(first, second);
  EXPECT_EQ(loads_, 1);
  EXPECT_EQ(first->runs.size(), 1u);
}

TEST_F(RunsCacheTest, ReloadsForAnotherFilterAWriteOrAfterClear) {
  tracker::StoreOptions read_only = quiet();
  read_only.read_only = true;
  const tracker::Store reader(path_, read_only);
  RunsCache cache(reader, std::chrono::seconds(60));
  cache.get("k", [&] { return load(); });
  cache.get("other", [&] { return load(); });
  EXPECT_EQ(loads_, 2);
  writer_->start_run().finish();  // another Store writes: the reader's change token moves
  const auto after_write = cache.get("other", [&] { return load(); });
  EXPECT_EQ(loads_, 3);
  EXPECT_EQ(after_write->runs.size(), 2u);
  cache.clear();
  cache.get("other", [&] { return load(); });
  EXPECT_EQ(loads_, 4);
}

TEST_F(RunsCacheTest, ExpiresAfterMaxAge) {
  RunsCache cache(*writer_, std::chrono::milliseconds(0));
  cache.get("k", [&] { return load(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  cache.get("k", [&] { return load(); });
  EXPECT_EQ(loads_, 2);
}

TEST_F(RunsCacheTest, ReloadsAfterAWriteThroughTheSameStore) {
  RunsCache cache(*writer_, std::chrono::seconds(60));
  cache.get("k", [&] { return load(); });
  writer_->add_tags(writer_->list_runs().front().id, {"new"});  // the cache's own Store
  const auto after = cache.get("k", [&] { return load(); });
  EXPECT_EQ(loads_, 2);
  EXPECT_EQ(after->runs.front().tags, std::vector<std::string>{"new"});
}

}  // namespace
}  // namespace vigil::ui
