#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <vigil/error.h>

namespace vigil::examples {

/// Exit codes of vigil-mnist: those of vigil::plugin::run_main, which run_training uses.
enum ExitCode : int {
  kExitTrained = 0,                    ///< trained to the end (whatever the verdict)
  kExitError = vigil::kExitFailure,    ///< bad data, bad rules file, any other error
  kExitRefused = vigil::kExitRefused,  ///< refused by a guard before the first step
  kExitAborted = vigil::kExitAborted,  ///< aborted by a guard during training
};

/// Everything vigil-mnist can be told on its command line.
struct TrainConfig {
  std::optional<double> lr;                  ///< learning rate; default 1e-3 (adam) or 0.05 (sgd)
  std::int64_t epochs = 10;                  ///< passes over the training set; >= 1
  std::int64_t batch_size = 64;              ///< samples per step; >= 1
  std::string optimizer = "adam";            ///< "adam" or "sgd" (momentum 0.9)
  std::string model = "cnn";                 ///< "cnn" or "mlp"
  std::string name;                          ///< run name; default "<model>-<optimizer>-lr<lr>"
  std::string experiment = "fashion-mnist";  ///< experiment of the run
  std::string rules_file;                    ///< rules file; empty = the shipped default policy
  std::string store;  ///< store URI; empty = $VIGIL_STORE or ./.vigil/vigil.db
  std::string data_dir = "/usr/share/datasets/fashion-mnist";  ///< IDX files
  std::uint64_t seed = 42;                                     ///< torch::manual_seed and shuffling
  std::int64_t limit = 0;       ///< use the first N training samples; 0 = all
  std::int64_t threads = 0;     ///< at::set_num_threads; 0 = LibTorch's default
  std::string device = "auto";  ///< "auto" (CUDA when available), "cpu" or "cuda"
  bool track = true;            ///< false: same loop with vigil off (--no-track)
  /// Data-parallel over c10d Gloo, one process per rank (RANK, WORLD_SIZE, MASTER_ADDR,
  /// MASTER_PORT from the environment; scripts/ddp_demo.sh). All ranks record one run.
  bool ddp = false;
  bool log_all_ranks = false;    ///< every rank logs its step values (ddp)
  double system_metrics = 10.0;  ///< seconds between system metric samples; 0 = off
  std::int64_t nan_rank = -1;    ///< testing aid: this rank's loss turns NaN...
  std::int64_t nan_step = -1;    ///< ...at this global step (-1: never)
};

/// Loads the data, trains and evaluates every epoch, with vigil tracking and guards unless
/// config.track is false. Prints progress and a summary on stdout, errors on stderr. Returns
/// an ExitCode. Never throws.
int run_training(const TrainConfig& config);

}  // namespace vigil::examples
