// Store::points: decoding chunks, and min/max-per-bucket downsampling that skips chunks
// which cannot change any bucket.

#include <algorithm>
#include <cmath>
#include <limits>

#include "chunk_codec.h"
#include "store_internal.h"
#include "vigil/tracker/errors.h"

namespace vigil::tracker {
namespace detail {
namespace {

// 128-bit: (step - lo) * buckets overflows 64 bits for extreme steps.
__extension__ using Wide = __int128;

bool step_less(const MetricPoint& a, const MetricPoint& b) { return a.step < b.step; }

struct Bucket {
  bool has_extremes = false;  // min/max hold real (non-NaN) points
  MetricPoint min;
  MetricPoint max;
  std::uint64_t min_order = 0;  // arrival order, to keep equal steps in logging order
  std::uint64_t max_order = 0;
  bool has_nan = false;  // only used when the bucket sees no number at all
  MetricPoint first_nan;
  std::uint64_t nan_order = 0;
};

class Downsampler {
 public:
  Downsampler(std::int64_t lo, std::int64_t hi, std::size_t buckets)
      : lo_(lo), span_(static_cast<Wide>(hi) - lo + 1), buckets_(buckets) {}

  // Exact integer arithmetic: bucket b holds steps [lo + b*span/n, lo + (b+1)*span/n).
  std::size_t bucket_of(std::int64_t step) const {
    Wide offset = static_cast<Wide>(step) - lo_;
    if (offset < 0) return 0;
    auto index = static_cast<std::size_t>(offset * static_cast<Wide>(buckets_.size()) / span_);
    return std::min(index, buckets_.size() - 1);
  }

  // A chunk inside one bucket whose extremes the bucket already covers changes nothing.
  bool needs(const ChunkMeta& chunk) const {
    std::size_t first = bucket_of(chunk.first_step), last = bucket_of(chunk.last_step);
    if (first != last || std::isnan(chunk.min) || std::isnan(chunk.max)) return true;
    const Bucket& b = buckets_[first];
    return !(b.has_extremes && b.min.value <= chunk.min && b.max.value >= chunk.max);
  }

  void add(const MetricPoint& p) {
    Bucket& b = buckets_[bucket_of(p.step)];
    const std::uint64_t order = order_++;
    if (std::isnan(p.value)) {
      if (!b.has_nan) {
        b.has_nan = true;
        b.first_nan = p;
        b.nan_order = order;
      }
      return;
    }
    if (!b.has_extremes) {
      b.has_extremes = true;
      b.min = b.max = p;
      b.min_order = b.max_order = order;
      return;
    }
    if (p.value < b.min.value) {
      b.min = p;
      b.min_order = order;
    }
    if (p.value > b.max.value) {
      b.max = p;
      b.max_order = order;
    }
  }

  std::vector<MetricPoint> result() const {
    std::vector<MetricPoint> out;
    for (const Bucket& b : buckets_) {
      if (!b.has_extremes) {
        if (b.has_nan) out.push_back(b.first_nan);
        continue;
      }
      if (b.min_order == b.max_order) {
        out.push_back(b.min);
        continue;
      }
      bool min_first =
          b.min.step < b.max.step || (b.min.step == b.max.step && b.min_order < b.max_order);
      out.push_back(min_first ? b.min : b.max);
      out.push_back(min_first ? b.max : b.min);
    }
    return out;
  }

 private:
  std::int64_t lo_;
  Wide span_;
  std::vector<Bucket> buckets_;
  std::uint64_t order_ = 0;
};

}  // namespace

std::vector<MetricPoint> read_points(Backend& backend, std::int64_t series_id,
                                     std::size_t max_points, std::int64_t count) {
  std::vector<MetricPoint> points;
  if (max_points == 0 || count <= static_cast<std::int64_t>(max_points)) {
    points.reserve(static_cast<std::size_t>(std::max<std::int64_t>(count, 0)));
    backend.scan_chunks(
        series_id, [](const ChunkMeta&) { return true; },
        [&](const ChunkMeta&, std::string_view data) { decode_chunk(data, points); });
    if (!std::is_sorted(points.begin(), points.end(), step_less)) {
      std::stable_sort(points.begin(), points.end(), step_less);
    }
    return points;
  }
  // Pass 1: chunk metadata only (no blob is read) to learn the step range.
  std::int64_t lo = std::numeric_limits<std::int64_t>::max();
  std::int64_t hi = std::numeric_limits<std::int64_t>::min();
  backend.scan_chunks(
      series_id,
      [&](const ChunkMeta& chunk) {
        lo = std::min(lo, chunk.first_step);
        hi = std::max(hi, chunk.last_step);
        return false;
      },
      [](const ChunkMeta&, std::string_view) {});
  if (lo > hi) return points;
  // With max_points == 1 a bucket's min and max do not both fit: the result is cut to one.
  Downsampler sampler(lo, hi, std::max<std::size_t>(1, max_points / 2));
  backend.scan_chunks(
      series_id, [&](const ChunkMeta& chunk) { return sampler.needs(chunk); },
      [&](const ChunkMeta&, std::string_view data) {
        points.clear();
        decode_chunk(data, points);
        for (const MetricPoint& p : points) sampler.add(p);
      });
  points = sampler.result();
  if (points.size() > max_points) points.resize(max_points);
  return points;
}

}  // namespace detail

std::vector<MetricPoint> Store::points(std::string_view run_id, const SeriesKey& series,
                                       std::size_t max_points) const {
  if (!backend_) throw Error("use of a moved-from vigil::tracker::Store");
  std::string id = resolve_run_id(run_id);
  auto found = backend_->find_series(id, series);
  if (!found) {
    throw Error("run " + id + " has no metric series '" + series.qualified_name() + "'");
  }
  return detail::read_points(*backend_, found->first, max_points, found->second.count);
}

}  // namespace vigil::tracker
