#pragma once

// Shared by the libFuzzer targets in fuzz/: the one rule every parser of outside input keeps.
// Bad input ends in a vigil::Error (a one-line message naming the input); anything else (a
// crash, a sanitizer report, another exception type, a hang) is a finding.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "vigil/error.h"

namespace vigil::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Runs `parse`; a vigil::Error is the expected answer to bad input and is swallowed, any
/// other exception escapes and libFuzzer reports it as a crash.
template <typename Parse>
void expect_vigil_errors_only(Parse&& parse) {
  try {
    parse();
  } catch (const vigil::Error& e) {
    if (e.what()[0] == '\0') __builtin_trap();  // an error must say what is wrong
  }
}

}  // namespace vigil::fuzz
