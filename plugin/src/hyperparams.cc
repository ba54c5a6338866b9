#include "vigil/plugin/hyperparams.h"

#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>
#include <string>

#include <c10/util/Type.h>
#include <torch/version.h>

namespace vigil::plugin {
namespace {

using nlohmann::json;
namespace optim = torch::optim;

json betas(const std::tuple<double, double>& value) {
  return json::array({std::get<0>(value), std::get<1>(value)});
}

// Class name without namespaces and without the "Impl" suffix of torch::nn module holders.
std::string short_type_name(std::string name) {
  if (auto template_start = name.find('<'); template_start != std::string::npos) {
    name.resize(template_start);
  }
  if (auto colon = name.rfind("::"); colon != std::string::npos) name.erase(0, colon + 2);
  constexpr std::string_view kImpl = "Impl";
  if (name.size() > kImpl.size() &&
      name.compare(name.size() - kImpl.size(), kImpl.size(), kImpl.data()) == 0) {
    name.resize(name.size() - kImpl.size());
  }
  return name;
}

}  // namespace

json optimizer_params(const optim::Optimizer& optimizer) {
  json out = json::object();
  const auto& groups = optimizer.param_groups();
  out["param_groups"] = groups.size();
  if (groups.empty()) {
    out["name"] = short_type_name(c10::demangle(typeid(optimizer).name()));
    return out;
  }
  const optim::OptimizerOptions& options = groups.front().options();
  if (const auto* sgd = dynamic_cast<const optim::SGDOptions*>(&options)) {
    out.update({{"name", "sgd"},
                {"lr", sgd->lr()},
                {"momentum", sgd->momentum()},
                {"dampening", sgd->dampening()},
                {"nesterov", sgd->nesterov()},
                {"weight_decay", sgd->weight_decay()}});
  } else if (const auto* adamw = dynamic_cast<const optim::AdamWOptions*>(&options)) {
    out.update({{"name", "adamw"},
                {"lr", adamw->lr()},
                {"betas", betas(adamw->betas())},
                {"eps", adamw->eps()},
                {"weight_decay", adamw->weight_decay()},
                {"amsgrad", adamw->amsgrad()}});
  } else if (const auto* adam = dynamic_cast<const optim::AdamOptions*>(&options)) {
    out.update({{"name", "adam"},
                {"lr", adam->lr()},
                {"betas", betas(adam->betas())},
                {"eps", adam->eps()},
                {"weight_decay", adam->weight_decay()},
                {"amsgrad", adam->amsgrad()}});
  } else if (const auto* rms = dynamic_cast<const optim::RMSpropOptions*>(&options)) {
    out.update({{"name", "rmsprop"},
                {"lr", rms->lr()},
                {"alpha", rms->alpha()},
                {"eps", rms->eps()},
                {"weight_decay", rms->weight_decay()},
                {"momentum", rms->momentum()},
                {"centered", rms->centered()}});
  } else if (const auto* adagrad = dynamic_cast<const optim::AdagradOptions*>(&options)) {
    out.update({{"name", "adagrad"},
                {"lr", adagrad->lr()},
                {"lr_decay", adagrad->lr_decay()},
                {"weight_decay", adagrad->weight_decay()},
                {"initial_accumulator_value", adagrad->initial_accumulator_value()},
                {"eps", adagrad->eps()}});
  } else if (const auto* lbfgs = dynamic_cast<const optim::LBFGSOptions*>(&options)) {
    out.update({{"name", "lbfgs"},
                {"lr", lbfgs->lr()},
                {"max_iter", lbfgs->max_iter()},
                {"tolerance_grad", lbfgs->tolerance_grad()},
                {"tolerance_change", lbfgs->tolerance_change()},
                {"history_size", lbfgs->history_size()}});
    if (lbfgs->max_eval()) out["max_eval"] = *lbfgs->max_eval();
    if (lbfgs->line_search_fn()) out["line_search_fn"] = *lbfgs->line_search_fn();
  } else {
    out["name"] = short_type_name(c10::demangle(typeid(optimizer).name()));
    if (double lr = current_lr(optimizer); !std::isnan(lr)) out["lr"] = lr;
  }
  return out;
}

double current_lr(const optim::Optimizer& optimizer) {
  const auto& groups = optimizer.param_groups();
  if (groups.empty() || !groups.front().has_options()) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  try {
    return groups.front().options().get_lr();
  } catch (const std::exception&) {
    // OptimizerOptions::get_lr throws for user-defined options that do not override it.
    return std::numeric_limits<double>::quiet_NaN();
  }
}

json model_params(const torch::nn::Module& model, const std::string& name, bool with_structure) {
  std::int64_t total = 0;
  std::int64_t trainable = 0;
  for (const auto& parameter : model.parameters()) {
    total += parameter.numel();
    if (parameter.requires_grad()) trainable += parameter.numel();
  }
  json children = json::array();
  for (const auto& child : model.named_children()) {
    std::ostringstream line;
    child.value()->pretty_print(line);
    children.push_back({{"name", child.key()}, {"module", line.str()}});
  }
  json out = {{"name", name.empty() ? short_type_name(model.name()) : name},
              {"parameters", total},
              {"trainable_parameters", trainable},
              {"children", std::move(children)}};
  if (with_structure) {
    std::ostringstream structure;
    structure << model;
    out["structure"] = structure.str();
  }
  return out;
}

std::string model_device(const torch::nn::Module& model) {
  const auto parameters = model.parameters();
  if (parameters.empty()) return "cpu";
  return parameters.front().device().str();
}

std::string libtorch_version() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

std::string host_name() {
  std::array<char, 256> buffer{};
  if (gethostname(buffer.data(), buffer.size() - 1) != 0) return {};
  return buffer.data();
}

std::string git_commit() noexcept {
  try {
    std::FILE* pipe = popen("git rev-parse HEAD 2>/dev/null", "r");
    if (pipe == nullptr) return {};
    std::string output;
    std::array<char, 128> buffer{};
    while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) output += buffer.data();
    if (pclose(pipe) != 0) return {};
    while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
    if (output.size() != 40) return {};
    return output;
  } catch (...) {
    return {};
  }
}

}  // namespace vigil::plugin
