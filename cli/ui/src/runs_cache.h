#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vigil/tracker/types.h"

namespace vigil::ui {

/// A full run listing for one filter, shared read-only between requests.
struct RunsSnapshot {
  std::vector<tracker::RunInfo> runs;  ///< newest first, as the store lists them
  nlohmann::json facets;               ///< runs_facets(runs)
};

/// Keeps the most recent full listing, so paging and re-sorting 10,000 runs does not query
/// and rebuild every run each time. A snapshot is reused only for the same filter, while the
/// store's files (the SQLite database and its WAL) show no change in size or modification
/// time, and for at most `max_age` (statuses derived from time, such as `crashed`, change
/// without any write). Stores that are not local files are never cached.
///
/// Thread safety: all methods may be called concurrently.
class RunsCache {
 public:
  RunsCache(const std::string& store_uri, std::chrono::milliseconds max_age);

  /// The snapshot for `filter_key`: cached, or built by `load` (whose runs must be newest
  /// first) and kept for the next call.
  std::shared_ptr<const RunsSnapshot> get(
      const std::string& filter_key, const std::function<std::vector<tracker::RunInfo>()>& load);

  /// Forgets the snapshot (after this process changed the store).
  void clear();

 private:
  struct FileStamp {
    long long size = -1;
    long long mtime_ns = -1;
    long long inode = -1;
    bool operator==(const FileStamp& o) const {
      return size == o.size && mtime_ns == o.mtime_ns && inode == o.inode;
    }
  };
  std::vector<FileStamp> stamp() const;

  std::vector<std::string> files_;  // empty: caching disabled
  std::chrono::milliseconds max_age_;
  std::mutex mu_;
  std::string key_;                               // guarded by mu_
  std::vector<FileStamp> stamp_;                  // guarded by mu_
  std::chrono::steady_clock::time_point taken_;   // guarded by mu_
  std::shared_ptr<const RunsSnapshot> snapshot_;  // guarded by mu_
};

}  // namespace vigil::ui
