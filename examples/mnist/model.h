#pragma once

#include <cstdint>

#include <torch/torch.h>

namespace vigil::examples {

/// Two hidden layers (256, 128) with ReLU; input [N, 1, rows, cols], output [N, 10] logits.
struct MlpImpl : torch::nn::Module {
  MlpImpl(std::int64_t rows, std::int64_t cols)
      : fc1(register_module("fc1", torch::nn::Linear(rows * cols, 256))),
        fc2(register_module("fc2", torch::nn::Linear(256, 128))),
        fc3(register_module("fc3", torch::nn::Linear(128, 10))) {}

  torch::Tensor forward(torch::Tensor x) {
    x = x.flatten(1);
    x = torch::relu(fc1->forward(x));
    x = torch::relu(fc2->forward(x));
    return fc3->forward(x);
  }

  torch::nn::Linear fc1, fc2, fc3;
};
TORCH_MODULE(Mlp);

/// Two 3x3 convolutions (16, 32 channels) each followed by ReLU and 2x2 max pooling, dropout,
/// a 128-unit hidden layer and 10 logits. Input [N, 1, rows, cols] with rows, cols >= 4.
struct CnnImpl : torch::nn::Module {
  CnnImpl(std::int64_t rows, std::int64_t cols)
      : conv1(register_module("conv1",
                              torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 16, 3).padding(1)))),
        conv2(register_module("conv2",
                              torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 32, 3).padding(1)))),
        dropout(register_module("dropout", torch::nn::Dropout(0.25))),
        fc1(register_module("fc1", torch::nn::Linear(32 * (rows / 4) * (cols / 4), 128))),
        fc2(register_module("fc2", torch::nn::Linear(128, 10))) {}

  torch::Tensor forward(torch::Tensor x) {
    x = torch::max_pool2d(torch::relu(conv1->forward(x)), 2);
    x = torch::max_pool2d(torch::relu(conv2->forward(x)), 2);
    x = dropout->forward(x.flatten(1));
    x = dropout->forward(torch::relu(fc1->forward(x)));
    return fc2->forward(x);
  }

  torch::nn::Conv2d conv1, conv2;
  torch::nn::Dropout dropout;
  torch::nn::Linear fc1, fc2;
};
TORCH_MODULE(Cnn);

}  // namespace vigil::examples
