// vigil_ui_fixture: writes the dashboard's test runs into a store, for the browser end-to-end
// test (e2e.mjs) and the page benchmark (bench/ui_page_bench.mjs).
//
//   vigil_ui_fixture STORE [--bulk N] [--long-points N] [--mnist N] [--no-points] [--job]
//                    [--live SECONDS] [--no-demo] [--governance]
//
// --governance adds the known governance records of governance_fixture.h (runs backdated to
// fixed days, as "governance": {ids}). Prints one JSON line with the run ids ({"baseline": ...,
// "long": ..., "live": ...}), then,
// with --live, keeps a run "live-run" running and logging a point every 100 ms for SECONDS.
#include <chrono>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <thread>

#include "governance_fixture.h"
#include "ui_fixture.h"
#include "vigil/tracker.h"

namespace {

std::size_t count_arg(int argc, char** argv, int& i) {
  if (i + 1 >= argc) throw std::invalid_argument(std::string(argv[i]) + " needs a number");
  const std::string text = argv[++i];
  std::size_t used = 0;
  const auto value = std::stoull(text, &used);
  if (used != text.size()) throw std::invalid_argument(text + " is not a whole number");
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) {
      std::cerr << "usage: vigil_ui_fixture STORE [--bulk N] [--long-points N] [--mnist N] "
                   "[--no-points] [--job] [--live SECONDS] [--no-demo] [--governance]\n";
      return 2;
    }
    const std::string path = argv[1];
    std::size_t bulk = 0;
    std::size_t long_points = 0;
    std::size_t live_seconds = 0;
    std::size_t mnist = 0;
    bool no_points = false;
    bool job = false;
    bool demo = true;
    bool governance = false;
    for (int i = 2; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--bulk") {
        bulk = count_arg(argc, argv, i);
      } else if (arg == "--long-points") {
        long_points = count_arg(argc, argv, i);
      } else if (arg == "--no-points") {
        no_points = true;
      } else if (arg == "--job") {
        job = true;
      } else if (arg == "--mnist") {
        mnist = count_arg(argc, argv, i);
      } else if (arg == "--live") {
        live_seconds = count_arg(argc, argv, i);
      } else if (arg == "--no-demo") {
        demo = false;
      } else if (arg == "--governance") {
        governance = true;
      } else {
        throw std::invalid_argument("unknown argument " + arg);
      }
    }
    // Creates the store even when nothing is written into it (the empty-store page); the demo
    // forks, so it runs before any Store of this process has started its threads.
    if (!demo) {
      vigil::tracker::Store create(path);
    }
    nlohmann::json ids = nlohmann::json::object();
    if (demo) ids = vigil::testing::fill_demo_store(path).to_json();
    if (job) ids["job"] = vigil::testing::add_job_run(path);  // forks too
    if (bulk > 0) vigil::testing::add_bulk_runs(path, bulk);
    if (long_points > 0) ids["long"] = vigil::testing::add_long_series_run(path, long_points);
    if (mnist > 0) ids["mnist"] = vigil::testing::add_mnist_like_runs(path, mnist);
    if (no_points) ids.update(vigil::testing::add_runs_without_points(path));
    if (governance) ids["governance"] = vigil::testing::add_governance_runs(path, true).to_json();
    if (live_seconds == 0) {
      std::cout << ids.dump() << std::endl;
      return 0;
    }
    vigil::tracker::StoreOptions options;
    options.flush_interval = std::chrono::milliseconds(100);
    vigil::tracker::Store store(path, options);
    vigil::tracker::RunOptions run_options;
    run_options.name = "live-run";
    run_options.experiment = "mnist";
    run_options.tags = {"live"};
    auto run = store.start_run(run_options);
    auto loss = run.metric("loss");
    loss.log(2.0, 0);
    run.flush();
    ids["live"] = run.id();
    std::cout << ids.dump() << std::endl;
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(live_seconds);
    for (int step = 1; std::chrono::steady_clock::now() < end; ++step) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      loss.log(2.0 / (1.0 + 0.05 * step), step);
    }
    run.finish();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "vigil_ui_fixture: " << e.what() << '\n';
    return 1;
  }
}
