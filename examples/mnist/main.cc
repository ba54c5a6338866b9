// vigil-mnist: trains a classifier on MNIST-format data (Fashion-MNIST by default) with a plain
// LibTorch loop, tracked and governed by vigil.
#include <malloc.h>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "trainer.h"

int main(int argc, char** argv) {
  vigil::examples::TrainConfig config;
  CLI::App app{
      "Train a classifier on MNIST-format IDX data with a plain LibTorch loop, tracked and\n"
      "governed by vigil. Exit codes: 0 trained (whatever the verdict), 3 refused by a rule\n"
      "before training, 4 aborted by a rule during training, 1 other errors.",
      "vigil-mnist"};
  double lr = 0.0;
  auto* lr_option =
      app.add_option("--lr", lr, "Learning rate (default: 0.001 with adam, 0.05 with sgd)")
          ->check(CLI::PositiveNumber);
  app.add_option("--epochs", config.epochs, "Passes over the training set")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{100000}))
      ->capture_default_str();
  app.add_option("--batch-size", config.batch_size, "Samples per optimizer step")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 20))
      ->capture_default_str();
  app.add_option("--optimizer", config.optimizer, "adam, or sgd (momentum 0.9)")
      ->check(CLI::IsMember({"adam", "sgd"}))
      ->capture_default_str();
  app.add_option("--model", config.model,
                 "cnn (conv 16 and 32 with pooling, fc 128) or mlp (fc 256-128)")
      ->check(CLI::IsMember({"cnn", "mlp"}))
      ->capture_default_str();
  app.add_option("--name", config.name,
                 "Run name (default: MODEL-OPTIMIZER-lrLR, e.g. cnn-adam-lr0.001)");
  app.add_option("--experiment", config.experiment, "Experiment the run belongs to")
      ->capture_default_str();
  app.add_option("--rules", config.rules_file,
                 "Rules file the run must satisfy (default: vigil's shipped default policy)")
      ->check(CLI::ExistingFile);
  app.add_option("--store", config.store,
                 "Experiment store (default: $VIGIL_STORE, else ./.vigil/vigil.db)");
  app.add_option("--data-dir", config.data_dir,
                 "Directory with train-images-idx3-ubyte, train-labels-idx1-ubyte,\n"
                 "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each plain or .gz)")
      ->capture_default_str();
  app.add_option("--seed", config.seed, "Random seed (initialisation and shuffling)")
      ->capture_default_str();
  app.add_option("--limit", config.limit, "Train on the first N training samples only (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--threads", config.threads,
                 "CPU threads for LibTorch (0: LibTorch's default, one per core)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--device", config.device,
                 "auto (CUDA when available), cpu, or cuda (an error when CUDA is not available)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  app.add_flag("--ddp", config.ddp,
               "Data-parallel over c10d Gloo on CPU, one process per rank: RANK, WORLD_SIZE,\n"
               "MASTER_ADDR, MASTER_PORT and VIGIL_RUN_ID from the environment\n"
               "(scripts/ddp_demo.sh --ranks N launches it); every rank records into one run");
  app.add_flag("--log-all-ranks", config.log_all_ranks,
               "With --ddp: every rank logs its step values (context rank=N), not rank 0 only");
  app.add_option("--system-metrics", config.system_metrics,
                 "Seconds between samples of CPU, memory and GPU use (0: off)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  std::string inject_nan;
  app.add_option("--inject-nan", inject_nan,
                 "Testing aid, RANK:STEP: that rank's loss turns NaN at that step (shows the\n"
                 "guard stopping every rank)");
  bool no_track = false;
  app.add_flag("--no-track", no_track,
               "Run the same loop with vigil off: no store, no rules (for comparisons)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help prints and exits 0; usage errors exit 1 like every other error of this program.
    const int code = app.exit(e);
    return code == 0 ? 0 : vigil::examples::kExitError;
  }
  // LibTorch's CPU allocator frees its large per-step buffers, and glibc returns them to the
  // kernel (munmap / heap trim) only to fault them in again the next step: a quarter of the CPU
  // time went to page faults. Keep freed memory in the process instead.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  // Progress and vigil's log lines (stderr) interleave in order also when piped.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (*lr_option) config.lr = lr;
  if (!inject_nan.empty()) {
    long long rank = -1;
    long long step = -1;
    char rest = 0;
    if (std::sscanf(inject_nan.c_str(), "%lld:%lld%c", &rank, &step, &rest) != 2 || rank < 0 ||
        step < 0) {
      std::fprintf(stderr, "vigil-mnist: error: --inject-nan '%s': expected RANK:STEP, e.g. 1:5\n",
                   inject_nan.c_str());
      return vigil::examples::kExitError;
    }
    config.nan_rank = rank;
    config.nan_step = step;
  }
  config.track = !no_track;
  return vigil::examples::run_training(config);
}
