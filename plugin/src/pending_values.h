#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "vigil/plugin/callback.h"

namespace vigil::plugin::detail {

/// A value of a step not read back yet.
struct PendingValue {
  std::size_t series = 0;  ///< the caller's index of the value's series
  std::int64_t step = 0;
  std::int64_t epoch = 0;
  torch::Tensor tensor;      ///< 0-dim, detached; undefined when the value is `number`
  double number = 0.0;       ///< the value when it was given as a number
  std::int64_t samples = 0;  ///< batch size (0 when unknown); accuracy values hold counts
};

/// The values a training loop logged that were not read back yet. A tensor stays on its device
/// until read(), which copies all of them to the host with one copy per (device, dtype) group:
/// logging a value does not wait for the device. Not thread-safe: one training loop uses it.
class PendingValues {
 public:
  /// Holds `value` of series `series` at the step and epoch of `state`; `samples` as in
  /// PendingValue. Throws tracker::InvalidArgument naming `name` (the series) when the value is
  /// a tensor of more than one element.
  void add(std::size_t series, const std::string& name, const TrainingState& state,
           const LogValue& value, std::int64_t samples);

  /// The values held, in the order they were added.
  const std::vector<PendingValue>& values() const noexcept { return values_; }
  bool empty() const noexcept { return values_.empty(); }
  /// Distinct steps among the values held.
  std::int64_t steps() const noexcept { return steps_; }

  /// The number of each value held, in the order of values(): tensors read back as doubles.
  /// Throws what LibTorch throws when a device cannot be read.
  std::vector<double> read() const;

  /// Drops every value held.
  void clear() noexcept;

 private:
  std::vector<PendingValue> values_;
  std::int64_t steps_ = 0;
};

}  // namespace vigil::plugin::detail
