// Fuzzes the decoder of stored metric chunks: a corrupt or hostile store file must give a
// tracker::Error, never an out-of-bounds read or an allocation the blob does not justify.
// A blob that decodes is re-encoded and must decode to the same steps, epochs and value bits
// (times are compared by the unit tests: they pass through a double in seconds).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "chunk_codec.h"
#include "fuzz_support.h"

namespace {

namespace detail = vigil::tracker::detail;

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void round_trip(const std::vector<vigil::tracker::MetricPoint>& points) {
  if (points.empty() || points.size() > detail::kChunkCapacity) return;
  for (const auto& point : points) {
    if (point.epoch == detail::kNoEpoch) return;  // the builder's "no epoch" sentinel
  }
  detail::ChunkBuilder builder;
  for (const auto& point : points) {
    builder.append(point.step, point.epoch ? *point.epoch : detail::kNoEpoch, point.value, 0);
  }
  std::vector<vigil::tracker::MetricPoint> again;
  detail::decode_chunk(builder.serialize(), again);
  if (again.size() != points.size()) __builtin_trap();
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (again[i].step != points[i].step || again[i].epoch != points[i].epoch ||
        !same_bits(again[i].value, points[i].value)) {
      __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  vigil::fuzz::expect_vigil_errors_only([&] {
    std::vector<vigil::tracker::MetricPoint> points;
    detail::decode_chunk(vigil::fuzz::as_text(data, size), points);
    round_trip(points);
  });
  return 0;
}
