#pragma once

// Bit-level writer and reader for the v2 chunk codec (chunk_codec.h). Bits are packed most
// significant first; the last byte is zero-padded.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/tracker/errors.h"

namespace vigil::tracker::detail {

/// Appends bit fields to a bit stream. Copyable (the writer snapshots open chunks).
class BitWriter {
 public:
  /// Appends the low `count` bits of `value`, most significant first; count in [0, 64].
  void put(std::uint64_t value, int count) {
    if (count == 0) return;
    if (count < 64) value &= (std::uint64_t{1} << count) - 1;
    const int free = 64 - used_;  // always >= 1: a full word is flushed at once
    if (count < free) {
      acc_ = (acc_ << count) | value;
      used_ += count;
      return;
    }
    const int rest = count - free;  // bits that go to the next word, in [0, 63]
    words_.push_back(free == 64 ? value >> rest : (acc_ << free) | (value >> rest));
    // The bits that did not fit; the ones above them are shifted out as the word fills.
    acc_ = value;
    used_ = rest;
  }

  void put_bit(bool bit) { put(bit ? 1 : 0, 1); }

  std::size_t bit_size() const noexcept {
    return words_.size() * 64 + static_cast<std::size_t>(used_);
  }
  std::size_t byte_size() const noexcept { return (bit_size() + 7) / 8; }

  /// Appends the bits written so far to `out`, zero-padded to whole bytes.
  void append_to(std::string& out) const {
    const std::size_t at = out.size();
    out.resize(at + byte_size());
    char* dest = &out[at];
    for (std::uint64_t word : words_) {  // most significant byte first
      word = __builtin_bswap64(word);
      std::memcpy(dest, &word, 8);
      dest += 8;
    }
    if (used_ == 0) return;
    const std::uint64_t aligned = __builtin_bswap64(acc_ << (64 - used_));
    std::memcpy(dest, &aligned, static_cast<std::size_t>(used_ + 7) / 8);
  }

  /// Empties the stream, keeping its storage.
  void clear() noexcept {
    words_.clear();
    acc_ = 0;
    used_ = 0;
  }

  /// Room for `bytes` bytes of stream without reallocation.
  void reserve(std::size_t bytes) { words_.reserve((bytes + 7) / 8); }

 private:
  std::vector<std::uint64_t> words_;  // whole 64-bit words written
  std::uint64_t acc_ = 0;             // the low used_ bits are the bits after words_
  int used_ = 0;
};

/// Reads bit fields written by BitWriter. Never reads out of bounds: a field past the end
/// throws Error("corrupt metric chunk: ...").
class BitReader {
 public:
  explicit BitReader(std::string_view data) : data_(data) {}

  /// Reads `count` bits, count in [0, 57].
  std::uint64_t get(int count) {
    if (count == 0) return 0;
    if (have_ < count) {
      refill();
      if (have_ < count) truncated();
    }
    std::uint64_t result = window_ >> (64 - count);
    window_ <<= count;
    have_ -= count;
    return result;
  }

  bool get_bit() { return get(1) != 0; }

  /// Loads bytes so that at least 57 bits are buffered (fewer only at the end of the data).
  void fill() {
    if (have_ <= 56) refill();
  }

  /// Leading 1 bits of the buffered bits, at most `max` (in [1, 63]); call fill() first.
  /// Bits past the end of the data read as 0.
  int leading_ones(int max) const noexcept {
    return __builtin_clzll(~window_ | (std::uint64_t{1} << (63 - max)));
  }

  /// The buffered bits, left-aligned; bits past the end of the data read as 0. Call fill()
  /// first.
  std::uint64_t peek() const noexcept { return window_; }

  /// Leading 0 bits of the buffered bits, at most `max`, at most the bits buffered and at
  /// most 63; call fill() first.
  int leading_zeros(std::size_t max) const noexcept {
    const int zeros = __builtin_clzll(window_ | 1);
    const int buffered = zeros < have_ ? zeros : have_;
    return max < static_cast<std::size_t>(buffered) ? static_cast<int>(max) : buffered;
  }

  /// Drops `prefix` buffered bits and reads the next `count` (prefix + count <= 57); call
  /// fill() first.
  std::uint64_t skip_and_get(int prefix, int count) {
    if (have_ < prefix + count) truncated();
    // Branch-free for count == 0 too (a shift by 64 would be undefined).
    const std::uint64_t result = ((window_ << prefix) >> 1) >> (63 - count);
    window_ <<= prefix + count;
    have_ -= prefix + count;
    return result;
  }

  /// Drops `count` buffered bits (count in [0, 63]); call fill() first.
  void skip(int count) {
    if (have_ < count) truncated();
    window_ <<= count;
    have_ -= count;
  }

  /// Reads `count` bits, count in [0, 64].
  std::uint64_t get_wide(int count) {
    if (count <= 57) return get(count);
    std::uint64_t high = get(count - 32);
    return (high << 32) | get(32);
  }

  /// True when nothing but zero padding of the last byte is left.
  bool at_end() const noexcept { return pos_ == data_.size() && have_ < 8 && window_ == 0; }

 private:
  [[noreturn]] __attribute__((noinline, cold)) static void truncated() {
    throw Error("corrupt metric chunk: truncated bit stream");
  }

  void refill() {
    if (data_.size() - pos_ >= 8) {
      // Eight bytes at once; the bits past the whole bytes counted are loaded again (with
      // the same values) by the next refill.
      std::uint64_t word;
      std::memcpy(&word, data_.data() + pos_, 8);
      word = __builtin_bswap64(word);  // most significant bit first
      window_ |= word >> have_;
      const int bytes = (64 - have_) >> 3;
      pos_ += static_cast<std::size_t>(bytes);
      have_ += 8 * bytes;
      return;
    }
    while (have_ <= 56 && pos_ < data_.size()) {
      window_ |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(data_[pos_++]))
                 << (56 - have_);
      have_ += 8;
    }
  }

  std::string_view data_;
  std::size_t pos_ = 0;
  std::uint64_t window_ = 0;  // next bits, left-aligned
  int have_ = 0;              // valid bits in window_
};

}  // namespace vigil::tracker::detail
