#include "pending_values.h"

#include <algorithm>
#include <utility>

#include "vigil/tracker/errors.h"

namespace vigil::plugin::detail {

void PendingValues::add(std::size_t series, const std::string& name, const TrainingState& state,
                        const LogValue& value, std::int64_t samples) {
  PendingValue entry;
  entry.series = series;
  entry.step = state.step;
  entry.epoch = state.epoch;
  entry.samples = samples;
  if (value.tensor().defined()) {
    if (value.tensor().numel() != 1) {
      throw tracker::InvalidArgument("value '" + name + "' is a tensor of " +
                                     std::to_string(value.tensor().numel()) +
                                     " elements; expected one element");
    }
    entry.tensor = value.tensor().detach().reshape({});
  } else {
    entry.number = value.number();
  }
  if (values_.empty() || values_.back().step != state.step) ++steps_;
  values_.push_back(std::move(entry));
}

std::vector<double> PendingValues::read() const {
  std::vector<double> numbers(values_.size());
  // Indices of the tensors of each (device, dtype) group.
  std::vector<std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < values_.size(); ++i) {
    const torch::Tensor& tensor = values_[i].tensor;
    if (!tensor.defined()) {
      numbers[i] = values_[i].number;
      continue;
    }
    auto group = std::find_if(groups.begin(), groups.end(), [&](const auto& members) {
      const torch::Tensor& first = values_[members.front()].tensor;
      return first.device() == tensor.device() && first.scalar_type() == tensor.scalar_type();
    });
    if (group == groups.end()) {
      groups.push_back({i});
    } else {
      group->push_back(i);
    }
  }
  torch::NoGradGuard no_grad;
  for (const auto& members : groups) {
    std::vector<torch::Tensor> tensors;
    tensors.reserve(members.size());
    for (std::size_t index : members) tensors.push_back(values_[index].tensor);
    const torch::Tensor host = torch::stack(tensors).to(torch::kCPU, torch::kDouble).contiguous();
    const double* data = host.data_ptr<double>();
    for (std::size_t k = 0; k < members.size(); ++k) numbers[members[k]] = data[k];
  }
  return numbers;
}

void PendingValues::clear() noexcept {
  values_.clear();
  steps_ = 0;
}

}  // namespace vigil::plugin::detail
