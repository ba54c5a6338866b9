#include "idx.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <system_error>

namespace vigil::examples {
namespace {

struct GzCloser {
  void operator()(gzFile file) const noexcept { gzclose(file); }
};
using GzFile = std::unique_ptr<std::remove_pointer_t<gzFile>, GzCloser>;

// Reads up to `size` bytes; returns how many were read (short only at end of file).
std::size_t read_bytes(gzFile file, const std::string& path, std::uint8_t* out, std::size_t size) {
  std::size_t total = 0;
  while (total < size) {
    const std::size_t chunk =
        std::min<std::size_t>(size - total, std::numeric_limits<int>::max() / 2);
    const int got = gzread(file, out + total, static_cast<unsigned>(chunk));
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(file, &code);
      throw IdxError(path + ": cannot read: " + (message ? message : "zlib error") +
                     "; expected an IDX file, plain or gzip-compressed");
    }
    if (got == 0) break;
    total += static_cast<std::size_t>(got);
  }
  return total;
}

// For an uncompressed file, the data bytes after the header: a cheap check of the claim.
std::optional<std::uintmax_t> plain_data_size(gzFile file, const std::string& path,
                                              std::size_t header_bytes) {
  if (gzdirect(file) == 0) return std::nullopt;  // gzip: sizes are known only when read
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec || size < header_bytes) return std::nullopt;
  return size - header_bytes;
}

std::string hex(std::uint32_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) text += kDigits[(value >> shift) & 0xf];
  return text;
}

std::uint32_t big_endian_u32(const std::uint8_t* bytes) {
  return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
         (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
}

constexpr std::size_t kMaxElements = std::size_t{1} << 34;

std::size_t element_count(const std::vector<std::int64_t>& dims) {
  std::size_t count = 1;
  for (std::int64_t dim : dims) count *= static_cast<std::size_t>(dim);
  return count;
}

// `available` is how many bytes follow the header (count + 1 means "more than count").
void check_data_size(const std::string& name, std::size_t count, std::size_t available) {
  if (available < count) {
    throw IdxError(name + ": truncated: expected " + std::to_string(count) + " data bytes, found " +
                   std::to_string(available));
  }
  if (available > count) {
    throw IdxError(name + ": unexpected bytes after the " + std::to_string(count) +
                   " data bytes; expected the file to end");
  }
}

// Reads up to `count` data bytes in bounded steps, so a header that declares gigabytes costs
// memory only for the bytes that are really there (a hostile 16-byte file must not allocate
// 2^34 bytes up front).
std::vector<std::uint8_t> read_data(gzFile file, const std::string& path, std::size_t count) {
  constexpr std::size_t kStep = std::size_t{1} << 24;
  std::vector<std::uint8_t> data;
  while (data.size() < count) {
    const std::size_t old_size = data.size();
    const std::size_t want = std::min(kStep, count - old_size);
    data.resize(old_size + want);
    const std::size_t got = read_bytes(file, path, data.data() + old_size, want);
    data.resize(old_size + got);
    if (got < want) break;
  }
  return data;
}

std::string find_file(const std::string& dir, const std::string& name) {
  const std::filesystem::path base = std::filesystem::path(dir) / name;
  if (std::filesystem::exists(base)) return base.string();
  const std::filesystem::path gz = base.string() + ".gz";
  if (std::filesystem::exists(gz)) return gz.string();
  throw IdxError(base.string() + ": not found (nor " + gz.filename().string() +
                 "); expected an MNIST-format IDX file (see --data-dir)");
}

}  // namespace

std::vector<std::int64_t> parse_idx_header(const std::uint8_t* bytes, std::size_t size,
                                           int expected_dims, const std::string& name) {
  if (size < 4) throw IdxError(name + ": truncated header; expected a 4-byte IDX magic number");
  const std::uint32_t magic_value = big_endian_u32(bytes);
  const std::uint32_t expected_magic = 0x800u | static_cast<std::uint32_t>(expected_dims);
  if (magic_value != expected_magic) {
    throw IdxError(name + ": magic number " + hex(magic_value) + "; expected " +
                   hex(expected_magic) + " (unsigned-byte IDX with " +
                   std::to_string(expected_dims) + " dimension(s))");
  }
  if (size < idx_header_size(expected_dims)) {
    throw IdxError(name + ": truncated header; expected " + std::to_string(expected_dims) +
                   " 4-byte dimension sizes");
  }
  std::vector<std::int64_t> dims;
  std::size_t count = 1;
  for (int i = 0; i < expected_dims; ++i) {
    const std::uint32_t dim = big_endian_u32(bytes + idx_header_size(i));
    if (dim == 0 || dim > (1u << 28)) {
      throw IdxError(name + ": dimension " + std::to_string(i) + " is " + std::to_string(dim) +
                     "; expected 1 to 2^28");
    }
    dims.push_back(dim);
    count *= dim;
    if (count > kMaxElements) {
      throw IdxError(name + ": " + std::to_string(count) + "+ elements; expected at most 2^34");
    }
  }
  return dims;
}

IdxArray parse_idx(const std::uint8_t* bytes, std::size_t size, int expected_dims,
                   const std::string& name) {
  IdxArray array;
  array.dims = parse_idx_header(bytes, size, expected_dims, name);
  const std::size_t count = element_count(array.dims);
  const std::size_t available = size - idx_header_size(expected_dims);
  check_data_size(name, count, available);
  array.data.assign(bytes + idx_header_size(expected_dims),
                    bytes + idx_header_size(expected_dims) + count);
  return array;
}

IdxArray read_idx(const std::string& path, int expected_dims) {
  GzFile file(gzopen(path.c_str(), "rb"));
  if (!file) throw IdxError(path + ": cannot open; expected a readable IDX file");

  std::vector<std::uint8_t> header(idx_header_size(expected_dims));
  const std::size_t header_got = read_bytes(file.get(), path, header.data(), header.size());
  IdxArray array;
  array.dims = parse_idx_header(header.data(), header_got, expected_dims, path);
  const std::size_t count = element_count(array.dims);
  // A plain file shorter than its header claims fails before anything is allocated.
  if (auto available = plain_data_size(file.get(), path, idx_header_size(expected_dims));
      available && *available < count) {
    throw IdxError(path + ": truncated: the header claims " + std::to_string(count) +
                   " data bytes, the file holds " + std::to_string(*available));
  }
  array.data = read_data(file.get(), path, count);
  std::uint8_t extra = 0;
  const std::size_t extra_got =
      array.data.size() == count ? read_bytes(file.get(), path, &extra, 1) : 0;
  check_data_size(path, count, array.data.size() + extra_got);
  return array;
}

void check_image_sizes(const IdxDataset& train, const IdxDataset& test, std::int64_t min_side,
                       const std::string& model) {
  const auto& dims = train.images.dims;
  if (dims[1] < min_side || dims[2] < min_side) {
    throw IdxError(train.images_path + ": images of " + std::to_string(dims[1]) + "x" +
                   std::to_string(dims[2]) + "; the " + model + " model needs at least " +
                   std::to_string(min_side) + "x" + std::to_string(min_side));
  }
  const auto& other = test.images.dims;
  if (other[1] != dims[1] || other[2] != dims[2]) {
    throw IdxError(test.images_path + ": images of " + std::to_string(other[1]) + "x" +
                   std::to_string(other[2]) + "; expected " + std::to_string(dims[1]) + "x" +
                   std::to_string(dims[2]) + " like the training images of " + train.images_path);
  }
}

IdxDataset load_split(const std::string& dir, const std::string& prefix) {
  IdxDataset split;
  split.images_path = find_file(dir, prefix + "-images-idx3-ubyte");
  split.labels_path = find_file(dir, prefix + "-labels-idx1-ubyte");
  split.images = read_idx(split.images_path, 3);
  split.labels = read_idx(split.labels_path, 1);
  if (split.images.dims[0] != split.labels.dims[0]) {
    throw IdxError(split.labels_path + ": " + std::to_string(split.labels.dims[0]) +
                   " labels; expected one per image of " + split.images_path + " (" +
                   std::to_string(split.images.dims[0]) + ")");
  }
  for (std::size_t i = 0; i < split.labels.data.size(); ++i) {
    if (split.labels.data[i] > 9) {
      throw IdxError(split.labels_path + ": label " + std::to_string(split.labels.data[i]) +
                     " at index " + std::to_string(i) + "; expected a class in 0-9");
    }
  }
  return split;
}

}  // namespace vigil::examples
