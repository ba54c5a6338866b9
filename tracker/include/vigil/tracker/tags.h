#pragma once

#include <cstddef>
#include <string_view>

#include "vigil/tracker/query.h"  // kVerdictTags, is_verdict_tag

namespace vigil::tracker {

/// Longest tag, in bytes.
inline constexpr std::size_t kMaxTagLength = 200;

/// What a caller does with a tag.
enum class TagChange { kAdd, kRemove };

/// The one rule for tags, applied by Store (add_tags, remove_tags, start_run) and checked
/// early by the `vigil` command and the dashboard API. Throws InvalidArgument naming the tag
/// (escaped, shortened) unless: it is not empty and not a verdict tag; and, when added, it is
/// at most kMaxTagLength bytes of UTF-8 without spaces or control characters
/// (is_control_code_point). Removing accepts any other stored tag, so tags stored before these
/// rules can still be removed.
void check_tag(std::string_view tag, TagChange change = TagChange::kAdd);

}  // namespace vigil::tracker
