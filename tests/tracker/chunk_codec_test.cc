#include "chunk_codec.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include <gtest/gtest.h>

#include "vigil/tracker/errors.h"

namespace vigil::tracker::detail {
namespace {

struct Raw {
  std::int64_t step;
  std::int64_t epoch;
  double value;
  std::int64_t time_ms;
};

std::uint64_t bits(double d) {
  std::uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}

void expect_round_trip(const std::vector<Raw>& input) {
  ChunkBuilder builder;
  for (const Raw& r : input) builder.append(r.step, r.epoch, r.value, r.time_ms);
  ASSERT_EQ(builder.size(), input.size());
  std::vector<MetricPoint> out;
  decode_chunk(builder.serialize(), out);
  ASSERT_EQ(out.size(), input.size());
  for (std::size_t i = 0; i < input.size(); ++i) {
    EXPECT_EQ(out[i].step, input[i].step) << i;
    if (input[i].epoch == kNoEpoch) {
      EXPECT_FALSE(out[i].epoch.has_value()) << i;
    } else {
      EXPECT_EQ(out[i].epoch, input[i].epoch) << i;
    }
    EXPECT_EQ(bits(out[i].value), bits(input[i].value)) << i;
    EXPECT_DOUBLE_EQ(out[i].time, static_cast<double>(input[i].time_ms) / 1000.0) << i;
  }
}

TEST(ChunkCodec, RoundTripsEdgeValuesBitExactly) {
  double payload_nan;
  std::uint64_t nan_bits = 0x7ff8dead0000beefULL;
  std::memcpy(&payload_nan, &nan_bits, 8);
  const std::int64_t kMin = std::numeric_limits<std::int64_t>::min() + 1;  // kNoEpoch is min
  const std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  expect_round_trip({
      {0, 0, 0.0, 0},
      {kMax, kMax, -0.0, 1764157243123},
      {kMin, kMin, std::numeric_limits<double>::quiet_NaN(), 0},
      {-5, kNoEpoch, INFINITY, -1},
      {3, 7, -INFINITY, 1764157243123},
      {2, kNoEpoch, payload_nan, 5},
      {2, 1, std::numeric_limits<double>::denorm_min(), 5},
      {kMax, kNoEpoch, std::numeric_limits<double>::max(), kMax},
      {kMin, -3, std::numeric_limits<double>::lowest(), kMin},
  });
}

TEST(ChunkCodec, RoundTripsEpochModes) {
  std::vector<Raw> none, all, mixed;
  for (int i = 0; i < 100; ++i) {
    none.push_back({i, kNoEpoch, i * 0.5, 1000 + i});
    all.push_back({i, i / 10, i * 0.5, 1000 + i});
    mixed.push_back({i, i % 3 == 0 ? i : kNoEpoch, i * 0.5, 1000 + i});
  }
  expect_round_trip(none);
  expect_round_trip(all);
  expect_round_trip(mixed);
  expect_round_trip({});
}

TEST(ChunkCodec, RoundTripsRandomFullChunk) {
  std::mt19937_64 rng(0);
  std::vector<Raw> input;
  std::int64_t step = 0, time_ms = 1764157243000;
  for (std::uint32_t i = 0; i < kChunkCapacity; ++i) {
    step += static_cast<std::int64_t>(rng() % 7) - 2;  // sometimes backwards
    time_ms += static_cast<std::int64_t>(rng() % 5) - 1;
    std::int64_t epoch = rng() % 4 == 0 ? kNoEpoch : static_cast<std::int64_t>(rng() % 50);
    double value;
    std::uint64_t b = rng();
    std::memcpy(&value, &b, 8);  // any bit pattern, NaNs included
    input.push_back({step, epoch, value, time_ms});
  }
  expect_round_trip(input);
}

TEST(ChunkCodec, TracksStepRangeAndMinMaxIgnoringNaN) {
  ChunkBuilder builder;
  EXPECT_TRUE(builder.empty());
  builder.append(5, kNoEpoch, std::nan(""), 0);
  EXPECT_TRUE(std::isnan(builder.min_value()));
  builder.append(2, kNoEpoch, 3.0, 0);
  builder.append(9, kNoEpoch, -1.0, 0);
  builder.append(4, kNoEpoch, std::nan(""), 0);
  EXPECT_EQ(builder.min_step(), 2);
  EXPECT_EQ(builder.max_step(), 9);
  EXPECT_EQ(builder.min_value(), -1.0);
  EXPECT_EQ(builder.max_value(), 3.0);
  builder.clear();
  EXPECT_TRUE(builder.empty());
}

TEST(ChunkCodec, CompactForRegularSeries) {
  ChunkBuilder builder;
  for (std::uint32_t i = 0; i < kChunkCapacity; ++i) {
    builder.append(i, kNoEpoch, 1.0 / (i + 1), 1764157243000 + i);
  }
  EXPECT_TRUE(builder.full());
  // 8 bytes of value plus about one byte each of step and time delta.
  EXPECT_LE(builder.serialize().size(), kChunkCapacity * 10 + 32);
}

TEST(ChunkCodec, RejectsEveryTruncationAndGarbage) {
  ChunkBuilder builder;
  for (int i = 0; i < 20; ++i) builder.append(i, i % 2 ? i : kNoEpoch, i, 1000 * i);
  std::string blob = builder.serialize();
  for (std::size_t len = 0; len < blob.size(); ++len) {
    std::vector<MetricPoint> out;
    EXPECT_THROW(decode_chunk(blob.substr(0, len), out), Error) << len;
    EXPECT_TRUE(out.empty());
  }
  std::vector<MetricPoint> out;
  EXPECT_THROW(decode_chunk(blob + "x", out), Error);
  EXPECT_THROW(decode_chunk(std::string("\x02\x01\x00", 3), out), Error);
  EXPECT_THROW(decode_chunk(std::string(64, '\xff'), out), Error);
}

}  // namespace
}  // namespace vigil::tracker::detail
