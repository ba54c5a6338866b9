#include "idx.h"

#include <zlib.h>

#include <array>
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

// Data is read (and memory grown) this much at a time: a header's claim allocates nothing.
constexpr std::size_t kReadChunk = std::size_t{16} << 20;

// Reads `count` data bytes, growing `data` only as bytes arrive, so a header claiming more
// than the file holds costs no memory. Returns how many bytes there were (<= count).
std::size_t read_data(gzFile file, const std::string& path, std::size_t count,
                      std::vector<std::uint8_t>& data) {
  data.clear();
  while (data.size() < count) {
    const std::size_t start = data.size();
    const std::size_t want = std::min(kReadChunk, count - start);
    data.resize(start + want);
    const std::size_t got = read_bytes(file, path, data.data() + start, want);
    data.resize(start + got);
    if (got < want) break;
  }
  return data.size();
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

std::string find_file(const std::string& dir, const std::string& name) {
  const std::filesystem::path base = std::filesystem::path(dir) / name;
  if (std::filesystem::exists(base)) return base.string();
  const std::filesystem::path gz = base.string() + ".gz";
  if (std::filesystem::exists(gz)) return gz.string();
  throw IdxError(base.string() + ": not found (nor " + gz.filename().string() +
                 "); expected an MNIST-format IDX file (see --data-dir)");
}

}  // namespace

IdxArray read_idx(const std::string& path, int expected_dims) {
  GzFile file(gzopen(path.c_str(), "rb"));
  if (!file) throw IdxError(path + ": cannot open; expected a readable IDX file");

  std::array<std::uint8_t, 4> magic{};
  if (read_bytes(file.get(), path, magic.data(), magic.size()) != magic.size()) {
    throw IdxError(path + ": truncated header; expected a 4-byte IDX magic number");
  }
  const std::uint32_t magic_value = (std::uint32_t{magic[0]} << 24) |
                                    (std::uint32_t{magic[1]} << 16) |
                                    (std::uint32_t{magic[2]} << 8) | std::uint32_t{magic[3]};
  const std::uint32_t expected_magic = 0x800u | static_cast<std::uint32_t>(expected_dims);
  if (magic_value != expected_magic) {
    throw IdxError(path + ": magic number " + hex(magic_value) + "; expected " +
                   hex(expected_magic) + " (unsigned-byte IDX with " +
                   std::to_string(expected_dims) + " dimension(s))");
  }

  IdxArray array;
  std::size_t count = 1;
  for (int i = 0; i < expected_dims; ++i) {
    std::array<std::uint8_t, 4> raw{};
    if (read_bytes(file.get(), path, raw.data(), raw.size()) != raw.size()) {
      throw IdxError(path + ": truncated header; expected " + std::to_string(expected_dims) +
                     " 4-byte dimension sizes");
    }
    const std::uint32_t size = (std::uint32_t{raw[0]} << 24) | (std::uint32_t{raw[1]} << 16) |
                               (std::uint32_t{raw[2]} << 8) | std::uint32_t{raw[3]};
    if (size == 0 || size > (1u << 28)) {
      throw IdxError(path + ": dimension " + std::to_string(i) + " is " + std::to_string(size) +
                     "; expected 1 to 2^28");
    }
    array.dims.push_back(size);
    count *= size;
    if (count > (std::size_t{1} << 34)) {
      throw IdxError(path + ": " + std::to_string(count) + "+ elements; expected at most 2^34");
    }
  }

  const std::size_t header_bytes = 4 + 4 * static_cast<std::size_t>(expected_dims);
  if (auto available = plain_data_size(file.get(), path, header_bytes);
      available && *available < count) {
    throw IdxError(path + ": truncated: the header claims " + std::to_string(count) +
                   " data bytes, the file holds " + std::to_string(*available));
  }
  const std::size_t got = read_data(file.get(), path, count, array.data);
  if (got != count) {
    throw IdxError(path + ": truncated: expected " + std::to_string(count) + " data bytes, found " +
                   std::to_string(got));
  }
  std::uint8_t extra = 0;
  if (read_bytes(file.get(), path, &extra, 1) != 0) {
    throw IdxError(path + ": unexpected bytes after the " + std::to_string(count) +
                   " data bytes; expected the file to end");
  }
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
