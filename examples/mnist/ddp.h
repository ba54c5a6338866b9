#pragma once

#include <memory>
#include <string>

#include <torch/torch.h>

namespace vigil::examples {

/// Data-parallel training over c10d's Gloo process group (CPU): this process's rank, the
/// world size, and the gradient all-reduce. Rendezvous the torchrun way: RANK, WORLD_SIZE,
/// MASTER_ADDR and MASTER_PORT from the environment (scripts/ddp_demo.sh sets them); rank 0
/// hosts the TCPStore. Only this class sees c10d: vigil itself does not need it.
///
/// Thread safety: not thread-safe; use from the training thread.
class DataParallel {
 public:
  /// Joins the process group described by the environment (waits for every rank). Throws
  /// std::runtime_error naming a missing or malformed variable, or the connection error.
  static std::unique_ptr<DataParallel> from_environment();
  virtual ~DataParallel() = default;

  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  /// "gloo".
  virtual std::string backend() const = 0;
  /// Replaces each parameter's gradient by its mean over the ranks (one all-reduce of all
  /// gradients, flattened). Throws when a peer has left (the collective fails).
  virtual void average_gradients(torch::nn::Module& module) = 0;
  /// Copies rank 0's parameters to every rank (identical start).
  virtual void broadcast_parameters(torch::nn::Module& module) = 0;
};

}  // namespace vigil::examples
