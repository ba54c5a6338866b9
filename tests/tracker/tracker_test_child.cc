// Helper process for process_test.cc. Usage:
//   vigil_tracker_test_child write STORE NAME POINTS   log POINTS points to two series, finish
//   vigil_tracker_test_child crash STORE POINTS        log, flush, print "ready ID", wait
//   vigil_tracker_test_child term STORE POINTS         log (no flush), print "ready ID", wait
//   vigil_tracker_test_child slow STORE MS             log a point every 10 ms for MS ms (no
//       heartbeat meanwhile), flush, print "ready ID", wait
//   vigil_tracker_test_child full STORE POINTS         log and flush POINTS points, make the
//       store's files unable to grow (RLIMIT_FSIZE 0: EFBIG, as on a full disk), log more,
//       flush and finish (timed), then lift the limit and close the store
//   vigil_tracker_test_child migrate STORE PAUSE_MS     migrate chunks, print "batch N" and
//                                                       pause after each batch
// The parent kills the crash and term children (SIGKILL / SIGTERM).
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "vigil/tracker.h"

namespace {

int usage() {
  std::fprintf(stderr, "usage: vigil_tracker_test_child write|crash|term|full STORE ...\n");
  return 2;
}

[[noreturn]] void announce_and_wait(const std::string& run_id) {
  std::printf("ready %s\n", run_id.c_str());
  std::fflush(stdout);
  for (;;) pause();  // until the parent's signal
}

long long ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

// Regular files of this process cannot grow past `bytes` (writes fail with EFBIG).
void limit_file_size(rlim_t bytes) {
  signal(SIGXFSZ, SIG_IGN);
  rlimit limit{};
  getrlimit(RLIMIT_FSIZE, &limit);
  limit.rlim_cur = bytes;
  setrlimit(RLIMIT_FSIZE, &limit);
}

int fill_disk(const std::string& store_uri, long points) {
  using namespace vigil::tracker;
  constexpr long kBuffer = 1000;
  std::string id;
  {
    StoreOptions options;
    options.flush_interval = std::chrono::milliseconds(20);
    options.max_buffered_points = kBuffer;
    Store store(store_uri, options);
    auto run = store.start_run();
    id = run.id();
    auto loss = run.metric("loss");
    for (long i = 0; i < points; ++i) loss.log(static_cast<double>(i), i);
    run.flush();
    std::printf("id %s committed %llu\n", id.c_str(),
                static_cast<unsigned long long>(run.stats().points_committed));
    std::fflush(stdout);
    rlimit before{};
    getrlimit(RLIMIT_FSIZE, &before);
    limit_file_size(0);
    auto start = std::chrono::steady_clock::now();
    for (long i = points; i < points + 3 * kBuffer; ++i) loss.log(static_cast<double>(i), i);
    std::printf("logged_ms %lld\n", ms_since(start));
    start = std::chrono::steady_clock::now();
    try {
      run.flush();
      std::printf("flush_ms %lld no error\n", ms_since(start));
    } catch (const StoreFull& e) {
      std::printf("flush_ms %lld StoreFull\n", ms_since(start));
    }
    start = std::chrono::steady_clock::now();
    run.finish();
    std::printf("finish_ms %lld\n", ms_since(start));
    limit_file_size(before.rlim_cur);  // room again: the final status fits
    const WriterStats stats = run.stats();
    std::printf("stats %llu %llu %llu\n", static_cast<unsigned long long>(stats.points_logged),
                static_cast<unsigned long long>(stats.points_committed),
                static_cast<unsigned long long>(stats.points_dropped));
    std::fflush(stdout);
  }
  std::printf("closed\n");
  return 0;
}

int migrate(const std::string& store_uri, int pause_ms) {
  using namespace vigil::tracker;
  try {
    Store store(store_uri);
    int batches = 0;
    store.migrate_chunks([&](const MigrationProgress&) {
      std::printf("batch %d\n", ++batches);
      std::fflush(stdout);
      std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
    });
    std::printf("done\n");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "child: %s\n", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vigil::tracker;
  if (argc < 4) return usage();
  if (std::string(argv[1]) == "migrate") return migrate(argv[2], std::atoi(argv[3]));
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
    if (mode == "full" && argc == 4) return fill_disk(store_uri, std::atol(argv[3]));
    if (mode == "slow" && argc == 4) {
      StoreOptions options;
      options.flush_interval = std::chrono::milliseconds(50);
      options.heartbeat_interval = std::chrono::seconds(3600);
      Store store(store_uri, options);
      auto run = store.start_run();
      auto loss = run.metric("loss");
      const auto end =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(std::atol(argv[3]));
      for (long i = 0; std::chrono::steady_clock::now() < end; ++i) {
        loss.log(static_cast<double>(i), i);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      run.flush();
      announce_and_wait(run.id());
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
