// Fuzzes the store URI parser (--store, $VIGIL_STORE, Store's constructor argument).
#include <cstddef>
#include <cstdint>
#include <string>

#include "backend.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  vigil::fuzz::expect_vigil_errors_only([&] {
    const std::string uri(vigil::fuzz::as_text(data, size));
    (void)vigil::tracker::detail::redact_uri(uri);  // printed for any input, valid or not
    const auto location = vigil::tracker::detail::parse_store_uri(uri);
    if (location.path.empty()) __builtin_trap();  // a parsed URI always names a location
  });
  return 0;
}
