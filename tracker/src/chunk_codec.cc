// Format 2 of the chunk codec (layout in chunk_codec.h): delta-of-delta steps and times, and
// values coded as deltas of their order-preserving integer images (32-bit when the value came
// from a float32, as training metrics usually do). Format 1 is decoded by chunk_codec_v1.cc.

#include "chunk_codec.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "codec_util.h"

namespace vigil::tracker::detail {
namespace {

constexpr std::uint8_t kFlagConstantStride = 1u << 2;
constexpr int kValueModeShift = 3;
enum ValueMode : std::uint8_t { kFloats = 0, kDoubles = 1, kRawDoubles = 2 };

// A narrower value may reuse a wider window while it wastes at most this many bits; past
// that, a new window (8 bits of header) pays for itself.
constexpr int kWindowSlack = 6;

// --- integer code ----------------------------------------------------------------------

// Payload widths of the integer code by prefix: '0', '10', '110', '1110', '11110', '11111'.
constexpr int kIntBits[] = {0, 3, 7, 16, 32, 64};

inline void put_int(BitWriter& w, std::uint64_t zz) {
  if (zz == 0) {
    w.put(0, 1);
  } else if (zz < (std::uint64_t{1} << 3)) {
    w.put((std::uint64_t{0b10} << 3) | zz, 5);
  } else if (zz < (std::uint64_t{1} << 7)) {
    w.put((std::uint64_t{0b110} << 7) | zz, 10);
  } else if (zz < (std::uint64_t{1} << 16)) {
    w.put((std::uint64_t{0b1110} << 16) | zz, 20);
  } else if (zz < (std::uint64_t{1} << 32)) {
    w.put((std::uint64_t{0b11110} << 32) | zz, 37);
  } else {
    w.put(0b11111, 5);
    w.put(zz, 64);
  }
}

inline std::uint64_t get_int(BitReader& r) {
  r.fill();
  const int ones = r.leading_ones(5);
  const int prefix = ones == 5 ? 5 : ones + 1;
  if (ones < 4) return r.skip_and_get(prefix, kIntBits[ones]);  // at most 20 bits
  r.skip(prefix);
  return r.get_wide(kIntBits[ones]);
}

// A run of points with the same epoch: the epoch's change from the previous run, the length.
inline void put_epoch_run(BitWriter& w, std::int64_t epoch, std::int64_t previous,
                          std::uint32_t length) {
  put_int(w, zigzag(wrapping_delta(epoch, previous)));
  put_int(w, length - 1);
}

// --- value code ------------------------------------------------------------------------

inline int bit_width(std::uint64_t v) { return v == 0 ? 0 : 64 - __builtin_clzll(v); }

inline void put_value(BitWriter& w, int& window, std::uint64_t zz) {
  if (zz == 0) {
    w.put(0, 1);
    return;
  }
  const int width = bit_width(zz);
  if (width <= window && window - width <= kWindowSlack) {
    if (window <= 62) {
      w.put((std::uint64_t{0b10} << window) | zz, window + 2);
    } else {
      w.put(0b10, 2);
      w.put(zz, window);
    }
    return;
  }
  const std::uint64_t header = (std::uint64_t{0b11} << 6) | static_cast<std::uint64_t>(width - 1);
  if (width <= 56) {
    w.put((header << width) | zz, width + 8);
  } else {
    w.put(header, 8);
    w.put(zz, width);
  }
  window = width;
}

inline std::uint64_t get_value(BitReader& r, int& window) {
  r.fill();
  const int ones = r.leading_ones(2);
  // The common codes, '0' and '10' + window bits, without a data-dependent branch.
  if (ones < 2 && static_cast<unsigned>(window - 1) < 55u) {
    const int width = ones == 0 ? 0 : window;
    return r.skip_and_get(ones + 1, width);
  }
  if (ones == 0) {
    r.skip(1);
    return 0;
  }
  if (ones == 1) {
    if (window == 0) throw Error("corrupt metric chunk: value window used before it was set");
    r.skip(2);
    return r.get_wide(window);
  }
  window = static_cast<int>(r.get(8) & 63) + 1;
  if (window <= 49) return r.skip_and_get(0, window);  // still buffered: 57 - 8 bits
  return r.get_wide(window);
}

// --- float32 images of doubles, by bit manipulation (no dependence on the FPU's denormal
// modes) -----------------------------------------------------------------------------------

constexpr std::uint64_t kMantissa52 = (std::uint64_t{1} << 52) - 1;

// The float32 bits of `d` when converting it to float and back gives the same bits.
inline bool to_float_bits(std::uint64_t d, std::uint32_t& f) {
  const auto sign = static_cast<std::uint32_t>(d >> 63) << 31;
  const auto exponent = static_cast<int>((d >> 52) & 0x7ff);
  const std::uint64_t mantissa = d & kMantissa52;
  constexpr std::uint64_t kLow29 = (std::uint64_t{1} << 29) - 1;
  if (exponent == 0x7ff) {  // Inf and NaN (payload kept when its low 29 bits are zero)
    if (mantissa & kLow29) return false;
    f = sign | (0xffu << 23) | static_cast<std::uint32_t>(mantissa >> 29);
    return true;
  }
  if (exponent == 0) {  // zero; double denormals are far below float32's range
    if (mantissa != 0) return false;
    f = sign;
    return true;
  }
  const int e = exponent - 1023;
  if (e >= -126 && e <= 127) {
    if (mantissa & kLow29) return false;
    f = sign | static_cast<std::uint32_t>(e + 127) << 23 |
        static_cast<std::uint32_t>(mantissa >> 29);
    return true;
  }
  if (e >= -149 && e < -126) {  // a float32 denormal
    const std::uint64_t significand = mantissa | (std::uint64_t{1} << 52);
    const int shift = -97 - e;  // in [30, 52]
    if (significand & ((std::uint64_t{1} << shift) - 1)) return false;
    f = sign | static_cast<std::uint32_t>(significand >> shift);
    return true;
  }
  return false;
}

inline std::uint64_t from_float_bits(std::uint32_t f) {
  const std::uint64_t sign = static_cast<std::uint64_t>(f >> 31) << 63;
  const auto exponent = static_cast<int>((f >> 23) & 0xff);
  const std::uint64_t mantissa = f & 0x7fffffu;
  if (exponent == 0xff) return sign | (std::uint64_t{0x7ff} << 52) | (mantissa << 29);
  if (exponent == 0) {
    if (mantissa == 0) return sign;
    const int top = bit_width(mantissa) - 1;  // value = 1.x * 2^(top - 149)
    return sign | static_cast<std::uint64_t>(top - 149 + 1023) << 52 |
           ((mantissa << (52 - top)) & kMantissa52);
  }
  return sign | static_cast<std::uint64_t>(exponent - 127 + 1023) << 52 | (mantissa << 29);
}

// Order-preserving integer images: nearby values get nearby images, so deltas stay small.
inline std::uint32_t image32(std::uint32_t f) { return f & 0x80000000u ? ~f : f | 0x80000000u; }
inline std::uint32_t unimage32(std::uint32_t s) { return s & 0x80000000u ? s & 0x7fffffffu : ~s; }
inline std::uint64_t image64(std::uint64_t d) {
  return d >> 63 ? ~d : d | (std::uint64_t{1} << 63);
}
inline std::uint64_t unimage64(std::uint64_t s) {
  return s >> 63 ? s & ~(std::uint64_t{1} << 63) : ~s;
}

inline std::uint64_t double_bits(double d) {
  std::uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}

inline double bits_double(std::uint64_t b) {
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}

// The number of '0' codes (a repeated value, a held stride) at the reader's position, at most
// `left`, when there are at least 8 of them; else 0. A lone '0' takes the general path:
// testing for it would add a branch that jittery data mispredicts. Call fill() first.
inline int zero_codes(const BitReader& r, std::size_t left) {
  if ((r.peek() >> 56) != 0 || left < 8) return 0;
  return r.leading_zeros(left);  // 0 only at the end of the data: the general path throws
}

[[noreturn]] __attribute__((noinline, cold)) void bad_float() {
  throw Error("corrupt metric chunk: bad float value");
}

// The value an integer image stands for (kDoubles: a 64-bit image; else a float32 one).
template <bool kDoubles>
inline double value_of_image(std::uint64_t image) {
  if (kDoubles) return bits_double(unimage64(image));
  if (image > 0xffffffffu) bad_float();
  return bits_double(from_float_bits(unimage32(static_cast<std::uint32_t>(image))));
}

// Decodes the `n` values of a coded value stream into out[0..n). A run of '0' codes (the value
// repeats) is written out in one step.
template <bool kDoubles>
void decode_value_codes(BitReader& r, double* out, std::size_t n) {
  int window = 0;
  std::uint64_t image = 0;
  double value = 0.0;
  for (std::size_t i = 0; i < n;) {
    r.fill();
    if (const int repeats = zero_codes(r, n - i); repeats > 0) {
      r.skip(repeats);
      if (i == 0) value = value_of_image<kDoubles>(image);  // image 0: a chunk's first value
      for (const std::size_t end = i + static_cast<std::size_t>(repeats); i < end; ++i) {
        out[i] = value;
      }
      continue;
    }
    image = image + static_cast<std::uint64_t>(unzigzag(get_value(r, window)));
    value = value_of_image<kDoubles>(image);
    out[i++] = value;
  }
}

// Decodes `n` values of a coded value stream (modes kFloats and kDoubles) into out[0..n);
// the stream must hold nothing more.
void decode_values(std::string_view stream, std::size_t n, bool doubles, double* out) {
  BitReader reader(stream);
  if (doubles) {
    decode_value_codes<true>(reader, out, n);
  } else {
    decode_value_codes<false>(reader, out, n);
  }
  if (!reader.at_end()) throw Error("corrupt metric chunk: trailing value data");
}

}  // namespace

void ChunkBuilder::append(std::int64_t step, std::int64_t epoch_or_none, double value,
                          std::int64_t time_ms) {
  const std::int64_t step_delta = wrapping_delta(step, previous_step_);
  if (n_ == 0) {
    min_step_ = max_step_ = first_step_ = step;
  } else {
    if (step < min_step_) min_step_ = step;
    if (step > max_step_) max_step_ = step;
    if (n_ == 1) stride_ = step_delta;
    if (constant_stride_ && step_delta != stride_) write_held_steps();
  }
  // Min/max ignoring NaN: a NaN value fails both comparisons; a NaN extreme (no value yet)
  // is replaced by the first value that is not NaN.
  if (value < min_value_ || std::isnan(min_value_)) min_value_ = value;
  if (value > max_value_ || std::isnan(max_value_)) max_value_ = value;
  last_value_ = value;
  // While the stride holds, the header stores it and the step stream is left unwritten.
  if (!constant_stride_) {
    put_int(steps_, zigzag(wrapping_delta(step_delta, previous_step_delta_)));
  }
  previous_step_ = step;
  previous_step_delta_ = step_delta;

  if ((n_ & 7) == 0) presence_.push_back(0);
  if (epoch_or_none != kNoEpoch) {
    presence_.back() = static_cast<std::uint8_t>(presence_.back() | (1u << (n_ & 7)));
    if (epoch_run_length_ > 0 && epoch_or_none == run_epoch_) {
      ++epoch_run_length_;
    } else {
      if (epoch_run_length_ > 0) {
        put_epoch_run(epochs_, run_epoch_, previous_epoch_, epoch_run_length_);
        previous_epoch_ = run_epoch_;
      }
      run_epoch_ = epoch_or_none;
      epoch_run_length_ = 1;
    }
    ++epochs_present_;
  }

  append_value(value);

  const std::int64_t time_delta = wrapping_delta(time_ms, previous_time_);
  put_int(times_, zigzag(wrapping_delta(time_delta, previous_time_delta_)));
  previous_time_ = time_ms;
  previous_time_delta_ = time_delta;
  ++n_;
}

void ChunkBuilder::append_value(double value) {
  const std::uint64_t bits = double_bits(value);
  std::uint32_t f = 0;
  if (!doubles_ && !to_float_bits(bits, f)) switch_to_doubles();
  if (doubles_) {
    const std::uint64_t image = image64(bits);
    put_value(values_, window_,
              zigzag(wrapping_delta(static_cast<std::int64_t>(image),
                                    static_cast<std::int64_t>(previous_image_))));
    previous_image_ = image;
  } else {
    const std::uint64_t image = image32(f);
    put_value(
        values_, window_,
        zigzag(static_cast<std::int64_t>(image) - static_cast<std::int64_t>(previous_image_)));
    previous_image_ = image;
  }
}

// The stride changed at point n_: writes the codes of the points before it, which held it
// (the first step, the stride's change from it, then n_ - 2 zeros), as appending them one by
// one would have.
void ChunkBuilder::write_held_steps() {
  constant_stride_ = false;
  put_int(steps_, zigzag(first_step_));  // delta of deltas from step 0, delta 0
  put_int(steps_, zigzag(wrapping_delta(stride_, first_step_)));
  for (std::uint32_t zeros = n_ - 2; zeros > 0;) {
    const std::uint32_t count = std::min<std::uint32_t>(zeros, 64);
    steps_.put(0, static_cast<int>(count));
    zeros -= count;
  }
}

void ChunkBuilder::clear() {
  BitWriter steps = std::move(steps_), epochs = std::move(epochs_), values = std::move(values_),
            times = std::move(times_);
  std::vector<std::uint8_t> presence = std::move(presence_);
  *this = ChunkBuilder();
  steps.clear();
  epochs.clear();
  values.clear();
  times.clear();
  presence.clear();
  steps_ = std::move(steps);
  epochs_ = std::move(epochs);
  values_ = std::move(values);
  times_ = std::move(times);
  presence_ = std::move(presence);
}

// A value that is not float32-exact arrived: re-code the chunk's values as doubles (at most
// once per chunk).
void ChunkBuilder::switch_to_doubles() {
  std::string stream;
  values_.append_to(stream);
  std::vector<double> earlier(n_);
  decode_values(stream, n_, false, earlier.data());
  doubles_ = true;
  values_ = BitWriter();
  window_ = 0;
  previous_image_ = 0;
  for (double v : earlier) append_value(v);
}

std::string ChunkBuilder::serialize() const {
  std::string out;
  out.reserve(48 + presence_.size() + steps_.byte_size() + epochs_.byte_size() +
              values_.byte_size() + times_.byte_size());
  out.push_back(static_cast<char>(kChunkFormat));
  put_varint(out, n_);
  const std::uint8_t epoch_mode = epochs_present_ == 0 ? 0 : (epochs_present_ == n_ ? 1 : 2);
  const bool raw = doubles_ && values_.bit_size() >= 64 * std::size_t{n_};
  const std::uint8_t value_mode = raw ? kRawDoubles : (doubles_ ? kDoubles : kFloats);
  std::uint8_t flags = epoch_mode | static_cast<std::uint8_t>(value_mode << kValueModeShift);
  if (constant_stride_) flags |= kFlagConstantStride;
  out.push_back(static_cast<char>(flags));
  if (epoch_mode == 2)
    out.append(reinterpret_cast<const char*>(presence_.data()), presence_.size());
  if (constant_stride_) {
    put_varint(out, zigzag(first_step_));
    put_varint(out, zigzag(stride_));
  } else {
    put_varint(out, steps_.byte_size());
    steps_.append_to(out);
  }
  BitWriter epochs = epochs_;  // plus the run still open
  if (epoch_run_length_ > 0) {
    put_epoch_run(epochs, run_epoch_, previous_epoch_, epoch_run_length_);
  }
  put_varint(out, epochs.byte_size());
  epochs.append_to(out);
  if (raw) {
    std::string values;
    values_.append_to(values);
    std::vector<double> decoded(n_);
    decode_values(values, n_, true, decoded.data());
    // Little-endian hosts only (x86-64, aarch64).
    out.append(reinterpret_cast<const char*>(decoded.data()), 8 * decoded.size());
  } else {
    put_varint(out, values_.byte_size());
    values_.append_to(out);
  }
  times_.append_to(out);
  return out;
}

namespace {

// The fields of a format-2 header and the streams it delimits.
struct V2Layout {
  std::size_t n = 0;
  std::uint8_t epoch_mode = 0;
  std::uint8_t value_mode = kFloats;
  bool constant_stride = false;
  std::int64_t first_step = 0;
  std::int64_t stride = 0;
  std::string_view presence, steps, epochs, values, times;
};

V2Layout parse_v2(std::string_view blob) {
  V2Layout v;
  ByteReader header(blob);
  header.byte();  // format
  const std::uint64_t n = header.varint();
  if (n > 8 * blob.size()) throw Error("corrupt metric chunk: bad point count");
  v.n = static_cast<std::size_t>(n);
  const std::uint8_t flags = header.byte();
  v.epoch_mode = flags & 3;
  v.value_mode = static_cast<std::uint8_t>((flags >> kValueModeShift) & 3);
  if (v.epoch_mode > 2 || v.value_mode > kRawDoubles || (flags >> 5) != 0) {
    throw Error("corrupt metric chunk: bad flags");
  }
  if (v.epoch_mode == 2) v.presence = header.take((n + 7) / 8);
  v.constant_stride = flags & kFlagConstantStride;
  if (v.constant_stride) {
    v.first_step = unzigzag(header.varint());
    v.stride = unzigzag(header.varint());
  } else {
    v.steps = header.take(header.varint());
  }
  v.epochs = header.take(header.varint());
  v.values = v.value_mode == kRawDoubles ? header.take(8 * n) : header.take(header.varint());
  v.times = header.rest();
  return v;
}

[[noreturn]] __attribute__((noinline, cold)) void trailing_data() {
  throw Error("corrupt metric chunk: trailing data");
}

// Integers coded as zigzag(delta of deltas), starting from 0 with delta 0, into out[0..n). A
// run of '0' codes (the delta holds: a constant stride) is written out in one step.
void decode_delta_of_deltas(std::string_view stream, std::int64_t* out, std::size_t n) {
  BitReader r(stream);
  std::int64_t value = 0, delta = 0;
  for (std::size_t i = 0; i < n;) {
    r.fill();
    if (const int same = zero_codes(r, n - i); same > 0) {
      r.skip(same);
      for (const std::size_t end = i + static_cast<std::size_t>(same); i < end; ++i) {
        value = wrapping_add(value, delta);
        out[i] = value;
      }
      continue;
    }
    delta = wrapping_add(delta, unzigzag(get_int(r)));
    value = wrapping_add(value, delta);
    out[i++] = value;
  }
  if (!r.at_end()) trailing_data();
}

void decode_steps(const V2Layout& v, std::int64_t* out) {
  if (!v.constant_stride) return decode_delta_of_deltas(v.steps, out, v.n);
  std::int64_t step = v.first_step;
  for (std::size_t i = 0; i < v.n; ++i, step = wrapping_add(step, v.stride)) out[i] = step;
}

// Epochs come in runs of equal values over the points that have one.
void decode_epochs(const V2Layout& v, std::int64_t* out) {
  if (v.epoch_mode == 0) {
    std::fill(out, out + v.n, kNoEpoch);
    if (!v.epochs.empty()) trailing_data();
    return;
  }
  BitReader r(v.epochs);
  std::int64_t epoch = 0;
  std::uint64_t run_left = 0;
  for (std::size_t i = 0; i < v.n; ++i) {
    if (v.epoch_mode == 2 && !((static_cast<std::uint8_t>(v.presence[i >> 3]) >> (i & 7)) & 1)) {
      out[i] = kNoEpoch;
      continue;
    }
    if (run_left == 0) {
      epoch = wrapping_add(epoch, unzigzag(get_int(r)));
      run_left = get_int(r) + 1;
    }
    --run_left;
    out[i] = epoch;
  }
  if (run_left != 0 || !r.at_end()) trailing_data();
}

void decode_v2(std::string_view blob, DecodedChunk& out) {
  const V2Layout v = parse_v2(blob);
  out.resize(v.n);
  decode_steps(v, out.steps.data());
  decode_epochs(v, out.epochs.data());
  if (v.value_mode == kRawDoubles) {
    std::memcpy(out.values.data(), v.values.data(), v.values.size());  // little-endian hosts
  } else {
    decode_values(v.values, v.n, v.value_mode == kDoubles, out.values.data());
  }
  decode_delta_of_deltas(v.times, out.times_ms.data(), v.n);
}

}  // namespace

void DecodedChunk::resize(std::size_t n) {
  steps.resize(n);
  epochs.resize(n);
  values.resize(n);
  times_ms.resize(n);
}

void DecodedChunk::append_to(std::vector<MetricPoint>& out) const {
  // Filled in place: a MetricPoint built and pushed per point costs a stack round trip each.
  const std::size_t base = out.size();
  out.resize(base + size());
  MetricPoint* p = out.data() + base;
  for (std::size_t i = 0; i < size(); ++i, ++p) {
    p->step = steps[i];
    if (epochs[i] != kNoEpoch) p->epoch = epochs[i];
    p->value = values[i];
    p->time = static_cast<double>(times_ms[i]) / 1000.0;
  }
}

void decode_chunk(std::string_view blob, DecodedChunk& out) {
  try {
    switch (chunk_format(blob)) {
      case 1:
        decode_chunk_v1(blob, out);
        return;
      case kChunkFormat:
        decode_v2(blob, out);
        return;
      default:
        throw Error("corrupt metric chunk: unknown format " + std::to_string(chunk_format(blob)));
    }
  } catch (...) {
    out.resize(0);
    throw;
  }
}

void decode_chunk(std::string_view blob, std::vector<MetricPoint>& out) {
  thread_local DecodedChunk columns;  // reused: no allocation per chunk
  decode_chunk(blob, columns);
  columns.append_to(out);
}

}  // namespace vigil::tracker::detail
