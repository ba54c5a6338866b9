// The chunk codec on its own, format 1 against format 2, for four kinds of series:
//   noisy   a float32 training loss: decaying, with noise, at regular steps (the usual case)
//   smooth  a float32 learning-rate-like curve (cosine schedule)
//   const   a constant value
//   random  random 64-bit doubles (worst case: nothing to compress)
// Steps are regular, times advance ~40 ms a step with jitter, an epoch every 1,000 steps.
//   BM_Encode/<kind>/<format>   encoding speed; counter bytes_per_point (encoded size)
//   BM_Decode/<kind>/<format>   decoding speed into MetricPoints (points/s)
//   BM_DecodeColumns/<kind>/<format>  decoding into reused columns (the downsampler's path)
// Run: build/bench/vigil_bench_codec --benchmark_repetitions=5 --benchmark_report_aggregates_only
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "chunk_codec.h"

namespace {

using vigil::tracker::MetricPoint;
namespace detail = vigil::tracker::detail;

enum Kind { kNoisy, kSmooth, kConstant, kRandom };
constexpr const char* kKindNames[] = {"noisy", "smooth", "const", "random"};
constexpr std::size_t kPoints = 1 << 20;

std::vector<MetricPoint> make_series(Kind kind) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> noise(0.0, 0.02);
  std::vector<MetricPoint> points(kPoints);
  std::int64_t time_ms = 1764157243000;
  for (std::size_t i = 0; i < kPoints; ++i) {
    MetricPoint& p = points[i];
    p.step = static_cast<std::int64_t>(i);
    p.epoch = static_cast<std::int64_t>(i / 1000);
    time_ms += 38 + static_cast<std::int64_t>(rng() % 5);
    p.time = static_cast<double>(time_ms) / 1000.0;
    const double t = static_cast<double>(i);
    switch (kind) {
      case kNoisy:
        p.value = static_cast<float>(2.3 * std::exp(-t / 20000.0) + 0.1 + noise(rng));
        break;
      case kSmooth:
        p.value = static_cast<float>(0.05 * (1 + std::cos(M_PI * t / kPoints)));
        break;
      case kConstant:
        p.value = 0.5;
        break;
      case kRandom: {
        std::uint64_t bits = rng();
        std::memcpy(&p.value, &bits, 8);
        break;
      }
    }
  }
  return points;
}

std::vector<std::string> encode(const std::vector<MetricPoint>& points, int format) {
  std::vector<std::string> chunks;
  for (std::size_t at = 0; at < points.size(); at += detail::kChunkCapacity) {
    const auto end = points.begin() + static_cast<std::ptrdiff_t>(
                                          std::min(points.size(), at + detail::kChunkCapacity));
    std::vector<MetricPoint> slice(points.begin() + static_cast<std::ptrdiff_t>(at), end);
    if (format == 1) {
      chunks.push_back(detail::encode_chunk_v1(slice));
      continue;
    }
    detail::ChunkBuilder builder;
    for (const MetricPoint& p : slice) {
      builder.append(p.step, *p.epoch, p.value, std::llround(p.time * 1000.0));
    }
    chunks.push_back(builder.serialize());
  }
  return chunks;
}

void BM_Encode(benchmark::State& state) {
  const auto kind = static_cast<Kind>(state.range(0));
  const int format = static_cast<int>(state.range(1));
  const auto points = make_series(kind);
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto chunks = encode(points, format);
    bytes = 0;
    for (const auto& c : chunks) bytes += c.size();
    benchmark::DoNotOptimize(chunks.data());
  }
  state.SetLabel(std::string(kKindNames[kind]) + "/v" + std::to_string(format));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kPoints));
  state.counters["bytes_per_point"] = static_cast<double>(bytes) / kPoints;
}

void BM_Decode(benchmark::State& state) {
  const auto kind = static_cast<Kind>(state.range(0));
  const int format = static_cast<int>(state.range(1));
  const auto chunks = encode(make_series(kind), format);
  std::vector<MetricPoint> out;
  out.reserve(kPoints);
  for (auto _ : state) {
    out.clear();
    for (const auto& c : chunks) detail::decode_chunk(c, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(std::string(kKindNames[kind]) + "/v" + std::to_string(format));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kPoints));
}

// The dashboard's path: chunks decoded column by column into one reused DecodedChunk.
void BM_DecodeColumns(benchmark::State& state) {
  const auto kind = static_cast<Kind>(state.range(0));
  const int format = static_cast<int>(state.range(1));
  const auto chunks = encode(make_series(kind), format);
  detail::DecodedChunk columns;
  for (auto _ : state) {
    for (const auto& c : chunks) {
      detail::decode_chunk(c, columns);
      benchmark::DoNotOptimize(columns.values.data());
    }
  }
  state.SetLabel(std::string(kKindNames[kind]) + "/v" + std::to_string(format));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kPoints));
}

void kinds_and_formats(benchmark::internal::Benchmark* b) {
  for (int kind = kNoisy; kind <= kRandom; ++kind) {
    for (int format : {1, 2}) b->Args({kind, format});
  }
}

BENCHMARK(BM_Encode)->Apply(kinds_and_formats)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Decode)->Apply(kinds_and_formats)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeColumns)->Apply(kinds_and_formats)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
