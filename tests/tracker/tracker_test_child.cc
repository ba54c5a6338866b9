// Helper process for process_test.cc. Usage:
//   vigil_tracker_test_child write STORE NAME POINTS   log POINTS points to two series, finish
//   vigil_tracker_test_child crash STORE POINTS        log, flush, print "ready ID", wait
//   vigil_tracker_test_child term STORE POINTS         log (no flush), print "ready ID", wait
// The parent kills the last two (SIGKILL / SIGTERM).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "vigil/tracker.h"

namespace {

int usage() {
  std::fprintf(stderr, "usage: vigil_tracker_test_child write|crash|term STORE ...\n");
  return 2;
}

[[noreturn]] void announce_and_wait(const std::string& run_id) {
  std::printf("ready %s\n", run_id.c_str());
  std::fflush(stdout);
  for (;;) pause();  // until the parent's signal
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vigil::tracker;
  if (argc < 4) return usage();
  const std::string mode = argv[1];
  const std::string store_uri = argv[2];
  try {
    if (mode == "write" && argc == 5) {
      StoreOptions options;
      options.flush_interval = std::chrono::milliseconds(20);
      Store store(store_uri, options);
      RunOptions run_options;
      run_options.name = argv[3];
      run_options.experiment = "multiprocess";
      auto run = store.start_run(run_options);
      const long points = std::atol(argv[4]);
      auto loss = run.metric("loss");
      auto acc = run.metric("accuracy", {{"subset", "val"}});
      for (long i = 0; i < points; ++i) {
        loss.log(1.0 / static_cast<double>(i + 1), i);
        acc.log(static_cast<double>(i), i, i / 100);
        if (i % 5000 == 0) run.log_param("progress", i);
      }
      run.finish();
      const WriterStats stats = run.stats();
      if (stats.write_errors != 0) {  // a busy store must be waited for, never an error
        std::fprintf(stderr, "child: %llu write errors, last: %s\n",
                     static_cast<unsigned long long>(stats.write_errors), stats.last_error.c_str());
        return 1;
      }
      return stats.points_committed == static_cast<std::uint64_t>(2 * points) ? 0 : 1;
    }
    if ((mode == "crash" || mode == "term") && argc == 4) {
      StoreOptions options;
      // term: only the signal path may commit the points, so nothing is flushed on a timer.
      options.flush_interval = std::chrono::milliseconds(mode == "term" ? 600000 : 50);
      options.heartbeat_interval = std::chrono::seconds(mode == "term" ? 3600 : 5);
      Store store(store_uri, options);
      RunOptions run_options;
      run_options.name = mode;
      auto run = store.start_run(run_options);
      const long points = std::atol(argv[3]);
      auto loss = run.metric("loss");
      for (long i = 0; i < points; ++i) loss.log(static_cast<double>(i), i);
      if (mode == "crash") run.flush();
      announce_and_wait(run.id());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "child: %s\n", e.what());
    return 1;
  }
  return usage();
}
