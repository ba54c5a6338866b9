// Store::migrate_chunks: format-1 chunks become format 2 with every point unchanged.
#include <cmath>
#include <cstring>

#include "format1.h"
#include "raw_sqlite.h"
#include "store_fixture.h"

namespace vigil::tracker {
namespace {

using Migrate = SqliteStoreTest;

std::string old_chunks(const std::string& path) {
  return testing::raw_query(path, "SELECT count(*) FROM chunks WHERE substr(data, 1, 1) = x'01'");
}

void expect_same_points(const std::vector<MetricPoint>& a, const std::vector<MetricPoint>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].step, b[i].step) << i;
    ASSERT_EQ(a[i].epoch, b[i].epoch) << i;
    ASSERT_EQ(std::memcmp(&a[i].value, &b[i].value, 8), 0) << i;
    ASSERT_EQ(a[i].time, b[i].time) << i;
  }
}

TEST_F(Migrate, RewritesFormat1ChunksWithEveryPointAndIsIdempotent) {
  std::string id;
  {
    Store store = open();
    auto run = store.start_run();
    auto loss = run.metric("loss");
    for (int i = 0; i < 10000; ++i) loss.log(i == 77 ? NAN : 1.0 / (i + 1), i, i / 1000);
    for (int s = 0; s < 300; ++s) run.log_metric("m" + std::to_string(s), s * 0.1, s);
    run.finish();
    id = run.id();
  }
  ASSERT_EQ(testing::downgrade_chunks_to_format1(path_), 303);
  Store store = open();
  const auto before = store.points(id, SeriesKey{"loss", {}});
  ASSERT_EQ(before.size(), 10000u);  // format 1 is still read
  std::vector<MigrationProgress> batches;
  auto done = store.migrate_chunks([&](const MigrationProgress& p) { batches.push_back(p); });
  EXPECT_EQ(done.chunks_visited, 303u);
  EXPECT_EQ(done.chunks_rewritten, 303u);
  EXPECT_GE(batches.size(), 2u);  // several transactions
  EXPECT_EQ(old_chunks(path_), "0");
  expect_same_points(store.points(id, SeriesKey{"loss", {}}), before);
  EXPECT_EQ(store.points(id, SeriesKey{"m299", {}}).at(0).value, 299 * 0.1);
  auto again = store.migrate_chunks();
  EXPECT_EQ(again.chunks_visited, 303u);
  EXPECT_EQ(again.chunks_rewritten, 0u);
}

TEST_F(Migrate, StopsAtACorruptChunkNamingItAndKeepsEarlierBatches) {
  {
    Store store = open();
    auto run = store.start_run();
    for (int s = 0; s < 600; ++s) run.log_metric("m" + std::to_string(s), s, s);
    run.finish();
  }
  testing::downgrade_chunks_to_format1(path_);
  testing::raw_exec(path_,
                    "UPDATE chunks SET data = x'01ff' WHERE series_id = (SELECT max(series_id) "
                    "FROM chunks)");
  Store store = open();
  try {
    store.migrate_chunks();
    FAIL() << "a corrupt chunk must stop the migration";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot migrate chunk 0 of series"), std::string::npos)
        << e.what();
  }
  // The batches before the corrupt chunk's are stored; its own batch is not.
  const int left = std::stoi(old_chunks(path_));
  EXPECT_GT(left, 0);
  EXPECT_LT(left, 600);
}

}  // namespace
}  // namespace vigil::tracker
