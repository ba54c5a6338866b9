#include "runs_cache.h"

#include <sys/stat.h>

#include <utility>

#include "runs_query.h"

namespace vigil::ui {

RunsCache::RunsCache(const std::string& store_uri, std::chrono::milliseconds max_age)
    : max_age_(max_age) {
  std::string path = store_uri;
  const std::string scheme = "sqlite://";
  if (path.rfind(scheme, 0) == 0) path = path.substr(scheme.size());
  struct stat info {};
  if (!path.empty() && ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode)) {
    files_ = {path, path + "-wal"};
  }
}

std::vector<RunsCache::FileStamp> RunsCache::stamp() const {
  std::vector<FileStamp> stamps;
  for (const auto& file : files_) {
    FileStamp s;
    struct stat info {};
    if (::stat(file.c_str(), &info) == 0) {
      s.size = static_cast<long long>(info.st_size);
      s.mtime_ns = static_cast<long long>(info.st_mtim.tv_sec) * 1'000'000'000LL +
                   static_cast<long long>(info.st_mtim.tv_nsec);
      s.inode = static_cast<long long>(info.st_ino);
    }
    stamps.push_back(s);
  }
  return stamps;
}

std::shared_ptr<const RunsSnapshot> RunsCache::get(
    const std::string& filter_key, const std::function<std::vector<tracker::RunInfo>()>& load) {
  // Stamped before loading: a write during the load makes the next call reload.
  auto now_stamp = stamp();
  const auto now = std::chrono::steady_clock::now();
  if (!files_.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (snapshot_ && key_ == filter_key && stamp_ == now_stamp && now - taken_ <= max_age_) {
      return snapshot_;
    }
  }
  auto snapshot = std::make_shared<RunsSnapshot>();
  snapshot->runs = load();
  snapshot->facets = runs_facets(snapshot->runs);
  if (!files_.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    key_ = filter_key;
    stamp_ = std::move(now_stamp);
    taken_ = now;
    snapshot_ = snapshot;
  }
  return snapshot;
}

void RunsCache::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  snapshot_.reset();
}

}  // namespace vigil::ui
