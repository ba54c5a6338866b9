#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include <nlohmann/json.hpp>

#include "vigil/tracker/run.h"

namespace vigil::tracker {

/// Settings of a SystemMetricsSampler.
struct SystemMetricsOptions {
  /// Time between two samples. Default 10 s (as Aim and MLflow); must be > 0.
  std::chrono::milliseconds interval{10000};
  /// Context of every series, e.g. {"rank": 1}; the GPU series add "gpu". Default {}.
  nlohmann::json context = nlohmann::json::object();
  /// Sample NVIDIA GPUs through NVML when its library (libnvidia-ml.so.1) loads. Default true.
  bool gpu = true;
};

/// Records this process's resource use into a run from a background thread, one point per
/// series every `interval` (steps 0, 1, 2, ...; the first sample at start):
///   sys.cpu_percent       CPU time of the process over the last interval, in percent of one
///                         core (200 = two cores busy), from /proc/self/stat;
///   sys.rss_bytes         resident memory, from /proc/self/statm;
///   sys.gpu_util_percent  per visible NVIDIA GPU (context gpu=N): utilisation, from NVML;
///   sys.gpu_memory_bytes  per GPU: memory in use on the device, from NVML.
/// NVML is loaded at run time with dlopen (no CUDA build dependency); without a driver the
/// GPU series are simply absent. The training thread does nothing: its cost there is zero.
///
/// Thread safety: the constructor starts the thread, the destructor stops it (at once, even
/// mid-interval); sample_now() may be called from any thread.
class SystemMetricsSampler {
 public:
  /// Starts sampling into `run` (which must outlive the sampler). Throws InvalidArgument for
  /// interval <= 0 or a context that is not an object.
  SystemMetricsSampler(Run& run, SystemMetricsOptions options);
  ~SystemMetricsSampler() noexcept;
  SystemMetricsSampler(const SystemMetricsSampler&) = delete;
  SystemMetricsSampler& operator=(const SystemMetricsSampler&) = delete;

  /// Takes one sample now, on the calling thread (tests; a final sample at the end).
  void sample_now();
  /// Number of NVIDIA GPUs NVML reported (0 without a driver or with gpu = false).
  int gpu_count() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::tracker
