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
// Beyond any offset of an int64 step from an int64 origin (|offset| < 2^64).
constexpr Wide kUnbounded = Wide{1} << 100;

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

  // Point i of a decoded chunk; its MetricPoint is built only when it becomes an extreme.
  void add(const DecodedChunk& chunk, std::size_t i) {
    Bucket& b = buckets_[cached_bucket_of(chunk.steps[i])];
    const std::uint64_t order = order_++;
    const double value = chunk.values[i];
    if (std::isnan(value)) {
      if (!b.has_nan) {
        b.has_nan = true;
        b.first_nan = chunk.point(i);
        b.nan_order = order;
      }
      return;
    }
    if (!b.has_extremes) {
      b.has_extremes = true;
      b.min = b.max = chunk.point(i);
      b.min_order = b.max_order = order;
      return;
    }
    if (value < b.min.value) {
      b.min = chunk.point(i);
      b.min_order = order;
    }
    if (value > b.max.value) {
      b.max = chunk.point(i);
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
  // Offset of the first step of bucket b: ceil(b * span / n), the inverse of bucket_of.
  Wide bucket_start(std::size_t b) const {
    const Wide n = static_cast<Wide>(buckets_.size());
    return (static_cast<Wide>(b) * span_ + n - 1) / n;
  }

  // bucket_of, without its 128-bit division while steps stay in the last bucket's range (they
  // mostly arrive in order, many to a bucket).
  std::size_t cached_bucket_of(std::int64_t step) {
    const Wide offset = static_cast<Wide>(step) - lo_;
    if (offset >= cached_start_ && offset < cached_end_) return cached_;
    cached_ = bucket_of(step);
    cached_start_ = cached_ == 0 ? -kUnbounded : bucket_start(cached_);
    cached_end_ = cached_ + 1 == buckets_.size() ? kUnbounded : bucket_start(cached_ + 1);
    return cached_;
  }

  std::int64_t lo_;
  Wide span_;
  std::vector<Bucket> buckets_;
  std::uint64_t order_ = 0;
  std::size_t cached_ = 0;  // the bucket of offsets [cached_start_, cached_end_)
  Wide cached_start_ = 0;
  Wide cached_end_ = 0;  // empty range until the first lookup
};

// The query's step range; chunks and points outside it are skipped.
struct StepRange {
  std::int64_t lo = std::numeric_limits<std::int64_t>::min();
  std::int64_t hi = std::numeric_limits<std::int64_t>::max();
  bool overlaps(const ChunkMeta& chunk) const {
    return chunk.last_step >= lo && chunk.first_step <= hi;
  }
  bool contains(std::int64_t step) const { return step >= lo && step <= hi; }
};

// Every point in range, in step order (stable: equal steps keep their logging order).
std::vector<MetricPoint> read_all(Backend& backend, std::int64_t series_id,
                                  const StepRange& range) {
  std::vector<MetricPoint> points;
  DecodedChunk columns;
  backend.scan_chunks(
      series_id, [&](const ChunkMeta& chunk) { return range.overlaps(chunk); },
      [&](const ChunkMeta& chunk, std::string_view data) {
        decode_chunk(data, columns);
        if (chunk.first_step >= range.lo && chunk.last_step <= range.hi) {
          columns.append_to(points);
          return;
        }
        for (std::size_t i = 0; i < columns.size(); ++i) {
          if (range.contains(columns.steps[i])) points.push_back(columns.point(i));
        }
      });
  if (!std::is_sorted(points.begin(), points.end(), step_less)) {
    std::stable_sort(points.begin(), points.end(), step_less);
  }
  return points;
}

}  // namespace

std::vector<MetricPoint> read_points(Backend& backend, std::int64_t series_id,
                                     const PointsQuery& query) {
  StepRange range;
  if (query.min_step) range.lo = *query.min_step;
  if (query.max_step) range.hi = *query.max_step;
  // Pass 1: chunk metadata only (no blob is read): points in range and their step range.
  std::int64_t lo = std::numeric_limits<std::int64_t>::max();
  std::int64_t hi = std::numeric_limits<std::int64_t>::min();
  std::uint64_t upper_bound = 0;  // points in overlapping chunks
  backend.scan_chunks(
      series_id,
      [&](const ChunkMeta& chunk) {
        if (range.overlaps(chunk)) {
          lo = std::min(lo, std::max(chunk.first_step, range.lo));
          hi = std::max(hi, std::min(chunk.last_step, range.hi));
          upper_bound += chunk.n;
        }
        return false;
      },
      [](const ChunkMeta&, std::string_view) {});
  if (lo > hi) return {};
  if (query.max_points == 0 || upper_bound <= query.max_points) {
    return read_all(backend, series_id, range);
  }
  // With max_points == 1 a bucket's min and max do not both fit: the result is cut to one.
  Downsampler sampler(lo, hi, std::max<std::size_t>(1, query.max_points / 2));
  DecodedChunk columns;
  backend.scan_chunks(
      series_id,
      [&](const ChunkMeta& chunk) { return range.overlaps(chunk) && sampler.needs(chunk); },
      [&](const ChunkMeta&, std::string_view data) {
        decode_chunk(data, columns);
        for (std::size_t i = 0; i < columns.size(); ++i) {
          if (range.contains(columns.steps[i])) sampler.add(columns, i);
        }
      });
  std::vector<MetricPoint> points = sampler.result();
  if (points.size() > query.max_points) points.resize(query.max_points);
  return points;
}

}  // namespace detail

std::vector<MetricPoint> Store::points(std::string_view run_id, const SeriesKey& series,
                                       std::size_t max_points) const {
  PointsQuery query;
  query.max_points = max_points;
  return points(run_id, series, query);
}

std::vector<MetricPoint> Store::points(std::string_view run_id, const SeriesKey& series,
                                       const PointsQuery& query) const {
  if (!backend_) throw Error("use of a moved-from vigil::tracker::Store");
  if (query.min_step && query.max_step && *query.min_step > *query.max_step) {
    throw InvalidArgument("step range " + std::to_string(*query.min_step) + ".." +
                          std::to_string(*query.max_step) +
                          " is empty; expected min_step <= max_step");
  }
  std::string id = resolve_run_id(run_id);
  auto found = backend_->find_series(id, series);
  if (!found) {
    throw Error("run " + id + " has no metric series '" + series.qualified_name() + "'");
  }
  return detail::read_points(*backend_, found->first, query);
}

}  // namespace vigil::tracker
