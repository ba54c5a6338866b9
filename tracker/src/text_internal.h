#pragma once

#include <cstddef>
#include <string_view>

namespace vigil::tracker::detail {

/// Decodes the UTF-8 sequence at `pos` (< text.size()) into `code_point`; returns its length
/// in bytes, or 0 when the bytes there are not UTF-8 (truncated, overlong, surrogate...).
std::size_t decode_utf8(std::string_view text, std::size_t pos, char32_t* code_point) noexcept;

}  // namespace vigil::tracker::detail
