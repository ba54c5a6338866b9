// Format 1 of the chunk codec (see chunk_codec.h): varint deltas and raw doubles.
//
// Layout: u8 format (=1), varint n, u8 epoch_mode (0: no point has an epoch, 1: all have one,
// 2: mixed, followed by a presence bitmap of ceil(n/8) bytes), varint steps_bytes, steps:
// zigzag(step - previous step), previous starts at 0, varint epochs_bytes, epochs:
// zigzag(epoch - previous present epoch), values: n raw IEEE-754 doubles, times: zigzag(ms -
// previous ms), previous starts at 0.

#include <cmath>
#include <cstring>

#include "chunk_codec.h"
#include "codec_util.h"

namespace vigil::tracker::detail {
namespace {

constexpr std::uint8_t kFormatV1 = 1;

}  // namespace

std::string encode_chunk_v1(const std::vector<MetricPoint>& points) {
  std::string steps, epochs, values, times;
  std::vector<std::uint8_t> presence((points.size() + 7) / 8, 0);
  std::int64_t previous_step = 0, previous_epoch = 0, previous_time = 0;
  std::size_t epochs_present = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const MetricPoint& p = points[i];
    put_varint(steps, zigzag(wrapping_delta(p.step, previous_step)));
    previous_step = p.step;
    if (p.epoch) {
      presence[i >> 3] = static_cast<std::uint8_t>(presence[i >> 3] | (1u << (i & 7)));
      put_varint(epochs, zigzag(wrapping_delta(*p.epoch, previous_epoch)));
      previous_epoch = *p.epoch;
      ++epochs_present;
    }
    char raw[8];
    std::memcpy(raw, &p.value, 8);  // little-endian hosts only (x86-64, aarch64)
    values.append(raw, 8);
    auto ms = static_cast<std::int64_t>(std::llround(p.time * 1000.0));
    put_varint(times, zigzag(wrapping_delta(ms, previous_time)));
    previous_time = ms;
  }
  std::string out;
  out.push_back(static_cast<char>(kFormatV1));
  put_varint(out, points.size());
  std::uint8_t mode = epochs_present == 0 ? 0 : (epochs_present == points.size() ? 1 : 2);
  out.push_back(static_cast<char>(mode));
  if (mode == 2) out.append(reinterpret_cast<const char*>(presence.data()), presence.size());
  put_varint(out, steps.size());
  out += steps;
  put_varint(out, epochs.size());
  out += epochs;
  out += values;
  out += times;
  return out;
}

void decode_chunk_v1(std::string_view blob, DecodedChunk& out) {
  ByteReader header(blob);
  if (header.byte() != kFormatV1) throw Error("corrupt metric chunk: not format 1");
  std::uint64_t n = header.varint();
  if (n > blob.size()) throw Error("corrupt metric chunk: bad point count");
  std::uint8_t mode = header.byte();
  if (mode > 2) throw Error("corrupt metric chunk: bad epoch mode");
  std::string_view presence;
  if (mode == 2) presence = header.take((n + 7) / 8);
  ByteReader steps(header.take(header.varint()));
  ByteReader epochs(header.take(header.varint()));
  std::string_view values = header.take(n * 8);
  ByteReader& times = header;

  out.resize(static_cast<std::size_t>(n));
  std::memcpy(out.values.data(), values.data(), values.size());  // little-endian hosts only
  std::int64_t step = 0, epoch = 0, time_ms = 0;
  for (std::size_t i = 0; i < n; ++i) {
    step = wrapping_add(step, unzigzag(steps.varint()));
    out.steps[i] = step;
    bool has_epoch =
        mode == 1 || (mode == 2 && (static_cast<std::uint8_t>(presence[i >> 3]) >> (i & 7)) & 1);
    if (has_epoch) epoch = wrapping_add(epoch, unzigzag(epochs.varint()));
    out.epochs[i] = has_epoch ? epoch : kNoEpoch;
    time_ms = wrapping_add(time_ms, unzigzag(times.varint()));
    out.times_ms[i] = time_ms;
  }
  if (!steps.at_end() || !epochs.at_end() || !times.at_end()) {
    throw Error("corrupt metric chunk: trailing data");
  }
}

}  // namespace vigil::tracker::detail
