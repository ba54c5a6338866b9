#include "byte_ranges.h"

#include <algorithm>
#include <cctype>
#include <optional>

namespace vigil::ui {
namespace {

std::string_view trim(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

// A decimal byte position: digits only, at most 18 of them (no overflow), none empty.
std::optional<std::size_t> position(std::string_view digits) {
  if (digits.empty() || digits.size() > 18) return std::nullopt;
  std::size_t value = 0;
  for (char c : digits) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    value = value * 10 + static_cast<std::size_t>(c - '0');
  }
  return value;
}

// One range-spec: `first-last`, `first-` or `-suffix`. Returns false when malformed; sets
// `range` only when it is satisfiable against `size`.
bool read_range_spec(std::string_view spec, std::size_t size, std::optional<ByteRange>& range) {
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return false;
  const std::string_view head = spec.substr(0, dash);
  const std::string_view tail = spec.substr(dash + 1);
  range.reset();
  if (head.empty()) {  // suffix: the last N bytes
    const auto suffix = position(tail);
    if (!suffix) return false;
    if (*suffix > 0 && size > 0) {
      const std::size_t length = std::min(*suffix, size);
      range = ByteRange{size - length, length};
    }
    return true;
  }
  const auto first = position(head);
  if (!first) return false;
  std::size_t last = size == 0 ? 0 : size - 1;
  if (!tail.empty()) {
    const auto given = position(tail);
    if (!given || *given < *first) return false;
    last = std::min(last, *given);
  }
  if (*first < size) range = ByteRange{*first, last - *first + 1};
  return true;
}

bool overlapping(std::vector<ByteRange> ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const ByteRange& a, const ByteRange& b) { return a.first < b.first; });
  for (std::size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].first + ranges[i - 1].length) return true;
  }
  return false;
}

}  // namespace

RangeAnswer parse_byte_ranges(std::string_view header, std::size_t size) {
  RangeAnswer whole;
  if (header.size() > kMaxRangeHeaderBytes) return whole;
  header = trim(header);
  constexpr std::string_view kUnit = "bytes=";
  if (header.size() < kUnit.size()) return whole;
  for (std::size_t i = 0; i < kUnit.size(); ++i) {  // the unit is case-insensitive
    if (std::tolower(static_cast<unsigned char>(header[i])) != kUnit[i]) return whole;
  }
  header.remove_prefix(kUnit.size());

  RangeAnswer answer;
  std::size_t specs = 0;
  while (true) {
    const std::size_t comma = header.find(',');
    const std::string_view spec = trim(header.substr(0, comma));
    if (!spec.empty()) {  // the list rule allows empty elements
      if (++specs > kMaxByteRanges) return whole;
      std::optional<ByteRange> range;
      if (!read_range_spec(spec, size, range)) return whole;
      if (range) answer.ranges.push_back(*range);
    }
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  if (specs == 0) return whole;
  if (answer.ranges.empty()) {
    answer.kind = RangeAnswer::Kind::kUnsatisfiable;
    return answer;
  }
  if (overlapping(answer.ranges)) return whole;
  answer.kind = RangeAnswer::Kind::kPartial;
  return answer;
}

std::string content_range(const ByteRange* range, std::size_t size) {
  if (range == nullptr) return "bytes */" + std::to_string(size);
  return "bytes " + std::to_string(range->first) + "-" +
         std::to_string(range->first + range->length - 1) + "/" + std::to_string(size);
}

std::string multipart_byteranges(std::string_view data, const std::vector<ByteRange>& ranges,
                                 std::string_view content_type, std::string_view boundary) {
  std::string body;
  for (const ByteRange& range : ranges) {
    body.append("--").append(boundary).append("\r\n");
    body.append("Content-Type: ").append(content_type).append("\r\n");
    body.append("Content-Range: ").append(content_range(&range, data.size())).append("\r\n\r\n");
    body.append(data.substr(range.first, range.length)).append("\r\n");
  }
  body.append("--").append(boundary).append("--\r\n");
  return body;
}

}  // namespace vigil::ui
