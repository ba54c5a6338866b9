#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vigil/tracker/store.h"
#include "vigil/tracker/types.h"

namespace vigil::ui {

/// A full run listing for one filter, shared read-only between requests.
struct RunsSnapshot {
  std::vector<tracker::RunInfo> runs;  ///< newest first, as the store lists them
  nlohmann::json facets;               ///< runs_facets(runs)
};

/// Keeps the most recent full listing, so paging and re-sorting 10,000 runs does not query
/// and rebuild every run each time. A snapshot is reused only for the same filter, while the
/// store's change token (tracker::Store::change_token, any backend) is the same, and for at
/// most `max_age` (statuses derived from time, such as `crashed`, change without any write).
///
/// Thread safety: all methods may be called concurrently.
class RunsCache {
 public:
  /// `store` must outlive the cache.
  RunsCache(const tracker::Store& store, std::chrono::milliseconds max_age);

  /// The snapshot for `filter_key`: cached, or built by `load` (whose runs must be newest
  /// first) and kept for the next call.
  std::shared_ptr<const RunsSnapshot> get(
      const std::string& filter_key, const std::function<std::vector<tracker::RunInfo>()>& load);

  /// Forgets the snapshot (after this process changed the store).
  void clear();

 private:
  const tracker::Store& store_;
  std::chrono::milliseconds max_age_;
  std::mutex mu_;
  std::string key_;                               // guarded by mu_
  std::uint64_t token_ = 0;                       // guarded by mu_
  std::chrono::steady_clock::time_point taken_;   // guarded by mu_
  std::shared_ptr<const RunsSnapshot> snapshot_;  // guarded by mu_
};

}  // namespace vigil::ui
