#pragma once

// Compact encoding of a run of metric points ("chunk"), stored as one BLOB row.
//
// Format 2 (written by ChunkBuilder). Varints are little-endian base-128; bit streams are
// packed most significant bit first (bit_stream.h) and zero-padded to whole bytes.
//   u8 format (=2), varint n,
//   u8 flags: bits 0-1 epoch mode (0: no point has an epoch, 1: all have one, 2: mixed, followed
//             by a presence bitmap of ceil(n/8) bytes), bit 2 constant step stride,
//             bits 3-4 value mode (0: float32-exact values, 1: doubles, 2: raw doubles),
//   steps:  constant stride: varint zigzag(first step), varint zigzag(stride);
//           else varint byte length + bit stream of integer codes of zigzag(delta of deltas),
//   epochs: varint byte length + bit stream of runs of equal epochs among the points that have
//           one: integer codes of zigzag(epoch - previous run's epoch) and (run length - 1),
//   values: modes 0/1: varint byte length + bit stream of value codes of zigzag(delta of the
//           values' order-preserving integer images, 32-bit for mode 0, 64-bit for mode 1);
//           mode 2: n raw IEEE-754 doubles (used when coding would not save space),
//   times:  the rest: bit stream of integer codes of zigzag(delta of deltas of milliseconds).
// Integer code: '0' = 0; '10'+3 bits; '110'+7; '1110'+16; '11110'+32; '11111'+64.
// Value code: '0' = 0; '10' + W bits (W = current window width); '11' + 6 bits (width - 1) +
// width bits, which sets the window. Every value, NaN payloads, -0.0 and denormals included,
// round-trips bit-exactly: float32 mode is used only when the conversion is exact.
//
// Format 1 (chunk_codec_v1.cc) is still decoded: stores written before format 2 stay
// readable, and `vigil store migrate` rewrites their chunks.

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "bit_stream.h"
#include "vigil/tracker/types.h"

namespace vigil::tracker::detail {

/// Points per chunk before it is sealed and a new one is started.
constexpr std::uint32_t kChunkCapacity = 4096;

/// Sentinel for "no epoch" in the compact in-memory point record.
constexpr std::int64_t kNoEpoch = INT64_MIN;

/// The chunk format ChunkBuilder writes.
constexpr std::uint8_t kChunkFormat = 2;

/// Appends points to one chunk (format 2). Copyable (the writer snapshots it to roll back a
/// failed commit). Not thread-safe.
class ChunkBuilder {
 public:
  void append(std::int64_t step, std::int64_t epoch_or_none, double value, std::int64_t time_ms);

  std::uint32_t size() const noexcept { return n_; }
  bool empty() const noexcept { return n_ == 0; }
  bool full() const noexcept { return n_ >= kChunkCapacity; }
  std::int64_t min_step() const noexcept { return min_step_; }
  std::int64_t max_step() const noexcept { return max_step_; }
  /// Min/max ignoring NaN; NaN when every value is NaN.
  double min_value() const noexcept { return min_value_; }
  double max_value() const noexcept { return max_value_; }
  /// The last point appended (unspecified when empty).
  double last_value() const noexcept { return last_value_; }
  std::int64_t last_step() const noexcept { return previous_step_; }
  std::int64_t last_time_ms() const noexcept { return previous_time_; }

  /// The encoded chunk (see the layout above).
  std::string serialize() const;
  /// Starts a new chunk, keeping the storage of the streams.
  void clear();

 private:
  void append_value(double value);
  void switch_to_doubles();
  void write_held_steps();

  std::uint32_t n_ = 0;
  std::int64_t min_step_ = 0;
  std::int64_t max_step_ = 0;
  double min_value_ = std::numeric_limits<double>::quiet_NaN();
  double max_value_ = std::numeric_limits<double>::quiet_NaN();
  double last_value_ = 0.0;

  // Steps: delta-of-delta stream (written once the stride changes), plus what the
  // constant-stride fast path needs.
  BitWriter steps_;
  std::int64_t first_step_ = 0;
  std::int64_t stride_ = 0;
  bool constant_stride_ = true;
  std::int64_t previous_step_ = 0;
  std::int64_t previous_step_delta_ = 0;

  // Epochs: presence bitmap and runs of equal epochs (the open run is not in epochs_ yet).
  std::uint32_t epochs_present_ = 0;
  std::int64_t previous_epoch_ = 0;  // epoch of the last run in epochs_
  std::int64_t run_epoch_ = 0;
  std::uint32_t epoch_run_length_ = 0;
  std::vector<std::uint8_t> presence_;
  BitWriter epochs_;

  // Values: float32 images while every value converts exactly, else doubles.
  bool doubles_ = false;
  std::uint64_t previous_image_ = 0;
  int window_ = 0;
  BitWriter values_;

  // Times: delta-of-delta of milliseconds.
  std::int64_t previous_time_ = 0;
  std::int64_t previous_time_delta_ = 0;
  BitWriter times_;
};

/// One decoded chunk, column by column: what the downsampler scans without building a
/// MetricPoint per point. Reused across chunks, it allocates only when a chunk is larger than
/// every one before it.
struct DecodedChunk {
  std::vector<std::int64_t> steps;
  std::vector<std::int64_t> epochs;  ///< kNoEpoch where a point has none
  std::vector<double> values;
  std::vector<std::int64_t> times_ms;

  std::size_t size() const noexcept { return steps.size(); }
  /// Sizes every column to `n` points (contents unspecified until decoded).
  void resize(std::size_t n);
  /// Point `i` as the public type (time in seconds).
  MetricPoint point(std::size_t i) const {
    MetricPoint p;
    p.step = steps[i];
    if (epochs[i] != kNoEpoch) p.epoch = epochs[i];
    p.value = values[i];
    p.time = static_cast<double>(times_ms[i]) / 1000.0;
    return p;
  }
  /// Appends every point to `out`.
  void append_to(std::vector<MetricPoint>& out) const;
};

/// Decodes a chunk of format 1 or 2 into `out`, replacing its contents. Throws Error naming
/// the problem when the blob is malformed (never reads out of bounds; `out` is then empty).
void decode_chunk(std::string_view blob, DecodedChunk& out);

/// Decodes a chunk of format 1 or 2, appending its points to `out`. Throws Error naming the
/// problem when the blob is malformed (never reads out of bounds; `out` is left unchanged).
void decode_chunk(std::string_view blob, std::vector<MetricPoint>& out);

/// The format byte of an encoded chunk (0 for an empty blob).
inline std::uint8_t chunk_format(std::string_view blob) noexcept {
  return blob.empty() ? 0 : static_cast<std::uint8_t>(blob[0]);
}

/// Format 1 (the original codec): kept to read old stores, and to write format-1 chunks for
/// the migration tests and the v1-versus-v2 benchmarks.
void decode_chunk_v1(std::string_view blob, DecodedChunk& out);
std::string encode_chunk_v1(const std::vector<MetricPoint>& points);

}  // namespace vigil::tracker::detail
