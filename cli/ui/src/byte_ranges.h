#pragma once

// Byte ranges of the dashboard's static assets (RFC 9110 section 14): which parts of a
// representation a `Range` request header asks for. The API's JSON answers are never ranged
// (the server ignores Range there, as RFC 9110 allows); only embedded assets are.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::ui {

/// The most ranges one request may ask for; a request with more is answered whole (200).
inline constexpr std::size_t kMaxByteRanges = 16;
/// The longest Range header value considered; a longer one is answered whole (200).
inline constexpr std::size_t kMaxRangeHeaderBytes = 1024;

/// One satisfiable range: bytes [first, first + length) of the representation.
struct ByteRange {
  std::size_t first = 0;
  std::size_t length = 0;
};

/// What to answer to a Range header.
struct RangeAnswer {
  enum class Kind {
    kWhole,          ///< ignore the header: 200 with the whole representation
    kPartial,        ///< 206 with `ranges` (one: a plain body; several: multipart/byteranges)
    kUnsatisfiable,  ///< 416 with `Content-Range: bytes */size`
  };
  Kind kind = Kind::kWhole;
  std::vector<ByteRange> ranges;  ///< in request order; only for kPartial
};

/// Reads a `Range` header value against a representation of `size` bytes. A header that is
/// not `bytes=` ranges, is malformed, asks for more than kMaxByteRanges ranges, or asks for
/// overlapping ones is ignored (kWhole: RFC 9110 lets a server ignore Range, and overlapping or
/// many ranges are the denial-of-service pattern it warns about). Ranges past the end are
/// clipped; ranges starting past the end are dropped; when none is left, kUnsatisfiable.
RangeAnswer parse_byte_ranges(std::string_view header, std::size_t size);

/// `bytes FIRST-LAST/SIZE` for one range, or `bytes */SIZE` when `range` is null.
std::string content_range(const ByteRange* range, std::size_t size);

/// The multipart/byteranges body of `ranges` of `data` (served as `content_type`), each part
/// headed by its Content-Type and Content-Range, separated by `boundary`.
std::string multipart_byteranges(std::string_view data, const std::vector<ByteRange>& ranges,
                                 std::string_view content_type, std::string_view boundary);

}  // namespace vigil::ui
