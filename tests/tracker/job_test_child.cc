// One rank of a distributed job, for job_process_test.cc: what the plugin does with the
// tracker, without LibTorch. Usage:
//   vigil_job_test_child STORE JOB RANK WORLD train STEPS   log `loss` for STEPS steps (10 ms
//       each), stop when the job's stop request appears; finish
//   vigil_job_test_child STORE JOB RANK WORLD nan STEP      as train (without end), but the
//       value of step STEP is NaN: request the job's stop, end aborted
//   vigil_job_test_child STORE JOB RANK WORLD hold GO_FILE  print "ready ID", then finish once
//       the file GO_FILE exists (or the job's stop request appears)
// Rank 0 logs `loss`, the others `loss{rank=N}`. Exit codes as run_main: 0 finished,
// 4 aborted (stopped by the job's stop request or by the NaN), 1 error.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "vigil/tracker.h"

namespace {

using namespace vigil::tracker;

constexpr int kAborted = 4;

// Ends the run aborted because another rank asked the job to stop.
int stop(Run& run, const StopRequest& request, long step) {
  std::printf("stopped %ld\n", step);
  std::fflush(stdout);
  run.finish(RunStatus::kAborted, "stopped: rank " + std::to_string(request.rank) + " at step " +
                                      std::to_string(request.step) + ": " + request.message);
  return kAborted;
}

int train(Run& run, int rank, long steps, long nan_at) {
  auto loss = rank == 0 ? run.metric("loss") : run.metric("loss", {{"rank", rank}});
  for (long step = 0; step < steps; ++step) {
    if (auto request = run.stop_request()) return stop(run, *request, step);
    const double value = step == nan_at ? std::nan("") : 1.0 / static_cast<double>(step + 1);
    loss.log(value, step);
    if (std::isnan(value)) {
      StopRequest request;
      request.step = step;
      request.value = value;
      request.message = "non_finite: loss is NaN";
      run.request_stop(request);
      run.finish(RunStatus::kAborted, request.message);
      return kAborted;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  run.finish();
  return 0;
}

int hold(Run& run, const std::string& go_file) {
  std::printf("ready %s\n", run.id().c_str());
  std::fflush(stdout);
  for (long step = 0; !std::filesystem::exists(go_file); ++step) {
    if (auto request = run.stop_request()) return stop(run, *request, step);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  run.finish();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: vigil_job_test_child STORE JOB RANK WORLD train|nan|hold [N]\n");
    return 2;
  }
  try {
    const std::string store_uri = argv[1];
    const std::string mode = argv[5];
    RankOptions rank;
    rank.job_id = argv[2];
    rank.rank = std::stoi(argv[3]);
    rank.world_size = std::stoi(argv[4]);
    rank.local_rank = rank.rank;
    rank.device = "cpu";
    Store store(store_uri);
    RunOptions options;
    options.experiment = "job";
    options.name = "job " + rank.job_id;
    options.params = {{"distributed", {{"world_size", rank.world_size}}}};
    Run run = store.join_run(options, rank);
    if (mode == "train") return train(run, rank.rank, std::stol(argv[6]), -1);
    if (mode == "nan") return train(run, rank.rank, 1000000, std::stol(argv[6]));
    if (mode == "hold" && argc > 6) return hold(run, argv[6]);
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
