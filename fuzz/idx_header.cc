// Fuzzes the IDX reader of vigil-mnist (examples/mnist/idx.h, no LibTorch): data files are
// outside input. The first byte picks the expected number of dimensions (1 to 3); the rest is
// parsed in memory (parse_idx) and read back from a file (read_idx, plain or gzip).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz_support.h"
#include "idx.h"

namespace {

void check_shape(const vigil::examples::IdxArray& array, int dims) {
  std::size_t count = 1;
  for (auto dim : array.dims) count *= static_cast<std::size_t>(dim);
  if (array.dims.size() != static_cast<std::size_t>(dims) || array.data.size() != count) {
    __builtin_trap();
  }
}

const std::string& scratch_file() {
  static const std::string path =
      (std::filesystem::temp_directory_path() / ("vigil-fuzz-idx-" + std::to_string(::getpid())))
          .string();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int dims = 1 + data[0] % 3;
  vigil::fuzz::expect_vigil_errors_only(
      [&] { check_shape(vigil::examples::parse_idx(data + 1, size - 1, dims, "fuzz.idx"), dims); });
  {
    std::ofstream file(scratch_file(), std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
  }
  vigil::fuzz::expect_vigil_errors_only(
      [&] { check_shape(vigil::examples::read_idx(scratch_file(), dims), dims); });
  std::remove(scratch_file().c_str());
  return 0;
}
