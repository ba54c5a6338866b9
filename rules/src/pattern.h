#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace vigil::rules::detail {

/// Memory RE2 may use for one compiled pattern and its matching automata (RE2's own default,
/// set explicitly so the bound is ours). A pattern whose program does not fit fails to compile;
/// matching past the budget falls back to RE2's slower, still linear, engine.
inline constexpr std::int64_t kPatternMemoryBudget = std::int64_t{8} << 20;  // 8 MiB

/// A user-supplied regular expression (rules `pattern`, and any other user pattern), compiled
/// with RE2: matching is linear in the text and uses no recursion, so a 1 MB run name or
/// "(a+)+$" cannot overflow the stack or run for hours as std::regex does. RE2 syntax
/// (https://github.com/google/re2/wiki/Syntax), UTF-8. Thread-safe: const methods may be called
/// concurrently.
class Pattern {
 public:
  /// Compiles `pattern`; check error() before matching.
  explicit Pattern(const std::string& pattern);
  ~Pattern() noexcept;
  Pattern(Pattern&&) noexcept;
  Pattern& operator=(Pattern&&) noexcept;

  /// Empty when the pattern compiled, else RE2's reason ("missing ): (a").
  const std::string& error() const noexcept { return error_; }
  /// The whole of `text` matches.
  [[nodiscard]] bool full_match(std::string_view text) const;
  /// Some part of `text` matches.
  [[nodiscard]] bool partial_match(std::string_view text) const;

 private:
  std::unique_ptr<re2::RE2> re2_;
  std::string error_;
};

}  // namespace vigil::rules::detail
