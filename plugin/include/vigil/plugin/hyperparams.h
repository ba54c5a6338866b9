#pragma once

#include <string>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

namespace vigil::plugin {

/// The optimizer's type and the options of its first param group, e.g.
/// {"name": "sgd", "lr": 0.01, "momentum": 0.9, "dampening": 0, "nesterov": false,
///  "weight_decay": 0, "param_groups": 1}. Known types: SGD, Adam, AdamW, RMSprop, Adagrad,
/// LBFGS; any other optimizer gives its C++ type name and `lr` when its options expose it.
/// Thread safety: reads the optimizer; do not call while another thread modifies it.
nlohmann::json optimizer_params(const torch::optim::Optimizer& optimizer);

/// Current learning rate of the optimizer's first param group; NaN when it has none or its
/// options do not expose one.
double current_lr(const torch::optim::Optimizer& optimizer);

/// {"name", "parameters", "trainable_parameters", "children", "structure"} of a module.
/// `name` empty = the module's class name without namespace and "Impl" suffix.
nlohmann::json model_params(const torch::nn::Module& model, const std::string& name,
                            bool with_structure);

/// Device of the module's first parameter as text ("cpu", "cuda:0"); "cpu" when it has none.
std::string model_device(const torch::nn::Module& model);

/// "MAJOR.MINOR.PATCH" of the LibTorch headers this library was compiled with.
std::string libtorch_version();

/// Host name of this machine (empty if unavailable).
std::string host_name();

/// `git rev-parse HEAD` in the current directory; empty when not inside a git work tree or git
/// is missing. Never throws.
std::string git_commit() noexcept;

}  // namespace vigil::plugin
