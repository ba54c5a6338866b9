// Dashboard API benchmarks (vigil ui): HTTP round trips to an in-process vigil::ui::Server on a
// store with 10,000 runs and one run with a 1,000,000-point series.
//
//   cmake --build build --target vigil_bench_ui && build/bench/vigil_bench_ui
//
// The store is generated once (about 10 s) into $VIGIL_UI_BENCH_STORE, default
// /tmp/vigil-ui-bench/store.db, and reused while it holds the expected runs.
// Targets (README of the dashboard issue): /api/runs < 100 ms with 10,000 runs; a 1,000,000
// point series downsampled to <= 2,000 points in < 50 ms.
#include <httplib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "governance_fixture.h"
#include "runs_query.h"
#include "server.h"
#include "ui_fixture.h"
#include "vigil/tracker.h"

namespace {

constexpr std::size_t kRuns = 10'000;
constexpr std::size_t kLongPoints = 1'000'000;

struct BenchStore {
  std::string path;
  std::string long_run;
};

const BenchStore& bench_store() {
  static const BenchStore store = [] {
    const char* env = std::getenv("VIGIL_UI_BENCH_STORE");
    BenchStore result;
    result.path = env && *env ? env : "/tmp/vigil-ui-bench/store.db";
    std::filesystem::create_directories(std::filesystem::path(result.path).parent_path());
    if (std::filesystem::exists(result.path)) {
      vigil::tracker::StoreOptions options;
      options.read_only = true;
      options.handle_signals = false;
      vigil::tracker::Store existing(result.path, options);
      vigil::tracker::RunFilter filter;
      filter.name_contains = "long-series";
      const auto runs = existing.list_runs(filter);
      if (runs.size() == 1 && existing.list_runs().size() == kRuns + 1) {
        result.long_run = runs.front().id;
        return result;
      }
      throw std::runtime_error(result.path + " exists but is not the benchmark store; remove it");
    }
    vigil::testing::add_bulk_runs(result.path, kRuns);
    result.long_run = vigil::testing::add_long_series_run(result.path, kLongPoints);
    return result;
  }();
  return store;
}

// 10,000 runs, each validated once ($VIGIL_UI_BENCH_GOVERNANCE_STORE, default
// /tmp/vigil-ui-bench/governance.db; generated once, about a minute).
const std::string& governance_store() {
  static const std::string path = [] {
    const char* env = std::getenv("VIGIL_UI_BENCH_GOVERNANCE_STORE");
    const std::string result = env && *env ? env : "/tmp/vigil-ui-bench/governance.db";
    std::filesystem::create_directories(std::filesystem::path(result).parent_path());
    if (!std::filesystem::exists(result)) {
      vigil::testing::add_bulk_runs(result, kRuns);
      vigil::testing::validate_every_run(result);
    }
    return result;
  }();
  return path;
}

class Served {
 public:
  explicit Served(const std::string& path) : server_(options(path)) {
    port_ = server_.bind();
    thread_ = std::thread([this] { server_.serve(); });
  }
  ~Served() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }

 private:
  static vigil::ui::ServerOptions options(const std::string& path) {
    vigil::ui::ServerOptions o;
    o.store_uri = path;
    o.port = 0;
    return o;
  }
  vigil::ui::Server server_;
  int port_ = -1;
  std::thread thread_;
};

Served& served() {
  static Served instance(bench_store().path);
  return instance;
}

void get_json(benchmark::State& state, const std::string& path, Served& server = served()) {
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(60, 0);
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto res = client.Get(path.c_str());
    if (!res || res->status != 200) {
      state.SkipWithError(("GET " + path + " failed").c_str());
      return;
    }
    bytes = res->body.size();
    benchmark::DoNotOptimize(res->body.data());
  }
  state.counters["response_bytes"] = static_cast<double>(bytes);
}

// GET `a` and `b` in turn: each request changes the key of a one-entry cache, so every one of
// them misses it.
void get_json_alternating(benchmark::State& state, const std::string& a, const std::string& b,
                          Served& server = served()) {
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(60, 0);
  int flip = 0;
  for (auto _ : state) {
    const std::string& path = flip++ % 2 ? b : a;
    auto res = client.Get(path.c_str());
    if (!res || res->status != 200) {
      state.SkipWithError(("GET " + path + " failed").c_str());
      return;
    }
    benchmark::DoNotOptimize(res->body.data());
  }
}

// What the runs page asks first: newest 50, with totals and column facets (snapshot cached,
// as when paging or sorting).
void BM_ApiRunsFirstPage(benchmark::State& state) {
  get_json(state, "/api/runs?sort=created_at&order=desc&offset=0&limit=50&facets=1");
}
BENCHMARK(BM_ApiRunsFirstPage)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same page on a cache miss (a changed filter or store): the full listing is rebuilt.
// "name=" (an empty search, ignored by the filter) alternates the cache key, so every
// iteration misses the one-entry snapshot cache while the store query stays the same.
void BM_ApiRunsFirstPageUncached(benchmark::State& state) {
  get_json_alternating(state, "/api/runs?sort=created_at&order=desc&offset=0&limit=50&facets=1",
                       "/api/runs?name=&sort=created_at&order=desc&offset=0&limit=50&facets=1");
}
BENCHMARK(BM_ApiRunsFirstPageUncached)->Unit(benchmark::kMillisecond)->UseRealTime();

// Sorted by a metric column, page 100.
void BM_ApiRunsSortedByMetric(benchmark::State& state) {
  get_json(state, "/api/runs?sort=metric:loss&order=asc&offset=5000&limit=50");
}
BENCHMARK(BM_ApiRunsSortedByMetric)->Unit(benchmark::kMillisecond)->UseRealTime();

// Tag + param condition filters, sorted by name.
void BM_ApiRunsFiltered(benchmark::State& state) {
  get_json(state, "/api/runs?tag=even&param=optimizer.lr%20%3C%200.01&sort=name&offset=0&limit=50");
}
BENCHMARK(BM_ApiRunsFiltered)->Unit(benchmark::kMillisecond)->UseRealTime();

// `vigil runs ls --limit 50` semantics: newest 50, no paging.
void BM_ApiRunsNewest50(benchmark::State& state) { get_json(state, "/api/runs?limit=50"); }
BENCHMARK(BM_ApiRunsNewest50)->Unit(benchmark::kMillisecond)->UseRealTime();

// Every run in one response (~6 MB of JSON).
void BM_ApiRunsAll(benchmark::State& state) { get_json(state, "/api/runs"); }
BENCHMARK(BM_ApiRunsAll)->Unit(benchmark::kMillisecond)->UseRealTime();

// 1,000,000 points downsampled by the store to at most 2,000.
void BM_ApiPointsDownsampled(benchmark::State& state) {
  get_json(state, "/api/runs/" + bench_store().long_run + "/points?metric=loss&max_points=2000");
}
BENCHMARK(BM_ApiPointsDownsampled)->Unit(benchmark::kMillisecond)->UseRealTime();

// A zoom to 1 % of the 1,000,000-point series: 10,000 steps, downsampled to 2,000; only the
// chunks overlapping the range are read.
void BM_ApiPointsZoomedRange(benchmark::State& state) {
  get_json(state, "/api/runs/" + bench_store().long_run +
                      "/points?metric=loss&max_points=2000&min_step=500000&max_step=509999");
}
BENCHMARK(BM_ApiPointsZoomedRange)->Unit(benchmark::kMillisecond)->UseRealTime();

// The Governance page's summary of 10,000 validated runs, rebuilt each time (the bucket
// alternates, so the one-entry cache always misses): the run listing plus each run's latest
// validation.
void BM_ApiGovernanceSummaryUncached(benchmark::State& state) {
  static Served governance(governance_store());
  get_json_alternating(state, "/api/governance/summary?bucket=day",
                       "/api/governance/summary?bucket=week", governance);
}
BENCHMARK(BM_ApiGovernanceSummaryUncached)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same summary while the store is unchanged (cached by its change token).
void BM_ApiGovernanceSummaryCached(benchmark::State& state) {
  static Served governance(governance_store());
  get_json(state, "/api/governance/summary", governance);
}
BENCHMARK(BM_ApiGovernanceSummaryCached)->Unit(benchmark::kMillisecond)->UseRealTime();

// Baseline without HTTP/JSON: the tracker query behind /api/runs.
void BM_StoreListRunsAll(benchmark::State& state) {
  vigil::tracker::StoreOptions options;
  options.read_only = true;
  options.handle_signals = false;
  vigil::tracker::Store store(bench_store().path, options);
  for (auto _ : state) benchmark::DoNotOptimize(store.list_runs());
}
BENCHMARK(BM_StoreListRunsAll)->Unit(benchmark::kMillisecond)->UseRealTime();

// Building the column/tag facets of 10,000 runs (part of an uncached first page).
void BM_FacetsOf10000Runs(benchmark::State& state) {
  vigil::tracker::StoreOptions options;
  options.read_only = true;
  options.handle_signals = false;
  vigil::tracker::Store store(bench_store().path, options);
  const auto runs = store.list_runs();
  for (auto _ : state) benchmark::DoNotOptimize(vigil::ui::runs_facets(runs));
}
BENCHMARK(BM_FacetsOf10000Runs)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
