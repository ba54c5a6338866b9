#include "vigil/tracker/text.h"

#include <cstdio>

#include "text_internal.h"

namespace vigil::tracker {
namespace detail {

std::size_t decode_utf8(std::string_view text, std::size_t pos, char32_t* code_point) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[pos + i]); };
  const unsigned char lead = byte(0);
  std::size_t length = 0;
  char32_t value = 0;
  char32_t min = 0;
  if (lead < 0x80) {
    *code_point = lead;
    return 1;
  } else if ((lead & 0xE0) == 0xC0) {
    length = 2, value = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, value = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, value = lead & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (pos + length > text.size()) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    value = (value << 6) | (byte(i) & 0x3F);
  }
  // Overlong forms, UTF-16 surrogates and values past Unicode are not UTF-8.
  if (value < min || (value >= 0xD800 && value <= 0xDFFF) || value > 0x10FFFF) return 0;
  *code_point = value;
  return length;
}

}  // namespace detail

bool is_control_code_point(char32_t c) noexcept {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0xAD || c == 0x061C ||
         (c >= 0x200B && c <= 0x200F) || (c >= 0x2028 && c <= 0x202E) ||
         (c >= 0x2060 && c <= 0x206F) || c == 0xFEFF;
}

std::string escape_for_terminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  char buffer[16];
  for (std::size_t pos = 0; pos < text.size();) {
    char32_t c = 0;
    const std::size_t length = detail::decode_utf8(text, pos, &c);
    if (length == 0) {  // not UTF-8: show the byte
      std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned char>(text[pos]));
      out += buffer;
      ++pos;
      continue;
    }
    if (!is_control_code_point(c)) {
      out.append(text, pos, length);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      std::snprintf(buffer, sizeof buffer, c < 0x80 ? "\\x%02x" : "\\u%04x",
                    static_cast<unsigned>(c));
      out += buffer;
    }
    pos += length;
  }
  return out;
}

}  // namespace vigil::tracker
