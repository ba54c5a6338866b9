#include "chunk_codec.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "vigil/tracker/errors.h"

namespace vigil::tracker::detail {
namespace {

constexpr std::uint8_t kFormat = 1;

inline std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

inline std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

inline void put_varint(std::string& out, std::uint64_t v) {
  if (v < 0x80) {  // the common case: small deltas
    out.push_back(static_cast<char>(v));
    return;
  }
  char buffer[10];
  int n = 0;
  while (v >= 0x80) {
    buffer[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  buffer[n++] = static_cast<char>(v);
  out.append(buffer, static_cast<std::size_t>(n));
}

// Wrapping subtraction: deltas of extreme int64 values must not overflow (UB).
inline std::int64_t wrapping_delta(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
}

inline std::int64_t wrapping_add(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  std::uint8_t byte() {
    need(1);
    return static_cast<std::uint8_t>(data_[pos_++]);
  }
  std::uint64_t varint() {
    std::uint64_t result = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      std::uint8_t b = byte();
      result |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return result;
    }
    throw Error("corrupt metric chunk: varint too long");
  }
  std::string_view take(std::uint64_t n) {
    need(n);
    std::string_view out = data_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return out;
  }
  bool at_end() const { return pos_ == data_.size(); }

 private:
  void need(std::uint64_t n) const {
    if (n > data_.size() - pos_) throw Error("corrupt metric chunk: truncated data");
  }
  std::string_view data_;
  std::size_t pos_ = 0;
};

}  // namespace

void ChunkBuilder::append(std::int64_t step, std::int64_t epoch_or_none, double value,
                          std::int64_t time_ms) {
  if (n_ == 0) {
    // Sized for a full chunk of small deltas: no reallocation while the chunk fills.
    steps_.reserve(2 * kChunkCapacity);
    times_.reserve(2 * kChunkCapacity);
    values_.reserve(8 * kChunkCapacity);
    presence_.reserve(kChunkCapacity / 8);
    min_step_ = max_step_ = step;
    min_value_ = max_value_ = std::numeric_limits<double>::quiet_NaN();
  } else {
    if (step < min_step_) min_step_ = step;
    if (step > max_step_) max_step_ = step;
  }
  if (!std::isnan(value)) {
    if (std::isnan(min_value_) || value < min_value_) min_value_ = value;
    if (std::isnan(max_value_) || value > max_value_) max_value_ = value;
  }
  put_varint(steps_, zigzag(wrapping_delta(step, previous_step_)));
  previous_step_ = step;
  if ((n_ & 7) == 0) presence_.push_back(0);
  if (epoch_or_none != kNoEpoch) {
    presence_.back() = static_cast<std::uint8_t>(presence_.back() | (1u << (n_ & 7)));
    put_varint(epochs_, zigzag(wrapping_delta(epoch_or_none, previous_epoch_)));
    previous_epoch_ = epoch_or_none;
    ++epochs_present_;
  }
  char raw[8];
  std::memcpy(raw, &value, 8);  // little-endian hosts only (x86-64, aarch64)
  values_.append(raw, 8);
  put_varint(times_, zigzag(wrapping_delta(time_ms, previous_time_)));
  previous_time_ = time_ms;
  ++n_;
}

std::string ChunkBuilder::serialize() const {
  std::string out;
  out.reserve(32 + steps_.size() + epochs_.size() + presence_.size() + values_.size() +
              times_.size());
  out.push_back(static_cast<char>(kFormat));
  put_varint(out, n_);
  std::uint8_t mode = epochs_present_ == 0 ? 0 : (epochs_present_ == n_ ? 1 : 2);
  out.push_back(static_cast<char>(mode));
  if (mode == 2) out.append(reinterpret_cast<const char*>(presence_.data()), presence_.size());
  put_varint(out, steps_.size());
  out += steps_;
  put_varint(out, epochs_.size());
  out += epochs_;
  out += values_;
  out += times_;
  return out;
}

void decode_chunk(std::string_view blob, std::vector<MetricPoint>& out) {
  Reader header(blob);
  std::uint8_t format = header.byte();
  if (format != kFormat) {
    throw Error("corrupt metric chunk: unknown format " + std::to_string(format));
  }
  std::uint64_t n = header.varint();
  if (n > blob.size()) throw Error("corrupt metric chunk: bad point count");
  std::uint8_t mode = header.byte();
  if (mode > 2) throw Error("corrupt metric chunk: bad epoch mode");
  std::string_view presence;
  if (mode == 2) presence = header.take((n + 7) / 8);
  Reader steps(header.take(header.varint()));
  Reader epochs(header.take(header.varint()));
  std::string_view values = header.take(n * 8);
  Reader& times = header;

  std::size_t base = out.size();
  out.resize(base + static_cast<std::size_t>(n));
  std::int64_t step = 0, epoch = 0, time_ms = 0;
  try {
    for (std::size_t i = 0; i < n; ++i) {
      MetricPoint& p = out[base + i];
      step = wrapping_add(step, unzigzag(steps.varint()));
      p.step = step;
      bool has_epoch =
          mode == 1 || (mode == 2 && (static_cast<std::uint8_t>(presence[i >> 3]) >> (i & 7)) & 1);
      if (has_epoch) {
        epoch = wrapping_add(epoch, unzigzag(epochs.varint()));
        p.epoch = epoch;
      } else {
        p.epoch.reset();
      }
      std::memcpy(&p.value, values.data() + 8 * i, 8);
      time_ms = wrapping_add(time_ms, unzigzag(times.varint()));
      p.time = static_cast<double>(time_ms) / 1000.0;
    }
    if (!steps.at_end() || !epochs.at_end() || !times.at_end()) {
      throw Error("corrupt metric chunk: trailing data");
    }
  } catch (...) {
    out.resize(base);
    throw;
  }
}

}  // namespace vigil::tracker::detail
