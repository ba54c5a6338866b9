#pragma once

// Shared setup of the plugin tests: a tiny synthetic classification problem, a tiny model, a
// plain training loop written the way the README tells users to write theirs, and a store in
// a fresh temporary directory.

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <vigil/plugin.h>
#include <vigil/tracker.h>

#include "temp_dir.h"

namespace vigil::plugin::testing {

/// 3 classes of 4-feature points, linearly separable; 4 batches of 16.
struct TinyProblem {
  torch::Tensor x;
  torch::Tensor y;
  static constexpr std::int64_t kBatch = 16;
  static constexpr std::int64_t kBatches = 4;

  TinyProblem() {
    torch::manual_seed(0);
    y = torch::randint(0, 3, {kBatch * kBatches}, torch::kLong);
    x = torch::randn({kBatch * kBatches, 4}) * 0.3 +
        torch::nn::functional::one_hot(y, 4).to(torch::kFloat) * 2.0;
  }
};

/// What the test loop should do besides training.
struct LoopOptions {
  std::int64_t epochs = 3;
  /// Multiplies the loss of a given global step (NaN to inject a non-finite loss).
  std::optional<std::pair<std::int64_t, double>> scale_loss_at;
  /// Throws std::runtime_error("data loader exploded") at this global step.
  std::optional<std::int64_t> throw_at;
  /// Validation metrics of an epoch; default: real accuracy and loss on the training data.
  std::function<MetricMap(std::int64_t epoch)> validation;
  /// Call on_epoch_begin (optional in user loops).
  bool call_epoch_begin = true;
  /// Called after each epoch (e.g. scheduler.step()).
  std::function<void()> after_epoch;
};

/// Options of a loop of `epochs` epochs.
inline LoopOptions epochs(std::int64_t count) {
  LoopOptions options;
  options.epochs = count;
  return options;
}

/// What the loop did.
struct LoopResult {
  std::int64_t optimizer_steps = 0;
  std::int64_t epochs = 0;
  std::vector<double> losses;  ///< loss of each reported step, as the loop saw it
  std::vector<double> lrs;     ///< learning rate of each reported step, read from the optimizer
};

/// The README's loop: callbacks around a plain LibTorch loop; exceptions propagate.
inline LoopResult train(CallbackList& callbacks, torch::nn::Linear& model,
                        torch::optim::Optimizer& optimizer, const TinyProblem& data,
                        const LoopOptions& options = {}) {
  LoopResult result;
  std::int64_t step = 0;
  try {
    callbacks.on_train_begin(*model, optimizer);
    for (std::int64_t epoch = 0; epoch < options.epochs && !callbacks.stop_requested(); ++epoch) {
      if (options.call_epoch_begin) callbacks.on_epoch_begin(epoch);
      for (std::int64_t b = 0; b < TinyProblem::kBatches; ++b, ++step) {
        if (options.throw_at && *options.throw_at == step) {
          throw std::runtime_error("data loader exploded");
        }
        auto x = data.x.slice(0, b * TinyProblem::kBatch, (b + 1) * TinyProblem::kBatch);
        auto y = data.y.slice(0, b * TinyProblem::kBatch, (b + 1) * TinyProblem::kBatch);
        optimizer.zero_grad();
        auto out = model->forward(x);
        auto loss = torch::nn::functional::cross_entropy(out, y);
        if (options.scale_loss_at && options.scale_loss_at->first == step) {
          loss = loss * options.scale_loss_at->second;
        }
        loss.backward();
        result.losses.push_back(loss.item<double>());
        result.lrs.push_back(optimizer.param_groups().front().options().get_lr());
        callbacks.on_batch_end(loss, out, y);
        if (callbacks.stop_now()) break;
        optimizer.step();
        ++result.optimizer_steps;
      }
      MetricMap val;
      if (options.validation) {
        val = options.validation(epoch);
      } else {
        torch::NoGradGuard no_grad;
        auto out = model->forward(data.x);
        val = {{"loss", torch::nn::functional::cross_entropy(out, data.y).item<double>()},
               {"accuracy", out.argmax(1).eq(data.y).to(torch::kDouble).mean().item<double>()}};
      }
      callbacks.on_validation_end(val);
      callbacks.on_epoch_end(epoch);
      if (options.after_epoch) options.after_epoch();
      ++result.epochs;
    }
    callbacks.on_train_end();
  } catch (...) {
    callbacks.on_exception();
    throw;
  }
  return result;
}

/// A tiny GAN: the generator maps 2-d noise to 2-d points, the discriminator scores points;
/// real points are N(3, 1).
struct TinyGan {
  torch::nn::Linear generator{nullptr};
  torch::nn::Linear discriminator{nullptr};
  torch::optim::Adam generator_optimizer;
  torch::optim::Adam discriminator_optimizer;

  TinyGan()
      : generator(make(2, 2)),
        discriminator(make(2, 1)),
        generator_optimizer(generator->parameters(), torch::optim::AdamOptions(2e-3)),
        discriminator_optimizer(discriminator->parameters(), torch::optim::AdamOptions(1e-3)) {}

  static torch::nn::Linear make(std::int64_t in, std::int64_t out) {
    torch::manual_seed(0);
    return torch::nn::Linear(in, out);
  }
};

/// What the GAN loop saw, per step.
struct GanLoopResult {
  std::vector<double> d_losses, g_losses, d_x, d_g_z;
  std::int64_t generator_steps = 0;
};

/// A GAN loop the way the README shows it: named models and optimizers, named losses, extra
/// values through cb.log; `nan_d_loss_at` makes the discriminator loss NaN at that step.
inline GanLoopResult train_gan(CallbackList& cb, TinyGan& gan, std::int64_t epochs,
                               std::int64_t steps_per_epoch,
                               std::optional<std::int64_t> nan_d_loss_at = std::nullopt) {
  namespace F = torch::nn::functional;
  GanLoopResult result;
  std::int64_t step = 0;
  try {
    cb.on_train_begin(
        {{"generator", *gan.generator}, {"discriminator", *gan.discriminator}},
        {{"generator", gan.generator_optimizer}, {"discriminator", gan.discriminator_optimizer}});
    for (std::int64_t epoch = 0; epoch < epochs; ++epoch) {
      for (std::int64_t b = 0; b < steps_per_epoch; ++b, ++step) {
        const auto real = torch::randn({8, 2}) + 3.0;
        const auto fake = gan.generator->forward(torch::randn({8, 2}));
        gan.discriminator_optimizer.zero_grad();
        const auto real_out = gan.discriminator->forward(real);
        const auto fake_out = gan.discriminator->forward(fake.detach());
        auto d_loss = F::binary_cross_entropy_with_logits(real_out, torch::ones_like(real_out)) +
                      F::binary_cross_entropy_with_logits(fake_out, torch::zeros_like(fake_out));
        if (nan_d_loss_at && *nan_d_loss_at == step) d_loss = d_loss * NAN;
        d_loss.backward();
        cb.on_batch_end("d_loss", d_loss);
        gan.discriminator_optimizer.step();

        gan.generator_optimizer.zero_grad();
        const auto fooled = gan.discriminator->forward(fake);
        const auto g_loss = F::binary_cross_entropy_with_logits(fooled, torch::ones_like(fooled));
        g_loss.backward();
        cb.on_batch_end("g_loss", g_loss);
        gan.generator_optimizer.step();
        ++result.generator_steps;

        const auto d_x = torch::sigmoid(real_out).mean().detach();
        const auto d_g_z = torch::sigmoid(fake_out).mean().detach();
        cb.log({{"D(x)", d_x}, {"D(G(z))", d_g_z}});
        cb.log("step_fraction", static_cast<double>(b) / steps_per_epoch);
        result.d_losses.push_back(d_loss.item<double>());
        result.g_losses.push_back(g_loss.item<double>());
        result.d_x.push_back(d_x.item<double>());
        result.d_g_z.push_back(d_g_z.item<double>());
      }
      cb.on_epoch_end(epoch);
    }
    cb.on_train_end();
  } catch (...) {
    cb.on_exception();
    throw;
  }
  return result;
}

/// A fresh store per test plus a tiny model.
class PluginTest : public ::testing::Test {
 protected:
  PluginTest() : model(4, 3) {
    torch::manual_seed(0);
    model = torch::nn::Linear(4, 3);
  }

  std::string store_uri() const { return dir.file("vigil.db"); }

  /// Tracking options writing to this test's store, flushing quickly.
  TrackingOptions tracking_options(const std::string& run_name = "tiny-run") const {
    tracker::StoreOptions store_options;
    store_options.flush_interval = std::chrono::milliseconds(50);
    store_options.handle_signals = false;
    return TrackingOptions("tests")
        .run_name(run_name)
        .store(store_uri())
        .store_options(store_options)
        .batch_size(TinyProblem::kBatch)
        .epochs(3);
  }

  tracker::RunInfo only_run() const {
    tracker::Store store(store_uri());
    auto runs = store.list_runs();
    EXPECT_EQ(runs.size(), 1u);
    if (runs.empty()) throw std::runtime_error("no run stored");
    return runs.front();
  }

  std::vector<tracker::MetricPoint> points(const std::string& run_id,
                                           const std::string& qualified_name) const {
    tracker::Store store(store_uri());
    return store.points(run_id, tracker::SeriesKey::parse(qualified_name));
  }

  std::vector<torch::Tensor> parameter_copies() const {
    std::vector<torch::Tensor> copies;
    for (const auto& p : model->parameters()) copies.push_back(p.detach().clone());
    return copies;
  }

  vigil::testing::TempDir dir;
  TinyProblem data;
  torch::nn::Linear model;
};

}  // namespace vigil::plugin::testing
