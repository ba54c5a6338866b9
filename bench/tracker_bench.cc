// vigil::tracker performance:
//   BM_MetricHandleLog     cost of MetricHandle::log on the caller's thread (ns per point)
//   BM_RunLogMetric        the same through Run::log_metric (series lookup by name)
//   BM_TrainingStep/S      a job rank's per-step work on the training thread (log one point,
//                          check the job's stop request) while the system metrics sampler
//                          runs every S ms on its own thread (S = 0: no sampler); the sampler
//                          costs nothing per step when both match
//   BM_StopRequestCheck    Run::stop_request() on a job's run with no request (every step)
//   BM_SustainedCommit     log N points then flush: committed points/s, bytes/point on disk
//   BM_ListRuns10k         list_runs over 10,000 runs with params, tags and metric summaries
//   BM_Downsample1M        points() of a 1,000,000-point series down to 2,000 points
//   BM_RangeRead1M/N       points() of 1 % of that series' steps, at most N points
//   BM_SustainedCommitProcesses/P  P processes, each logging into its own run of one store
// Run with --benchmark_repetitions=5 for medians.
// Backend: an SQLite file in a scratch directory; with VIGIL_BENCH_POSTGRES set to a server
// URI without database (postgresql://USER@127.0.0.1:PORT, a role that may create databases),
// a new PostgreSQL database per benchmark instead (dropped at the end). A local server:
//   scripts/pg_test_cluster.sh start /tmp/vigil-bench-pg --durable
//   VIGIL_BENCH_POSTGRES=$(cat /tmp/vigil-bench-pg/uri) build/bench/vigil_bench_tracker
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "vigil/tracker.h"

namespace {

using namespace vigil::tracker;
namespace fs = std::filesystem;

// The PostgreSQL server to benchmark on (empty: SQLite).
std::string postgres_server() {
  const char* uri = std::getenv("VIGIL_BENCH_POSTGRES");
  return uri && *uri ? uri : "";
}

void postgres_admin(const std::string& sql) {
  PGconn* conn = PQconnectdb((postgres_server() + "/postgres").c_str());
  PGresult* result = PQexec(conn, sql.c_str());
  if (PQresultStatus(result) != PGRES_COMMAND_OK) {
    std::fprintf(stderr, "%s: %s\n", sql.c_str(), PQerrorMessage(conn));
    std::abort();
  }
  PQclear(result);
  PQfinish(conn);
}

/// A scratch store removed at the end of the benchmark: a file in a scratch directory, or a
/// new PostgreSQL database.
class Scratch {
 public:
  Scratch() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/vigil-bench-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
    if (!postgres_server().empty()) {
      database_ = "vigil_bench_" + path_.filename().string().substr(12);
      for (char& c : database_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      postgres_admin("CREATE DATABASE " + database_);
    }
  }
  ~Scratch() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
    if (!database_.empty()) postgres_admin("DROP DATABASE " + database_ + " WITH (FORCE)");
  }
  /// The store's URI (`name`: the file name of an SQLite store).
  std::string file(const std::string& name) const {
    if (!database_.empty()) return postgres_server() + "/" + database_;
    return (path_ / name).string();
  }

 private:
  fs::path path_;
  std::string database_;
};

StoreOptions bench_options() {
  StoreOptions options;
  options.handle_signals = false;
  return options;
}

std::uintmax_t store_bytes(const std::string& path) {
  if (!postgres_server().empty()) {
    return Store(path, bench_options()).info().size_bytes.value_or(0);
  }
  std::uintmax_t total = 0;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    auto size = fs::file_size(path + suffix, ec);
    if (!ec && std::string(suffix) != "-shm") total += size;
  }
  return total;
}

// The caller's cost without the writer's throughput in the way: each iteration logs a
// batch that fits the buffer (timed), then waits for the commit (not timed). per_point is
// the time per log() call; take the median over --benchmark_repetitions.
constexpr int kBatch = 65536;

void BM_MetricHandleLog(benchmark::State& state) {
  Scratch scratch;
  Store store(scratch.file("bench.db"), bench_options());
  auto run = store.start_run();
  auto loss = run.metric("loss");
  std::int64_t step = 0;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kBatch; ++i) loss.log(0.5, step++);
    auto end = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(end - start).count());
    run.flush();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["per_point"] = benchmark::Counter(
      kBatch, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["backpressure_waits"] = static_cast<double>(run.stats().backpressure_waits);
  run.finish();
}
BENCHMARK(BM_MetricHandleLog)->UseManualTime()->Unit(benchmark::kMicrosecond);

void BM_RunLogMetric(benchmark::State& state) {
  Scratch scratch;
  Store store(scratch.file("bench.db"), bench_options());
  auto run = store.start_run();
  std::int64_t step = 0;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kBatch; ++i) run.log_metric("loss", 0.5, step++);
    auto end = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(end - start).count());
    run.flush();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["per_point"] = benchmark::Counter(
      kBatch, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  run.finish();
}
// A rank's step: one point and the stop check, timed as BM_MetricHandleLog; the sampler (a
// 10 ms interval: 1,000 times the default 10 s, to make any cost visible) samples meanwhile.
void BM_TrainingStep(benchmark::State& state) {
  Scratch scratch;
  Store store(scratch.file("bench.db"), bench_options());
  RankOptions rank;
  rank.job_id = "bench";
  rank.world_size = 2;
  auto run = store.join_run({}, rank);
  std::unique_ptr<SystemMetricsSampler> sampler;
  if (state.range(0) > 0) {
    SystemMetricsOptions options;
    options.interval = std::chrono::milliseconds(state.range(0));
    options.context = {{"rank", 0}};
    sampler = std::make_unique<SystemMetricsSampler>(run, options);
  }
  auto loss = run.metric("loss");
  std::int64_t step = 0;
  std::int64_t stops = 0;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kBatch; ++i) {
      loss.log(0.5, step++);
      if (run.stop_request()) ++stops;
    }
    auto end = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(end - start).count());
    run.flush();
  }
  benchmark::DoNotOptimize(stops);
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["per_step"] = benchmark::Counter(
      kBatch, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_TrainingStep)->Arg(0)->Arg(10)->UseManualTime()->Unit(benchmark::kMicrosecond);

void BM_StopRequestCheck(benchmark::State& state) {
  Scratch scratch;
  Store store(scratch.file("bench.db"), bench_options());
  RankOptions rank;
  rank.job_id = "bench";
  rank.world_size = 2;
  auto run = store.join_run({}, rank);
  for (auto _ : state) benchmark::DoNotOptimize(run.stop_request());
}
BENCHMARK(BM_StopRequestCheck);

BENCHMARK(BM_RunLogMetric)->UseManualTime()->Unit(benchmark::kMicrosecond);

// Realistic values: a noisy decreasing float32 loss, a step per point, an epoch every 1,000
// steps.
void BM_SustainedCommit(benchmark::State& state) {
  const std::int64_t points = state.range(0);
  double bytes_per_point = 0.0;
  for (auto _ : state) {
    state.PauseTiming();
    Scratch scratch;
    const std::string path = scratch.file("bench.db");
    auto store = std::make_unique<Store>(path, bench_options());
    auto run = store->start_run();
    auto loss = run.metric("loss", {{"subset", "train"}});
    std::uint64_t noise = 88172645463325252ULL;
    state.ResumeTiming();
    for (std::int64_t i = 0; i < points; ++i) {
      noise ^= noise << 13;
      noise ^= noise >> 7;
      noise ^= noise << 17;
      // A float32 loss, as training loops log it (loss.item<float>()).
      double value =
          static_cast<float>(2.0 / (1.0 + i * 1e-4) + static_cast<double>(noise % 1000) * 1e-5);
      loss.log(value, i, i / 1000);
    }
    run.flush();
    state.PauseTiming();
    if (run.stats().points_committed != static_cast<std::uint64_t>(points)) {
      state.SkipWithError("points were lost");
    }
    state.counters["backpressure_waits"] = static_cast<double>(run.stats().backpressure_waits);
    run.finish();
    store.reset();  // last connection closed: WAL checkpointed into the file
    bytes_per_point = static_cast<double>(store_bytes(path)) / static_cast<double>(points);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * points);
  state.counters["bytes_per_point"] = bytes_per_point;
}
BENCHMARK(BM_SustainedCommit)->Arg(5'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same from several processes at once, each with its own run in one store: total points
// committed per second (no collapse when writers share a store).
void BM_SustainedCommitProcesses(benchmark::State& state) {
  const int processes = static_cast<int>(state.range(0));
  constexpr std::int64_t kPointsEach = 1'000'000;
  for (auto _ : state) {
    state.PauseTiming();
    Scratch scratch;
    const std::string path = scratch.file("bench.db");
    { Store create(path, bench_options()); }  // schema in place before the writers start
    state.ResumeTiming();
    std::vector<pid_t> children;
    for (int p = 0; p < processes; ++p) {
      pid_t pid = fork();
      if (pid == 0) {
        Store store(path, bench_options());
        auto run = store.start_run();
        auto loss = run.metric("loss");
        for (std::int64_t i = 0; i < kPointsEach; ++i) {
          loss.log(static_cast<float>(2.0 / (1.0 + i * 1e-4) + p * 1e-3), i, i / 1000);
        }
        run.finish();
        _exit(run.stats().points_committed == static_cast<std::uint64_t>(kPointsEach) ? 0 : 1);
      }
      children.push_back(pid);
    }
    bool ok = true;
    for (pid_t pid : children) {
      int status = 0;
      waitpid(pid, &status, 0);
      ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    if (!ok) state.SkipWithError("a writer process failed or lost points");
  }
  state.SetItemsProcessed(state.iterations() * processes * kPointsEach);
}
BENCHMARK(BM_SustainedCommitProcesses)
    ->Arg(1)
    ->Arg(8)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_ListRuns10k(benchmark::State& state) {
  Scratch scratch;
  const std::string path = scratch.file("bench.db");
  {
    Store store(path, bench_options());
    std::vector<Run> runs;
    runs.reserve(10000);
    for (int r = 0; r < 10000; ++r) {
      RunOptions options;
      options.name = "run-" + std::to_string(r);
      options.experiment = r % 2 ? "mnist" : "cifar";
      options.params = {{"optimizer", {{"name", "sgd"}, {"lr", 0.001 * (r % 10)}}},
                        {"batch_size", 64},
                        {"epochs", 10}};
      options.tags = {"bench", r % 3 ? "gpu" : "cpu"};
      runs.push_back(store.start_run(options));
      Run& run = runs.back();
      for (int s = 0; s < 10; ++s) {
        run.log_metric("loss", 1.0 / (s + 1), s);
        run.log_metric("accuracy", 0.1 * s, s);
        run.log_metric("loss", 1.0 / (s + 1), s, s, {{"subset", "val"}});
        run.log_metric("accuracy", 0.1 * s, s, s, {{"subset", "val"}});
        run.log_metric("lr", 0.01, s);
      }
      run.log_results({{"final_accuracy", 0.9}, {"final_loss", 0.1}});
      if (runs.size() == 500) {  // end runs in batches: one writer round each
        std::vector<std::thread> enders;
        for (int t = 0; t < 4; ++t) {
          enders.emplace_back([&runs, t] {
            for (std::size_t i = t; i < runs.size(); i += 4) runs[i].finish();
          });
        }
        for (auto& t : enders) t.join();
        runs.clear();
      }
    }
  }
  Store store(path, bench_options());
  std::size_t listed = 0;
  for (auto _ : state) {
    auto runs = store.list_runs();
    listed = runs.size();
    benchmark::DoNotOptimize(runs.data());
  }
  state.counters["runs"] = static_cast<double>(listed);
}
BENCHMARK(BM_ListRuns10k)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Downsample1M(benchmark::State& state) {
  Scratch scratch;
  const std::string path = scratch.file("bench.db");
  std::string id;
  {
    Store store(path, bench_options());
    auto run = store.start_run();
    auto loss = run.metric("loss");
    for (int i = 0; i < 1'000'000; ++i) loss.log(1.0 / (1 + i) + (i % 97) * 1e-6, i);
    run.finish();
    id = run.id();
  }
  Store store(path, bench_options());
  std::size_t returned = 0;
  for (auto _ : state) {
    auto points = store.points(id, SeriesKey{"loss", {}}, 2000);
    returned = points.size();
    benchmark::DoNotOptimize(points.data());
  }
  state.counters["points_returned"] = static_cast<double>(returned);
}
BENCHMARK(BM_Downsample1M)->Unit(benchmark::kMillisecond)->UseRealTime();

// The dashboard's zoom: 1 % of a 1,000,000-point series (10,000 steps) at full resolution up
// to 2,000 points, reading only the chunks that overlap the range.
void BM_RangeRead1M(benchmark::State& state) {
  Scratch scratch;
  const std::string path = scratch.file("bench.db");
  std::string id;
  {
    Store store(path, bench_options());
    auto run = store.start_run();
    auto loss = run.metric("loss");
    for (int i = 0; i < 1'000'000; ++i) loss.log(static_cast<float>(1.0 / (1 + i)), i);
    run.finish();
    id = run.id();
  }
  Store store(path, bench_options());
  PointsQuery query;
  query.min_step = 500'000;
  query.max_step = 509'999;
  query.max_points = state.range(0);
  std::size_t returned = 0;
  for (auto _ : state) {
    auto points = store.points(id, SeriesKey{"loss", {}}, query);
    returned = points.size();
    benchmark::DoNotOptimize(points.data());
  }
  state.counters["points_returned"] = static_cast<double>(returned);
}
BENCHMARK(BM_RangeRead1M)->Arg(2000)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
