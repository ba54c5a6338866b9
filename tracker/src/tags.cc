#include "vigil/tracker/tags.h"

#include <algorithm>
#include <string>

#include "text_internal.h"
#include "vigil/tracker/errors.h"
#include "vigil/tracker/text.h"

namespace vigil::tracker {
namespace {

// The tag for an error message: escaped, and short enough for one line.
std::string quoted(std::string_view tag) {
  constexpr std::size_t kShown = 40;
  std::string shown = escape_for_terminal(tag.substr(0, kShown));
  if (tag.size() > kShown) shown += "... (" + std::to_string(tag.size()) + " bytes)";
  return "'" + shown + "'";
}

bool is_space(char32_t c) {
  return c == ' ' || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

}  // namespace

void check_tag(std::string_view tag, TagChange change) {
  if (tag.empty()) throw InvalidArgument("tag is empty; expected a non-empty tag");
  if (is_verdict_tag(tag)) {
    throw InvalidArgument("tag " + quoted(tag) +
                          " is managed by validation (vigil validate: validated/PASS/FAIL); "
                          "choose another");
  }
  if (change == TagChange::kRemove) return;
  if (tag.size() > kMaxTagLength) {
    throw InvalidArgument("tag " + quoted(tag) + " is too long; expected at most " +
                          std::to_string(kMaxTagLength) + " bytes");
  }
  for (std::size_t pos = 0; pos < tag.size();) {
    char32_t c = 0;
    const std::size_t length = detail::decode_utf8(tag, pos, &c);
    if (length == 0) throw InvalidArgument("tag " + quoted(tag) + " is not UTF-8");
    if (is_space(c) || is_control_code_point(c)) {
      throw InvalidArgument("tag " + quoted(tag) +
                            " holds a space or control character; expected a tag without "
                            "spaces or control characters");
    }
    pos += length;
  }
}

}  // namespace vigil::tracker
