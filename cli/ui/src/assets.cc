#include "assets.h"

#include <algorithm>
#include <map>
#include <string>

namespace vigil::ui {
namespace {

const std::map<std::string_view, Asset>& asset_map() {
  static const std::map<std::string_view, Asset> map = [] {
    std::map<std::string_view, Asset> result;
    for (std::size_t i = 0; i < detail::kEmbeddedFileCount; ++i) {
      const auto& file = detail::kEmbeddedFiles[i];
      result.emplace(file.path, Asset{file.path, file.content_type, file.data});
    }
    return result;
  }();
  return map;
}

}  // namespace

const Asset* find_asset(std::string_view url_path) noexcept {
  if (url_path == "/") url_path = "/index.html";
  const auto& map = asset_map();
  const auto it = map.find(url_path);
  return it == map.end() ? nullptr : &it->second;
}

std::vector<std::string_view> asset_paths() {
  std::vector<std::string_view> paths;
  for (const auto& [path, asset] : asset_map()) paths.push_back(path);
  return paths;
}

}  // namespace vigil::ui
