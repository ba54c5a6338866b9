#include "pattern.h"

#include <re2/re2.h>

namespace vigil::rules::detail {
namespace {

RE2::Options pattern_options() {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingUTF8);
  options.set_max_mem(kPatternMemoryBudget);
  options.set_log_errors(false);  // errors are reported as rules problems, not on stderr
  return options;
}

}  // namespace

Pattern::Pattern(const std::string& pattern)
    : re2_(std::make_unique<RE2>(pattern, pattern_options())) {
  if (!re2_->ok()) error_ = re2_->error();
}

Pattern::~Pattern() noexcept = default;
Pattern::Pattern(Pattern&&) noexcept = default;
Pattern& Pattern::operator=(Pattern&&) noexcept = default;

bool Pattern::full_match(std::string_view text) const {
  return error_.empty() && RE2::FullMatch(re2::StringPiece(text.data(), text.size()), *re2_);
}

bool Pattern::partial_match(std::string_view text) const {
  return error_.empty() && RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *re2_);
}

}  // namespace vigil::rules::detail
