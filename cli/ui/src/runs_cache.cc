#include "runs_cache.h"

#include <utility>

#include "runs_query.h"

namespace vigil::ui {

RunsCache::RunsCache(const tracker::Store& store, std::chrono::milliseconds max_age)
    : store_(store), max_age_(max_age) {}

std::shared_ptr<const RunsSnapshot> RunsCache::get(
    const std::string& filter_key, const std::function<std::vector<tracker::RunInfo>()>& load) {
  // Read before loading: a write during the load makes the next call reload.
  const std::uint64_t token = store_.change_token();
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (snapshot_ && key_ == filter_key && token_ == token && now - taken_ <= max_age_) {
      return snapshot_;
    }
  }
  auto snapshot = std::make_shared<RunsSnapshot>();
  snapshot->runs = load();
  snapshot->facets = runs_facets(snapshot->runs);
  std::lock_guard<std::mutex> lock(mu_);
  key_ = filter_key;
  token_ = token;
  taken_ = now;
  snapshot_ = snapshot;
  return snapshot;
}

void RunsCache::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  snapshot_.reset();
}

}  // namespace vigil::ui
