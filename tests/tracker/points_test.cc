// Store::points: whole series, chunk boundaries, step order, and min/max downsampling.
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "raw_store.h"
#include "store_fixture.h"

namespace vigil::tracker {
namespace {

using Points = StoreTest;

TEST_P(Points, SpanManyChunksAndSlowFlushesWithoutLoss) {
  Store store = open();
  auto run = store.start_run();
  auto loss = run.metric("loss");
  // Several flushes per chunk (the open chunk is rewritten) and several chunks.
  for (int i = 0; i < 10000; ++i) {
    loss.log(i * 0.5, i, i / 1000);
    if (i % 3000 == 1234) run.flush();
  }
  run.finish();
  auto points = store.points(run.id(), SeriesKey{"loss", {}});
  ASSERT_EQ(points.size(), 10000u);
  for (int i = 0; i < 10000; ++i) {
    ASSERT_EQ(points[i].step, i);
    ASSERT_EQ(points[i].value, i * 0.5);
    ASSERT_EQ(points[i].epoch, i / 1000);
  }
}

TEST_P(Points, ComeBackInStepOrder) {
  Store store = open();
  auto run = store.start_run();
  for (int step : {5, 1, 3, 2, 4}) run.log_metric("x", step * 10.0, step);
  run.finish();
  auto points = store.points(run.id(), SeriesKey{"x", {}});
  ASSERT_EQ(points.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(points[i].step, i + 1);
    EXPECT_EQ(points[i].value, (i + 1) * 10.0);
  }
}

TEST_P(Points, DownsamplingKeepsMinAndMaxOfEveryBucket) {
  Store store = open();
  auto run = store.start_run();
  auto loss = run.metric("loss");
  constexpr int kPoints = 50000;
  std::vector<double> values(kPoints);
  for (int i = 0; i < kPoints; ++i) {
    values[i] = std::sin(i * 0.01);
    if (i == 12345) values[i] = 100.0;   // a spike
    if (i == 40001) values[i] = -100.0;  // a dip
    if (i == 777) values[i] = std::nan("");
    loss.log(values[i], i);
  }
  run.finish();

  constexpr std::size_t kMax = 200;
  auto sampled = store.points(run.id(), SeriesKey{"loss", {}}, kMax);
  ASSERT_LE(sampled.size(), kMax);
  EXPECT_GE(sampled.size(), kMax - 2);
  EXPECT_TRUE(std::is_sorted(sampled.begin(), sampled.end(),
                             [](const auto& a, const auto& b) { return a.step < b.step; }));
  auto has_step = [&](std::int64_t step) {
    return std::any_of(sampled.begin(), sampled.end(),
                       [&](const MetricPoint& p) { return p.step == step; });
  };
  EXPECT_TRUE(has_step(12345));
  EXPECT_TRUE(has_step(40001));
  // Every bucket (steps split into kMax/2 equal ranges) keeps its exact min and max.
  const int buckets = kMax / 2;
  for (int b = 0; b < buckets; ++b) {
    int lo = static_cast<int>(static_cast<long long>(b) * kPoints / buckets);
    int hi = static_cast<int>(static_cast<long long>(b + 1) * kPoints / buckets);
    double mn = INFINITY, mx = -INFINITY;
    for (int i = lo; i < hi; ++i) {
      if (std::isnan(values[i])) continue;
      mn = std::min(mn, values[i]);
      mx = std::max(mx, values[i]);
    }
    bool found_min = false, found_max = false;
    for (const auto& p : sampled) {
      if (p.step < lo || p.step >= hi) continue;
      found_min = found_min || p.value == mn;
      found_max = found_max || p.value == mx;
    }
    EXPECT_TRUE(found_min && found_max) << "bucket " << b;
  }
  // Fewer points than the limit: everything, unchanged.
  EXPECT_EQ(store.points(run.id(), SeriesKey{"loss", {}}, kPoints).size(),
            static_cast<std::size_t>(kPoints));
}

// Steps that go back (a resumed run, two passes over the same steps) and buckets whose step
// ranges do not divide evenly: each bucket still holds exactly its own min and max (the
// downsampler caches the last bucket's step range; a step outside it must not reuse it).
TEST_P(Points, DownsamplingOutOfOrderStepsKeepsEachBucketsExtremes) {
  Store store = open();
  auto run = store.start_run();
  auto loss = run.metric("loss");
  constexpr int kSteps = 9001;
  std::vector<std::pair<std::int64_t, double>> logged;
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = pass; i < kSteps; i += 2) {
      const double value = std::cos(i * 0.37) * (pass + 1) + (i % 101 == 0 ? 50.0 : 0.0);
      loss.log(value, i);
      logged.emplace_back(i, value);
    }
  }
  run.finish();
  constexpr int kBuckets = 37;
  auto sampled = store.points(run.id(), SeriesKey{"loss", {}}, 2 * kBuckets);
  ASSERT_LE(sampled.size(), 2u * kBuckets);
  for (int b = 0; b < kBuckets; ++b) {
    // Bucket b holds the steps s with floor(s * kBuckets / kSteps) == b.
    const std::int64_t lo = (static_cast<std::int64_t>(b) * kSteps + kBuckets - 1) / kBuckets;
    const std::int64_t hi = (static_cast<std::int64_t>(b + 1) * kSteps + kBuckets - 1) / kBuckets;
    double mn = INFINITY, mx = -INFINITY;
    for (const auto& [step, value] : logged) {
      if (step < lo || step >= hi) continue;
      mn = std::min(mn, value);
      mx = std::max(mx, value);
    }
    std::vector<double> in_bucket;
    for (const auto& p : sampled) {
      if (p.step >= lo && p.step < hi) in_bucket.push_back(p.value);
    }
    ASSERT_EQ(in_bucket.size(), 2u) << "bucket " << b;
    EXPECT_EQ(*std::min_element(in_bucket.begin(), in_bucket.end()), mn) << "bucket " << b;
    EXPECT_EQ(*std::max_element(in_bucket.begin(), in_bucket.end()), mx) << "bucket " << b;
  }
}

TEST_P(Points, DownsamplingAConstantSeriesSkipsButKeepsShape) {
  Store store = open();
  auto run = store.start_run();
  auto flat = run.metric("flat");
  for (int i = 0; i < 20000; ++i) flat.log(1.0, i);
  run.finish();
  auto sampled = store.points(run.id(), SeriesKey{"flat", {}}, 4);
  ASSERT_FALSE(sampled.empty());
  ASSERT_LE(sampled.size(), 4u);
  for (const auto& p : sampled) EXPECT_EQ(p.value, 1.0);
  EXPECT_EQ(sampled.front().step, 0);  // first point of the first bucket
}

TEST_P(Points, RangeQueryReturnsEveryPointInRangeAtFullResolution) {
  Store store = open();
  auto run = store.start_run();
  auto loss = run.metric("loss");
  for (int i = 0; i < 20000; ++i) loss.log(i * 0.25, i);
  run.finish();
  PointsQuery query;
  query.min_step = 9000;
  query.max_step = 9199;
  query.max_points = 2000;
  auto points = store.points(run.id(), SeriesKey{"loss", {}}, query);
  ASSERT_EQ(points.size(), 200u);
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(points[i].step, 9000 + i);
    EXPECT_EQ(points[i].value, (9000 + i) * 0.25);
  }
  // Over the budget: downsampled over the range only, extremes kept.
  query.min_step = 100;
  query.max_step = 15099;
  query.max_points = 100;
  auto sampled = store.points(run.id(), SeriesKey{"loss", {}}, query);
  ASSERT_LE(sampled.size(), 100u);
  EXPECT_EQ(sampled.front().step, 100);
  EXPECT_EQ(sampled.back().step, 15099);
  query.min_step = 30000;
  query.max_step = 40000;
  EXPECT_TRUE(store.points(run.id(), SeriesKey{"loss", {}}, query).empty());
  query.min_step = 5;
  query.max_step = 4;
  EXPECT_THROW(store.points(run.id(), SeriesKey{"loss", {}}, query), InvalidArgument);
}

TEST_P(Points, RangeQueryReadsOnlyTheChunksItNeeds) {
  Store store = open();
  auto run = store.start_run();
  auto loss = run.metric("loss");
  for (int i = 0; i < 3 * 4096; ++i) loss.log(i, i);
  run.finish();
  // Corrupt the first chunk: a whole read fails, a read of the last chunk's steps does not.
  testing::store_exec(path_, sqlite() ? "UPDATE chunks SET data = x'02ff' WHERE seq = 0"
                                      : "UPDATE chunks SET data = '\\x02ff' WHERE seq = 0");
  EXPECT_THROW(store.points(run.id(), SeriesKey{"loss", {}}), Error);
  PointsQuery query;
  query.min_step = 2 * 4096;
  auto points = store.points(run.id(), SeriesKey{"loss", {}}, query);
  ASSERT_EQ(points.size(), 4096u);
  EXPECT_EQ(points.front().step, 2 * 4096);
}
VIGIL_ON_EVERY_BACKEND(Points);

}  // namespace
}  // namespace vigil::tracker
