// Store::migrate_chunks: rewrites chunks of older formats in the current one, batch by batch.

#include <cmath>
#include <cstring>

#include "backend.h"
#include "chunk_codec.h"
#include "vigil/tracker/errors.h"
#include "vigil/tracker/store.h"

namespace vigil::tracker {
namespace {

// Chunks per transaction: large enough to amortise the commit, small enough that an
// interrupted migration loses little work and readers are never held up for long.
constexpr std::size_t kMigrationBatch = 256;

bool same_point(const MetricPoint& a, const MetricPoint& b) {
  return a.step == b.step && a.epoch == b.epoch && a.time == b.time &&
         std::memcmp(&a.value, &b.value, sizeof(double)) == 0;
}

// The chunk in the current format, or nullopt when it already is.
std::optional<std::string> upgrade_chunk(const detail::ChunkCursor& at, std::string_view data) {
  if (detail::chunk_format(data) == detail::kChunkFormat) return std::nullopt;
  const std::string where =
      "chunk " + std::to_string(at.seq) + " of series " + std::to_string(at.series_id);
  std::vector<MetricPoint> points;
  try {
    detail::decode_chunk(data, points);
  } catch (const Error& e) {
    throw Error("cannot migrate " + where + ": " + e.what());
  }
  detail::ChunkBuilder builder;
  for (const MetricPoint& p : points) {
    builder.append(p.step, p.epoch ? *p.epoch : detail::kNoEpoch, p.value,
                   std::llround(p.time * 1000.0));
  }
  std::string upgraded = builder.serialize();
  std::vector<MetricPoint> check;
  detail::decode_chunk(upgraded, check);
  bool same = check.size() == points.size();
  for (std::size_t i = 0; same && i < points.size(); ++i) same = same_point(check[i], points[i]);
  if (!same) throw Error("cannot migrate " + where + ": its points would change");
  return upgraded;
}

}  // namespace

MigrationProgress Store::migrate_chunks(
    const std::function<void(const MigrationProgress&)>& on_batch) {
  if (!backend_) throw Error("use of a moved-from vigil::tracker::Store");
  MigrationProgress progress;
  detail::ChunkCursor cursor;
  for (;;) {
    detail::RecodeBatch batch = backend_->recode_chunks(cursor, kMigrationBatch, upgrade_chunk);
    if (batch.visited == 0) return progress;
    progress.chunks_visited += batch.visited;
    progress.chunks_rewritten += batch.rewritten;
    if (on_batch) on_batch(progress);
  }
}

}  // namespace vigil::tracker
