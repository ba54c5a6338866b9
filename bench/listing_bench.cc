// Listings at scale (issue 14): generates a large store quickly and times the listings the
// dashboard and the CLI make on it.
//
//   build/bench/vigil_bench_listing generate URI N   # N runs through Backend::import_run
//   build/bench/vigil_bench_listing measure URI [VIGIL_BINARY]
//
// generate writes N runs (about 2 ms each on SQLite): 20 experiments, 3 tags, 5 params,
// 3 series (loss: 10 points, accuracy{subset=val}: 3, lr: 1) and, for 7 runs in 10, one
// validation (PASS for 2 in 3). measure prints, for each listing, the first (cold) time and
// the median of 5 more, in milliseconds; with VIGIL_BINARY it also times `vigil runs ls
// --limit 50` end to end (process start to exit).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "api.h"
#include "backend.h"
#include "chunk_codec.h"
#include "vigil/tracker.h"
#include "writer.h"

namespace {

using vigil::tracker::detail::Backend;
using vigil::tracker::detail::ChunkRow;
using vigil::tracker::detail::RunExport;
using vigil::tracker::detail::SeriesExport;

std::uint64_t mix(std::uint64_t x) {  // splitmix64: ids spread over the key space
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

SeriesExport make_series(const std::string& name, const nlohmann::json& context,
                         const std::vector<double>& values, double t0) {
  SeriesExport series;
  series.summary.key.name = name;
  series.summary.key.context = context;
  vigil::tracker::detail::ChunkBuilder chunk;
  for (std::size_t step = 0; step < values.size(); ++step) {
    chunk.append(static_cast<std::int64_t>(step), vigil::tracker::detail::kNoEpoch, values[step],
                 static_cast<std::int64_t>((t0 + static_cast<double>(step)) * 1000));
  }
  ChunkRow row = vigil::tracker::detail::make_chunk_row(chunk, 0);
  auto& s = series.summary;
  s.count = static_cast<std::int64_t>(values.size());
  s.last = values.back();
  s.min = row.min;
  s.max = row.max;
  s.last_step = row.last_step;
  s.last_time = t0 + static_cast<double>(values.size() - 1);
  series.chunks.push_back(std::move(row));
  return series;
}

RunExport make_run(std::size_t i) {
  RunExport out;
  auto& run = out.run;
  char id[33];
  std::snprintf(id, sizeof(id), "%016llx%016llx", static_cast<unsigned long long>(mix(i)),
                static_cast<unsigned long long>(mix(i + (1ULL << 40))));
  char name[32];
  std::snprintf(name, sizeof(name), "run-%06zu", i);
  run.id = id;
  run.name = name;
  run.experiment = "exp-" + std::to_string(i % 20);
  run.status =
      i % 10 == 9 ? vigil::tracker::RunStatus::kFailed : vigil::tracker::RunStatus::kFinished;
  run.created_at = 1.7e9 + static_cast<double>(i) * 60;
  run.started_at = run.created_at;
  run.finished_at = run.created_at + 50;
  run.heartbeat_at = *run.finished_at;
  run.host = "bench";
  run.pid = 1;
  run.command = "train";
  const char* optimizers[] = {"sgd", "adam", "adamw"};
  run.params = {{"optimizer", {{"name", optimizers[i % 3]}, {"lr", std::pow(10.0, -1.0 - i % 4)}}},
                {"batch_size", 32 << (i % 3)},
                {"seed", i},
                {"model", {{"layers", 2 + i % 5}}}};
  run.tags = {"bench", i % 2 ? "odd" : "even", "group-" + std::to_string(i % 50)};
  std::vector<double> loss;
  for (int step = 0; step < 10; ++step) {
    loss.push_back(1.0 / (1.0 + step) + 0.0001 * static_cast<double>(i % 1000));
  }
  const double t0 = run.created_at;
  out.series.push_back(make_series("loss", nlohmann::json::object(), loss, t0));
  const double acc = 0.5 + 0.4 * static_cast<double>(mix(i) % 1000) / 1000.0;
  out.series.push_back(
      make_series("accuracy", {{"subset", "val"}}, {acc - 0.2, acc - 0.1, acc}, t0));
  out.series.push_back(make_series("lr", nlohmann::json::object(), {1e-3}, t0));
  if (i % 10 < 7) {
    vigil::tracker::ValidationRecord record;
    record.rules_name = "default";
    record.rules_hash = "bench";
    record.phase = "post";
    record.verdict = i % 3 == 0 ? "FAIL" : "PASS";
    record.score = 50.0 + static_cast<double>(i % 50);
    record.created_at = *run.finished_at;
    out.validations.push_back(std::move(record));
  }
  return out;
}

vigil::tracker::StoreOptions quiet(bool read_only) {
  vigil::tracker::StoreOptions options;
  options.read_only = read_only;
  options.handle_signals = false;
  return options;
}

int generate(const std::string& uri, std::size_t count) {
  vigil::tracker::Store store(uri, quiet(false));
  Backend& backend = vigil::tracker::detail::store_backend(store);
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < count; ++i) {
    (void)backend.import_run(make_run(i), false);
    if ((i + 1) % 10'000 == 0) std::cerr << (i + 1) << " runs\n";
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  std::cout << "generated " << count << " runs in " << took.count() << " s\n";
  return 0;
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// CPU time of this process (the listing's own work, whatever else the machine runs).
double cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

// Prints the first call's time and the median of 5 more, wall clock and this process's CPU.
void report(const std::string& what, const std::function<void()>& call) {
  auto start = std::chrono::steady_clock::now();
  call();
  const double first = ms_since(start);
  std::vector<double> times;
  std::vector<double> cpu;
  for (int i = 0; i < 5; ++i) {
    start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_ms();
    call();
    times.push_back(ms_since(start));
    cpu.push_back(cpu_ms() - cpu_start);
  }
  std::sort(times.begin(), times.end());
  std::sort(cpu.begin(), cpu.end());
  std::printf("%-62s first %8.1f ms   median %8.1f ms (cpu %6.1f ms)\n", what.c_str(), first,
              times[2], cpu[2]);
  std::fflush(stdout);
}

void measure_api(const std::string& uri) {
  using Params = vigil::ui::QueryParams;
  report("Api: open the store + first page (dashboard's request)", [&] {
    vigil::ui::Api api(uri);
    (void)api.list_runs({{"sort", "created_at"},
                         {"order", "desc"},
                         {"limit", "50"},
                         {"offset", "0"},
                         {"facets", "1"}});
  });
  vigil::ui::Api api(uri);
  const std::vector<std::pair<std::string, Params>> pages = {
      {"first page, newest first, facets", {{"sort", "created_at"}, {"order", "desc"}}},
      {"page 1,000 (offset 49,950), newest first", {{"offset", "49950"}}},
      {"tag=group-7 (2 %)", {{"tag", "group-7"}}},
      {"status=failed", {{"status", "failed"}}},
      {"verdict=PASS, sort=score desc",
       {{"verdict", "PASS"}, {"sort", "score"}, {"order", "desc"}}},
      {"experiment=exp-3, name=run-01", {{"experiment", "exp-3"}, {"name", "run-01"}}},
      {"sort=name asc, offset 50,000", {{"sort", "name"}, {"offset", "50000"}}},
      {"param=optimizer.lr < 0.005", {{"param", "optimizer.lr < 0.005"}}},
      {"metric=loss < 0.2", {{"metric", "loss < 0.2"}}},
      {"sort=metric:accuracy{subset=val} desc",
       {{"sort", "metric:accuracy{subset=val}"}, {"order", "desc"}}},
      {"sort=param:optimizer.lr asc", {{"sort", "param:optimizer.lr"}, {"order", "asc"}}},
      {"sort=param:optimizer.name desc", {{"sort", "param:optimizer.name"}, {"order", "desc"}}},
      {"sort=score asc, offset 20,000", {{"sort", "score"}, {"order", "asc"}, {"offset", "20000"}}},
  };
  for (const auto& [what, params] : pages) {
    Params request = params;
    request.emplace("limit", "50");
    request.emplace("facets", "1");
    report("Api: " + what, [&] { (void)api.list_runs(request); });
  }
}

int measure(const std::string& uri, const char* vigil_binary) {
  {
    vigil::tracker::Store store(uri, quiet(true));
    report("Store::count_runs (all)", [&] { (void)store.count_runs({}); });
    vigil::tracker::RunFilter page;
    page.limit = 50;
    report("Store::list_runs, newest 50", [&] { (void)store.list_runs(page); });
  }
  measure_api(uri);
  if (vigil_binary != nullptr) {
    const std::string command =
        std::string(vigil_binary) + " --store '" + uri + "' runs ls --limit 50 > /dev/null";
    report("vigil runs ls --limit 50 (process, end to end)", [&] {
      if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
    });
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "generate" && argc == 4) return generate(argv[2], std::stoul(argv[3]));
    if (mode == "measure" && (argc == 3 || argc == 4)) {
      return measure(argv[2], argc == 4 ? argv[3] : nullptr);
    }
    std::cerr << "usage: vigil_bench_listing generate URI N | measure URI [VIGIL_BINARY]\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "vigil_bench_listing: " << e.what() << '\n';
    return 1;
  }
}
