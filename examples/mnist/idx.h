#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace vigil::examples {

/// A file is missing or is not the IDX file that was expected. what() is one line naming the
/// file and what was expected.
class IdxError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An unsigned-byte IDX array (the MNIST file format): dimensions and row-major bytes.
struct IdxArray {
  std::vector<std::int64_t> dims;
  std::vector<std::uint8_t> data;
};

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
