#pragma once

// Integer helpers shared by the chunk codecs: zigzag, varints, wrapping arithmetic and a
// bounds-checked byte reader.

#include <cstdint>
#include <string>
#include <string_view>

#include "vigil/tracker/errors.h"

namespace vigil::tracker::detail {

inline std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

inline std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

// Wrapping arithmetic: deltas of extreme int64 values must not overflow (UB).
inline std::int64_t wrapping_delta(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
}

inline std::int64_t wrapping_add(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
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

/// Reads bytes and varints of a chunk; every read past the end throws Error.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}
  std::uint8_t byte() {
    need(1);
    return static_cast<std::uint8_t>(data_[pos_++]);
  }
  std::uint64_t varint() {
    std::uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
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
  std::string_view rest() { return take(data_.size() - pos_); }
  bool at_end() const { return pos_ == data_.size(); }

 private:
  void need(std::uint64_t n) const {
    if (n > data_.size() - pos_) throw Error("corrupt metric chunk: truncated data");
  }
  std::string_view data_;
  std::size_t pos_ = 0;
};

}  // namespace vigil::tracker::detail
