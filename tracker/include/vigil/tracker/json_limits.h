#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "vigil/tracker/errors.h"

namespace vigil::tracker {

/// The deepest nesting of arrays and objects vigil reads or writes anywhere: rules files,
/// params, results, metric contexts, JSON read back from a store, HTTP bodies. A top-level
/// `{}` is depth 1. Deeper documents are refused before anything recurses over them (nlohmann's
/// dump, copy and comparison are recursive: 100,000 levels overflow the stack).
inline constexpr int kMaxJsonDepth = 64;

/// The longest JSON text (bytes) vigil parses or stores for one document (params, results,
/// a validation report, a store column) unless a caller sets a smaller limit.
inline constexpr std::size_t kMaxJsonBytes = std::size_t{4} << 20;  // 4 MiB

/// Bounds for parse_json_bounded and check_json_limits.
struct JsonLimits {
  int max_depth = kMaxJsonDepth;          ///< deepest nesting allowed (top-level container = 1)
  std::size_t max_bytes = kMaxJsonBytes;  ///< longest text (parse) or serialised value (check)
};

/// A JSON text could not be parsed: syntax error, number out of range, a NUL byte, or a
/// limit exceeded. what() is "WHAT: REASON at line L, column C"; the parts are kept apart so
/// callers with their own location format (a rules file) can use them.
class JsonError : public InvalidArgument {
 public:
  JsonError(std::string_view what, std::string reason, std::size_t offset, int line, int column);
  /// The problem without the input name or position, e.g. "number out of range: '1e999'".
  const std::string& reason() const noexcept { return reason_; }
  std::size_t offset() const noexcept { return offset_; }  ///< 0-based byte offset
  int line() const noexcept { return line_; }              ///< 1-based
  int column() const noexcept { return column_; }          ///< 1-based, in bytes

 private:
  std::string reason_;
  std::size_t offset_;
  int line_;
  int column_;
};

/// `key` as one reference token of a JSON pointer (RFC 6901): "~" becomes "~0", "/" becomes
/// "~1" ("a/b" -> "a~1b"), so "/" + pointer_escape(key) appended to a pointer names its value.
[[nodiscard]] std::string pointer_escape(std::string_view key);

/// Called for every object key that repeats within its object, with the JSON pointer of the
/// value ("/rules/2/min"). The parsed document keeps the last value (as nlohmann does).
using DuplicateKeyHandler = std::function<void(const std::string& pointer, const std::string& key)>;

/// Parses `text` as exactly one JSON value, the only JSON parser vigil uses on outside input.
/// Refuses, with a JsonError naming `what` (a file name, "log_params", "request body") and the
/// limit: text longer than `limits.max_bytes`, nesting deeper than `limits.max_depth` (found by
/// a linear scan before any value is built), a NUL byte anywhere (nlohmann would take it as the
/// end of input and ignore what follows), syntax errors, numbers outside the double range
/// (1e999) and trailing bytes. Never recurses over the input. Thread-safe (no shared state).
///
///   auto params = vigil::tracker::parse_json_bounded(text, "params.json");
[[nodiscard]] nlohmann::json parse_json_bounded(std::string_view text, std::string_view what,
                                                const JsonLimits& limits = {},
                                                const DuplicateKeyHandler& on_duplicate_key = {});

/// Nesting depth of `value` (a scalar is 0, `[]` is 1), computed without recursion. Stops
/// counting once it exceeds `stop_after` and returns that count, so huge values cost little.
[[nodiscard]] int json_depth(const nlohmann::json& value, int stop_after = kMaxJsonDepth);

/// Throws InvalidArgument naming `what` and the limit when `value` nests deeper than
/// `limits.max_depth` or serialises to more than `limits.max_bytes`. Checks depth first, without
/// recursion, so it is safe on any value a caller built. Used before vigil stores a document.
void check_json_limits(const nlohmann::json& value, std::string_view what,
                       const JsonLimits& limits = {});

}  // namespace vigil::tracker
