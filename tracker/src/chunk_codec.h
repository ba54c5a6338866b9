#pragma once

// Compact encoding of a run of metric points ("chunk"), stored as one BLOB row.
//
// Layout (all integers little-endian varints unless noted):
//   u8 format (=1), varint n, u8 epoch_mode (0: no point has an epoch, 1: all have one,
//   2: mixed, followed by a presence bitmap of ceil(n/8) bytes),
//   varint steps_bytes, steps: zigzag(step - previous step), previous starts at 0,
//   varint epochs_bytes, epochs: zigzag(epoch - previous present epoch),
//   values: n raw IEEE-754 doubles, 8 bytes each (NaN payloads and +-Inf kept bit-exactly),
//   times: zigzag(ms - previous ms), previous starts at 0.
// The builder keeps the four streams separately so appending to an open chunk is O(1) and
// serialising it is a concatenation.

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/tracker/types.h"

namespace vigil::tracker::detail {

/// Points per chunk before it is sealed and a new one is started.
constexpr std::uint32_t kChunkCapacity = 4096;

/// Sentinel for "no epoch" in the compact in-memory point record.
constexpr std::int64_t kNoEpoch = INT64_MIN;

/// Appends points to one chunk. Copyable (the writer snapshots it to roll back a failed
/// commit). Not thread-safe.
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

  /// The encoded chunk (see the layout above).
  std::string serialize() const;
  void clear() { *this = ChunkBuilder(); }

 private:
  std::uint32_t n_ = 0;
  std::uint32_t epochs_present_ = 0;
  std::int64_t previous_step_ = 0;
  std::int64_t previous_epoch_ = 0;
  std::int64_t previous_time_ = 0;
  std::int64_t min_step_ = 0;
  std::int64_t max_step_ = 0;
  double min_value_ = std::numeric_limits<double>::quiet_NaN();
  double max_value_ = std::numeric_limits<double>::quiet_NaN();
  std::string steps_;
  std::string epochs_;
  std::vector<std::uint8_t> presence_;
  std::string values_;
  std::string times_;
};

/// Decodes a chunk, appending its points to `out`. Throws Error naming the problem when the
/// blob is malformed (never reads out of bounds).
void decode_chunk(std::string_view blob, std::vector<MetricPoint>& out);

}  // namespace vigil::tracker::detail
