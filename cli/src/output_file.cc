#include "output_file.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <system_error>
#include <utility>

#include "vigil/error.h"

namespace vigil::cli {

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
  std::error_code error;
  auto type = std::filesystem::symlink_status(path_, error).type();
  bool replace = error || type == std::filesystem::file_type::not_found ||
                 type == std::filesystem::file_type::regular;
  if (replace) temp_path_ = path_ + ".tmp-" + std::to_string(::getpid());
  stream_.open(replace ? temp_path_ : path_, std::ios::binary | std::ios::trunc);
  if (!stream_) throw vigil::Error("cannot write --output '" + path_ + "'");
}

OutputFile::~OutputFile() noexcept {
  if (!committed_ && !temp_path_.empty()) {
    stream_.close();
    std::remove(temp_path_.c_str());
  }
}

void OutputFile::commit() {
  stream_.close();
  if (!stream_) throw vigil::Error("writing --output '" + path_ + "' failed");
  if (!temp_path_.empty()) {
    std::error_code error;
    std::filesystem::rename(temp_path_, path_, error);
    if (error) throw vigil::Error("cannot write --output '" + path_ + "': " + error.message());
  }
  committed_ = true;
}

}  // namespace vigil::cli
