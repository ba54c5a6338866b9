#pragma once

#include <fstream>
#include <ostream>
#include <string>

namespace vigil::cli {

/// The file behind --output. A regular (or new) file is written under a temporary name and
/// renamed into place by commit(), so a failed write never leaves a truncated FILE or
/// clobbers an old one. Anything else (a device, a FIFO, a symlink) is written in place:
/// renaming over it would replace the special file itself. Not thread-safe.
class OutputFile {
 public:
  /// Opens the file (or its temporary); throws vigil::Error naming `path` when it cannot.
  explicit OutputFile(std::string path);
  /// Removes the temporary file unless commit() succeeded.
  ~OutputFile() noexcept;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  std::ostream& stream() { return stream_; }
  /// Closes the stream and moves the file into place; throws vigil::Error when writing failed.
  void commit();

 private:
  std::string path_;
  std::string temp_path_;  // empty when writing in place
  std::ofstream stream_;
  bool committed_ = false;
};

}  // namespace vigil::cli
