#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace vigil::ui {

/// One web asset compiled into the binary (see cli/ui/cmake/embed_assets.cmake).
struct Asset {
  std::string_view path;          ///< URL path, e.g. "/app.js"
  std::string_view content_type;  ///< value of the Content-Type header
  std::string_view data;          ///< file bytes
};

/// The asset served at exactly `url_path` ("/" serves "/index.html"), or nullptr. A pure map
/// lookup: no path normalisation and no filesystem access, so no request can reach anything but
/// the embedded files. Thread-safe.
const Asset* find_asset(std::string_view url_path) noexcept;

/// URL paths of every embedded asset, sorted. Thread-safe.
std::vector<std::string_view> asset_paths();

namespace detail {

/// Layout of the generated table (ui_assets_data.cc in the build directory).
struct EmbeddedFile {
  const char* path;
  const char* content_type;
  std::string_view data;
};
extern const EmbeddedFile kEmbeddedFiles[];
extern const std::size_t kEmbeddedFileCount;

}  // namespace detail
}  // namespace vigil::ui
