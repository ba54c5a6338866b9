#include "ddp.h"

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

namespace vigil::examples {
namespace {

std::string require_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(std::string("--ddp: environment variable ") + name +
                             " is not set; expected RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT "
                             "(scripts/ddp_demo.sh sets them)");
  }
  return value;
}

int env_number(const char* name, int min, int max) {
  const std::string text = require_env(name);
  char* end = nullptr;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (*end != '\0' || value < min || value > max) {
    throw std::runtime_error(std::string("--ddp: ") + name + "='" + text +
                             "': expected an integer from " + std::to_string(min) + " to " +
                             std::to_string(max));
  }
  return static_cast<int>(value);
}

class GlooDataParallel final : public DataParallel {
 public:
  GlooDataParallel(int rank, int world_size, const std::string& address, int port)
      : rank_(rank), world_size_(world_size) {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<std::uint16_t>(port);
    store_options.isServer = rank == 0;
    store_options.numWorkers = static_cast<std::size_t>(world_size);
    auto store = c10::make_intrusive<c10d::TCPStore>(address, store_options);
    // A collective whose peer hangs fails after this long instead of c10d's 30 minutes (a
    // peer that exits fails it at once: its connection closes).
    auto options = c10d::ProcessGroupGloo::Options::create(std::chrono::seconds(120));
    const bool loopback = address == "127.0.0.1" || address == "localhost";
    options->devices.push_back(loopback
                                   ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                   : c10d::ProcessGroupGloo::createDefaultDevice());
    group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world_size, options);
  }

  int rank() const override { return rank_; }
  int world_size() const override { return world_size_; }
  std::string backend() const override { return "gloo"; }

  void average_gradients(torch::nn::Module& module) override {
    std::vector<torch::Tensor> grads;
    std::vector<torch::Tensor> params;
    for (auto& param : module.parameters()) {
      if (!param.grad().defined()) continue;
      grads.push_back(param.grad().reshape({-1}));
      params.push_back(param);
    }
    std::vector<torch::Tensor> flat{torch::cat(grads)};
    group_->allreduce(flat)->wait();
    flat[0].div_(world_size_);
    std::int64_t offset = 0;
    for (auto& param : params) {
      const std::int64_t n = param.grad().numel();
      param.grad().copy_(flat[0].slice(0, offset, offset + n).view_as(param.grad()));
      offset += n;
    }
  }

  void broadcast_parameters(torch::nn::Module& module) override {
    torch::NoGradGuard no_grad;
    for (auto& param : module.parameters()) {
      std::vector<torch::Tensor> tensors{param.data()};
      group_->broadcast(tensors)->wait();
    }
  }

 private:
  int rank_;
  int world_size_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
};

}  // namespace

std::unique_ptr<DataParallel> DataParallel::from_environment() {
  const int world_size = env_number("WORLD_SIZE", 1, 4096);
  const int rank = env_number("RANK", 0, world_size - 1);
  const std::string address = require_env("MASTER_ADDR");
  const int port = env_number("MASTER_PORT", 1, 65535);
  return std::make_unique<GlooDataParallel>(rank, world_size, address, port);
}

}  // namespace vigil::examples
