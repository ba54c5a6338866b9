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

double from_bits(std::uint64_t b) {
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}

float float_from_bits(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

std::vector<Raw> regular(const std::vector<double>& values) {
  std::vector<Raw> out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    out.push_back({static_cast<std::int64_t>(i), kNoEpoch, values[i],
                   1764157243000 + 3 * static_cast<std::int64_t>(i)});
  }
  return out;
}

TEST(ChunkCodecV2, RoundTripsEveryValueKindBitExactly) {
  const std::vector<std::uint64_t> nan_patterns = {
      0x7ff8000000000000ULL,  // the default quiet NaN (float32-exact)
      0xfff8000000000000ULL,  // negative quiet NaN
      0x7ff8dead0000beefULL,  // payload in the low bits (not float32-exact)
      0x7ff0000000000001ULL,  // signalling NaN
      0x7ffc000020000000ULL,  // payload that float32 keeps
  };
  std::vector<double> values = {0.0,
                                -0.0,
                                INFINITY,
                                -INFINITY,
                                std::numeric_limits<double>::denorm_min(),
                                -std::numeric_limits<double>::denorm_min(),
                                std::numeric_limits<double>::min(),
                                std::numeric_limits<double>::max(),
                                std::numeric_limits<double>::lowest(),
                                static_cast<double>(std::numeric_limits<float>::denorm_min()),
                                static_cast<double>(std::numeric_limits<float>::min()),
                                static_cast<double>(std::numeric_limits<float>::max()),
                                static_cast<double>(float_from_bits(0x00400001u)),  // f32 denormal
                                static_cast<double>(0.1f),
                                0.1};
  for (std::uint64_t pattern : nan_patterns) values.push_back(from_bits(pattern));
  // Every value alone (one chunk mode each), and all together in both orders.
  for (double v : values) expect_round_trip(regular({v, v, -v}));
  expect_round_trip(regular(values));
  expect_round_trip(regular(std::vector<double>(values.rbegin(), values.rend())));
}

TEST(ChunkCodecV2, RoundTripsEveryFloat32Class) {
  std::mt19937 rng(7);
  std::vector<double> values;
  for (int i = 0; i < 20000; ++i) {
    std::uint32_t b = rng();
    if (i % 4 == 0) b &= 0x807fffffu;  // denormals and zeros
    if (i % 4 == 1) b |= 0x7f800000u;  // Inf and NaNs with float payloads
    values.push_back(static_cast<double>(float_from_bits(b)));
  }
  for (std::size_t at = 0; at < values.size(); at += kChunkCapacity) {
    std::size_t end = std::min(values.size(), at + kChunkCapacity);
    expect_round_trip(regular(std::vector<double>(values.begin() + at, values.begin() + end)));
  }
}

TEST(ChunkCodecV2, SwitchesToDoublesMidChunkWithoutLosingEarlierValues) {
  std::vector<double> values;
  for (int i = 0; i < 500; ++i) values.push_back(static_cast<double>(1.0f / (i + 1.0f)));
  values.push_back(1.0 / 3.0);  // not float32-exact
  for (int i = 0; i < 500; ++i) values.push_back(static_cast<double>(2.0f + i));
  expect_round_trip(regular(values));
}

// The decoder reads runs of 8 or more '0' codes (a repeated value, a held step or time stride)
// in one step: runs of every length around that threshold, at the start of a chunk (before
// any value window is set) and at its end, with NaN payloads and -0.0 repeated, steps and
// times whose stride changes between runs.
TEST(ChunkCodecV2, RoundTripsRunsOfRepeatsOfEveryLength) {
  const double payload_nan = from_bits(0x7ff8dead0000beefULL);
  std::vector<Raw> points;
  std::int64_t step = 0, time_ms = 1764157243000;
  for (int length = 1; length <= 70 && points.size() < kChunkCapacity; ++length) {
    const double value = length % 5 == 0   ? payload_nan
                         : length % 5 == 1 ? -0.0
                                           : static_cast<double>(static_cast<float>(length / 7.0));
    for (int i = 0; i < length; ++i) {
      step += length % 3 + 1;  // stride held for the run, changed between runs
      time_ms += length % 4 == 0 ? 40 : 40 + i % 2;
      points.push_back({step, length % 2 ? length : kNoEpoch, value, time_ms});
    }
  }
  expect_round_trip(points);
  // Only repeats, so the first value's '0' codes come before any window.
  expect_round_trip(std::vector<Raw>(100, Raw{7, 1, 0.0, 5}));
  // Doubles that are not float32-exact, repeated.
  std::vector<Raw> doubles;
  for (int i = 0; i < 300; ++i) doubles.push_back({i, kNoEpoch, 0.1 * (i / 37), 1000 + 10 * i});
  expect_round_trip(doubles);
}

// While the step stride holds, the builder leaves the step stream unwritten and writes the
// held points' codes when the stride first changes: a change after every count of held points
// (past the 64 zero codes written at once too), by one and by extreme amounts.
TEST(ChunkCodecV2, RoundTripsAStrideThatChangesAfterAnyNumberOfPoints) {
  const std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  for (std::int64_t held = 1; held <= 200; held += held < 70 ? 1 : 13) {
    for (std::int64_t first : {std::int64_t{0}, std::int64_t{-9}, kMax - 1000}) {
      std::vector<Raw> points;
      std::int64_t step = first;
      for (std::int64_t i = 0; i <= held; ++i, step += 3) {
        points.push_back({step, 1, 0.5 * static_cast<double>(i), 1000 + i});
      }
      points.push_back({step - 2, 1, 1.0, 2000});  // the stride changes
      points.push_back({-first, 1, 2.0, 2001});    // and again, by an extreme amount
      points.push_back({-first + 3, 1, 3.0, 2002});
      SCOPED_TRACE(testing::Message() << "held " << held << ", first step " << first);
      expect_round_trip(points);
    }
  }
}

// A builder reused after clear() (the writer's open chunk keeps its storage) writes the same
// bytes as a new one.
TEST(ChunkCodecV2, ClearedBuilderWritesTheSameBytesAsANewOne) {
  ChunkBuilder reused;
  for (int i = 0; i < 1000; ++i) {
    reused.append(i * i, i % 3 ? kNoEpoch : i, 1.0 / (i + 1.0), 1000 + 7 * i);
  }
  reused.serialize();
  reused.clear();
  EXPECT_TRUE(reused.empty());
  ChunkBuilder fresh;
  for (int i = 0; i < 700; ++i) {
    for (ChunkBuilder* b : {&reused, &fresh}) {
      b->append(5 + 2 * i, i / 100, static_cast<float>(i) * 0.25f, 4000 + 40 * i + i % 3);
    }
  }
  EXPECT_EQ(reused.serialize(), fresh.serialize());
  EXPECT_EQ(reused.min_value(), 0.0);
  EXPECT_EQ(reused.max_value(), 699 * 0.25);
  EXPECT_EQ(reused.last_step(), 5 + 2 * 699);
}

// decode_chunk into reused columns: a smaller chunk after a larger one leaves no stale points,
// and a corrupt one leaves the columns empty.
TEST(ChunkCodecV2, ColumnsAreReusedAcrossChunks) {
  ChunkBuilder large, small;
  for (int i = 0; i < 100; ++i) large.append(i, kNoEpoch, i * 0.5, 1000 + i);
  for (int i = 0; i < 3; ++i) small.append(10 + i, 2, -1.0 * i, 7000 + 2 * i);
  DecodedChunk columns;
  decode_chunk(large.serialize(), columns);
  ASSERT_EQ(columns.size(), 100u);
  decode_chunk(small.serialize(), columns);
  ASSERT_EQ(columns.size(), 3u);
  ASSERT_EQ(columns.epochs.size(), 3u);
  ASSERT_EQ(columns.values.size(), 3u);
  ASSERT_EQ(columns.times_ms.size(), 3u);
  const MetricPoint last = columns.point(2);
  EXPECT_EQ(last.step, 12);
  EXPECT_EQ(last.epoch, 2);
  EXPECT_EQ(last.value, -2.0);
  EXPECT_DOUBLE_EQ(last.time, 7.004);
  EXPECT_THROW(decode_chunk(std::string("\x02\x05\x00", 3), columns), Error);
  EXPECT_EQ(columns.size(), 0u);
}

TEST(ChunkCodecV2, DecodesFormat1Chunks) {
  std::vector<MetricPoint> points;
  for (int i = 0; i < 300; ++i) {
    MetricPoint p;
    p.step = 10 * i;
    if (i % 3) p.epoch = i / 100;
    p.value = i == 7 ? std::nan("") : 1.0 / (i + 1);
    p.time = 1764157243.5 + i * 0.25;
    points.push_back(p);
  }
  std::string blob = encode_chunk_v1(points);
  EXPECT_EQ(chunk_format(blob), 1);
  std::vector<MetricPoint> out;
  decode_chunk(blob, out);
  ASSERT_EQ(out.size(), points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    EXPECT_EQ(out[i].step, points[i].step);
    EXPECT_EQ(out[i].epoch, points[i].epoch);
    EXPECT_EQ(bits(out[i].value), bits(points[i].value));
    EXPECT_DOUBLE_EQ(out[i].time, points[i].time);
  }
}

// The size target: a float32 noisy loss at regular steps takes at most 4 bytes a
// point (the figure for every series kind is in the README, from vigil_bench_tracker).
TEST(ChunkCodecV2, NoisyFloat32LossTakesAtMostFourBytesAPoint) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> noise(0.0, 0.02);
  ChunkBuilder builder;
  std::int64_t time_ms = 1764157243000;
  for (std::uint32_t i = 0; i < kChunkCapacity; ++i) {
    time_ms += 40 + static_cast<std::int64_t>(rng() % 5);
    double loss = 2.3 * std::exp(-static_cast<double>(i) / 1500.0) + 0.1 + noise(rng);
    builder.append(i, i / 1000, static_cast<double>(static_cast<float>(loss)), time_ms);
  }
  std::string blob = builder.serialize();
  EXPECT_EQ(chunk_format(blob), kChunkFormat);
  EXPECT_LE(blob.size(), 4 * kChunkCapacity);
}

TEST(ChunkCodecV2, ConstantSeriesAndRandomDoublesStayCompact) {
  ChunkBuilder constant, random;
  std::mt19937_64 rng(3);
  for (std::uint32_t i = 0; i < kChunkCapacity; ++i) {
    constant.append(i, kNoEpoch, 0.5, 1764157243000);
    random.append(i, kNoEpoch, from_bits(rng()), 1764157243000 + i);
  }
  EXPECT_LE(constant.serialize().size(), kChunkCapacity / 4 + 64);  // 2 bits a point
  EXPECT_LE(random.serialize().size(), 8 * kChunkCapacity + 1024);  // raw doubles, no worse
}

TEST(ChunkCodecV2, RejectsCorruptFlagsAndNeverCrashesOnRandomBytes) {
  std::vector<MetricPoint> out;
  EXPECT_THROW(decode_chunk(std::string("\x02\x01\xe0", 3), out), Error);
  std::mt19937_64 rng(5);
  ChunkBuilder builder;
  for (int i = 0; i < 64; ++i) builder.append(i * i, i % 5 ? i : kNoEpoch, i * 0.25, 1000 * i);
  const std::string blob = builder.serialize();
  for (int round = 0; round < 4000; ++round) {
    std::string mutated = blob;
    for (int k = 0; k < 3; ++k) mutated[rng() % mutated.size()] = static_cast<char>(rng());
    out.clear();
    try {
      decode_chunk(mutated, out);
    } catch (const Error&) {
      EXPECT_TRUE(out.empty());
    }
  }
}

}  // namespace
}  // namespace vigil::tracker::detail
