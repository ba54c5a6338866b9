#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <vigil/error.h>

namespace vigil::examples {

/// A file is missing or is not the IDX file that was expected. what() is one line naming the
/// file and what was expected.
class IdxError : public vigil::Error {
 public:
  using vigil::Error::Error;
};

/// An unsigned-byte IDX array (the MNIST file format): dimensions and row-major bytes.
struct IdxArray {
  std::vector<std::int64_t> dims;
  std::vector<std::uint8_t> data;
};

/// Size in bytes of the header of an unsigned-byte IDX file with `dims` dimensions: the 4-byte
/// magic number and one 4-byte big-endian size per dimension.
constexpr std::size_t idx_header_size(int dims) { return 4 + 4 * static_cast<std::size_t>(dims); }

/// Checks the header of an unsigned-byte IDX file (`size` bytes at `bytes`, of which the first
/// idx_header_size(expected_dims) are read) and returns its dimension sizes; the data that follows
/// is their product in bytes. Throws IdxError naming `name` when the header is truncated, the
/// magic number is not 0x0000 0x08 `expected_dims`, a size is 0 or above 2^28, or the product
/// is above 2^34. Reads no file and allocates nothing in proportion to the sizes it declares.
std::vector<std::int64_t> parse_idx_header(const std::uint8_t* bytes, std::size_t size,
                                           int expected_dims, const std::string& name);

/// Parses a whole uncompressed IDX file held in memory: the header (parse_idx_header), then
/// exactly the declared number of data bytes. Throws IdxError as read_idx does.
IdxArray parse_idx(const std::uint8_t* bytes, std::size_t size, int expected_dims,
                   const std::string& name);

/// Reads an unsigned-byte IDX file with `expected_dims` dimensions, plain or gzip-compressed
/// (detected from the content). Throws IdxError when the file cannot be opened, its magic
/// number is not 0x0000 0x08 `expected_dims`, a dimension is zero, the data is truncated or
/// followed by extra bytes, or the gzip stream is corrupt. Memory follows the data actually
/// read, never the header's claim: a plain file shorter than its header claims fails before
/// any allocation, a gzip stream as soon as it ends.
IdxArray read_idx(const std::string& path, int expected_dims);

/// An MNIST-format split: images [n, rows, cols] and labels [n] in 0-9.
struct IdxDataset {
  IdxArray images;
  IdxArray labels;
  std::string images_path;
  std::string labels_path;
};

/// Throws IdxError unless the training images are at least `min_side` x `min_side` (what
/// `model` needs) and the test images have the training images' size.
void check_image_sizes(const IdxDataset& train, const IdxDataset& test, std::int64_t min_side,
                       const std::string& model);

/// Loads `<dir>/<prefix>-images-idx3-ubyte` and `<dir>/<prefix>-labels-idx1-ubyte` (each plain,
/// or with a .gz suffix); prefix is "train" or "t10k". Throws IdxError for a missing or
/// malformed file, a label outside 0-9, or image and label counts that differ.
IdxDataset load_split(const std::string& dir, const std::string& prefix);

}  // namespace vigil::examples
