#include "trainer.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

#include <torch/torch.h>
#include <vigil/plugin.h>
#include <vigil/rules/errors.h>
#include <vigil/rules/format.h>

#include "ddp.h"
#include "idx.h"
#include "model.h"

namespace vigil::examples {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Split {
  torch::Tensor images;  // [N, 1, rows, cols] float, normalised
  torch::Tensor labels;  // [N] int64
};

Split to_tensors(const IdxDataset& data, std::int64_t limit) {
  const auto& dims = data.images.dims;
  std::int64_t count = dims[0];
  if (limit > 0 && limit < count) count = limit;
  // from_blob does not copy: clone so the tensors own their memory once the IDX buffers go.
  torch::Tensor images = torch::from_blob(const_cast<std::uint8_t*>(data.images.data.data()),
                                          {dims[0], 1, dims[1], dims[2]}, torch::kUInt8)
                             .slice(0, 0, count)
                             .to(torch::kFloat32)
                             .div_(255.0);
  torch::Tensor labels =
      torch::from_blob(const_cast<std::uint8_t*>(data.labels.data.data()), {dims[0]}, torch::kUInt8)
          .slice(0, 0, count)
          .to(torch::kInt64);
  return {images, labels};
}

// Progress of one epoch: \r-updated on a terminal, a line every few seconds otherwise.
class Progress {
 public:
  Progress(std::int64_t epoch, std::int64_t epochs, std::int64_t batches)
      : epoch_(epoch),
        epochs_(epochs),
        batches_(batches),
        tty_(isatty(STDOUT_FILENO) != 0),
        start_(Clock::now()),
        last_(start_) {}

  bool due() const {
    const double interval = tty_ ? 0.25 : 15.0;
    return std::chrono::duration<double>(Clock::now() - last_).count() >= interval;
  }

  void show(std::int64_t batch, double loss, double accuracy, std::int64_t samples) {
    last_ = Clock::now();
    std::printf("%sepoch %lld/%lld [%lld/%lld] loss %.4f acc %.4f %.0f samples/s%s",
                tty_ ? "\r\033[K" : "", static_cast<long long>(epoch_ + 1),
                static_cast<long long>(epochs_), static_cast<long long>(batch),
                static_cast<long long>(batches_), loss, accuracy, samples / seconds_since(start_),
                tty_ ? "" : "\n");
    std::fflush(stdout);
  }

  void done(double loss, double accuracy, const plugin::MetricMap& val, std::int64_t samples) {
    const double elapsed = seconds_since(start_);
    std::printf(
        "%sepoch %lld/%lld train loss %.4f acc %.4f | test loss %.4f acc %.4f | %.1fs "
        "%.0f samples/s\n",
        tty_ ? "\r\033[K" : "", static_cast<long long>(epoch_ + 1), static_cast<long long>(epochs_),
        loss, accuracy, val.at("loss"), val.at("accuracy"), elapsed, samples / elapsed);
    std::fflush(stdout);
  }

 private:
  std::int64_t epoch_, epochs_, batches_;
  bool tty_;
  Clock::time_point start_, last_;
};

plugin::MetricMap evaluate(torch::nn::AnyModule& model, const Split& test,
                           const torch::Device& device) {
  torch::NoGradGuard no_grad;
  model.ptr()->eval();
  torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions(device).dtype(torch::kDouble));
  torch::Tensor correct = torch::zeros({}, torch::TensorOptions(device).dtype(torch::kLong));
  const std::int64_t count = test.images.size(0);
  for (std::int64_t start = 0; start < count; start += 1000) {
    const std::int64_t end = std::min(count, start + 1000);
    torch::Tensor x = test.images.slice(0, start, end).to(device);
    torch::Tensor y = test.labels.slice(0, start, end).to(device);
    torch::Tensor out = model.forward(x);
    loss_sum += torch::nn::functional::cross_entropy(
        out, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
    correct += out.argmax(1).eq(y).sum();
  }
  model.ptr()->train();
  return {{"loss", loss_sum.item<double>() / count}, {"accuracy", correct.item<double>() / count}};
}

std::string default_run_name(const TrainConfig& config, double lr) {
  std::ostringstream name;
  name << config.model << "-" << config.optimizer << "-lr" << lr;
  return name.str();
}

void use_plain_logger() {
  if (spdlog::get("vigil")) return;
  auto logger = spdlog::stderr_color_mt("vigil");
  logger->set_pattern("%^%v%$");
}

torch::Device choose_device(const std::string& requested) {
  const bool cuda = torch::cuda::is_available();
  if (requested == "cuda" && !cuda) {
    throw std::runtime_error("--device cuda: CUDA is not available to this LibTorch build");
  }
  if (requested == "cpu" || !cuda) return torch::kCPU;
  return torch::kCUDA;
}

void train(const TrainConfig& config) {
  if (config.threads > 0) at::set_num_threads(static_cast<int>(config.threads));
  torch::manual_seed(config.seed);
  const torch::Device device =
      config.ddp ? torch::Device(torch::kCPU) : choose_device(config.device);
  // Joined before anything slow, so every rank waits for the others once, here.
  std::unique_ptr<DataParallel> parallel;
  if (config.ddp) parallel = DataParallel::from_environment();
  const int rank = parallel ? parallel->rank() : 0;
  const int world_size = parallel ? parallel->world_size() : 1;

  const auto load_start = Clock::now();
  const IdxDataset train_data = load_split(config.data_dir, "train");
  const IdxDataset test_data = load_split(config.data_dir, "t10k");
  // The cnn pools twice by 2: smaller images would be a shape error deep inside training.
  check_image_sizes(train_data, test_data, config.model == "mlp" ? 1 : 4, config.model);
  Split train = to_tensors(train_data, config.limit);
  Split test = to_tensors(test_data, 0);
  // Normalise with the training set's statistics.
  const double mean = train.images.mean().item<double>();
  const double std = train.images.std().item<double>();
  train.images.sub_(mean).div_(std);
  test.images.sub_(mean).div_(std);
  train.images = train.images.to(device);
  train.labels = train.labels.to(device);
  const std::int64_t rows = train.images.size(2);
  const std::int64_t cols = train.images.size(3);
  const std::int64_t train_count = train.images.size(0);
  std::printf("data: %lld training and %lld test images of %lldx%lld from %s (%.1fs)\n",
              static_cast<long long>(train_count), static_cast<long long>(test.images.size(0)),
              static_cast<long long>(rows), static_cast<long long>(cols), config.data_dir.c_str(),
              seconds_since(load_start));

  torch::nn::AnyModule model;
  if (config.model == "mlp") {
    model = torch::nn::AnyModule(Mlp(rows, cols));
  } else {
    model = torch::nn::AnyModule(Cnn(rows, cols));
  }
  model.ptr()->to(device);
  torch::nn::Module& module = *model.ptr();
  if (parallel) parallel->broadcast_parameters(module);

  std::unique_ptr<torch::optim::Optimizer> optimizer;
  const double lr = config.lr.value_or(config.optimizer == "sgd" ? 0.05 : 1e-3);
  if (config.optimizer == "sgd") {
    optimizer = std::make_unique<torch::optim::SGD>(module.parameters(),
                                                    torch::optim::SGDOptions(lr).momentum(0.9));
  } else {
    optimizer =
        std::make_unique<torch::optim::Adam>(module.parameters(), torch::optim::AdamOptions(lr));
  }

  const std::string run_name = config.name.empty() ? default_run_name(config, lr) : config.name;
  std::optional<plugin::Session> session;
  plugin::CallbackList no_callbacks;
  if (config.track) {
    const std::string dataset = std::filesystem::path(config.data_dir).filename().string();
    nlohmann::json params = {{"dataset",
                              {{"name", dataset},
                               {"train_samples", train_count},
                               {"test_samples", test.images.size(0)}}}};
    if (parallel) params["distributed"]["backend"] = parallel->backend();
    session.emplace(plugin::TrackingOptions(config.experiment)
                        .run_name(run_name)
                        .store(config.store)
                        .batch_size(config.batch_size)
                        .epochs(config.epochs)
                        .seed(config.seed)
                        .model_name(config.model)
                        .log_all_ranks(config.log_all_ranks)
                        .system_metrics_interval(config.system_metrics)
                        .params(params),
                    plugin::GuardOptions().rules_file(config.rules_file));
  }
  plugin::CallbackList& callbacks = session ? session->callbacks() : no_callbacks;

  // Each rank trains on every world_size-th sample of the shared shuffled order.
  const std::int64_t rank_count = train_count / world_size;
  const std::int64_t batches = (rank_count + config.batch_size - 1) / config.batch_size;
  const bool chatty = rank == 0;  // progress lines from rank 0 only
  std::int64_t global_step = 0;   // for --inject-nan
  const auto train_start = Clock::now();
  std::int64_t epochs_done = 0;
  plugin::MetricMap val;
  double best_accuracy = 0.0;
  // No try/catch: run_main (run_training) stores the run failed with the message of any
  // exception that leaves this loop and turns it into the exit code.
  callbacks.on_train_begin(module, *optimizer);  // params logged; may refuse the run
  for (std::int64_t epoch = 0; epoch < config.epochs && !callbacks.stop_requested(); ++epoch) {
    callbacks.on_epoch_begin(epoch);
    Progress progress(epoch, config.epochs, batches);
    torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions(device).dtype(torch::kDouble));
    torch::Tensor correct = torch::zeros({}, torch::TensorOptions(device).dtype(torch::kLong));
    std::int64_t seen = 0;
    const torch::Tensor order = torch::randperm(train_count, torch::kLong)
                                    .slice(0, rank, rank_count * world_size, world_size)
                                    .to(device);
    for (std::int64_t batch = 0; batch < batches; ++batch) {
      const torch::Tensor index = order.slice(
          0, batch * config.batch_size, std::min(rank_count, (batch + 1) * config.batch_size));
      const torch::Tensor x = train.images.index_select(0, index);
      const torch::Tensor y = train.labels.index_select(0, index);
      optimizer->zero_grad();
      torch::Tensor output = model.forward(x);
      torch::Tensor loss = torch::nn::functional::cross_entropy(output, y);
      if (rank == config.nan_rank && global_step == config.nan_step) {
        loss = loss * std::numeric_limits<double>::quiet_NaN();
      }
      ++global_step;
      loss.backward();
      callbacks.on_batch_end(loss, output, y);  // before step(): a guard may stop here
      if (callbacks.stop_now()) break;
      if (parallel) parallel->average_gradients(module);
      optimizer->step();

      const std::int64_t n = y.size(0);
      seen += n;
      loss_sum += loss.detach() * n;
      correct += output.detach().argmax(1).eq(y).sum();
      if (chatty && progress.due()) {
        progress.show(batch + 1, loss_sum.item<double>() / seen, correct.item<double>() / seen,
                      seen);
      }
    }
    val = evaluate(model, test, device);
    best_accuracy = std::max(best_accuracy, val.at("accuracy"));
    callbacks.on_validation_end(val);
    if (chatty) {
      progress.done(loss_sum.item<double>() / std::max<std::int64_t>(seen, 1),
                    correct.item<double>() / std::max<std::int64_t>(seen, 1), val, seen);
    }
    callbacks.on_epoch_end(epoch);
    ++epochs_done;
  }
  callbacks.on_train_end();
  if (!chatty) return;  // the summary and the verdict once, from rank 0

  const double elapsed = seconds_since(train_start);
  std::printf("done: %lld epoch(s) in %.1fs; test accuracy %.4f (best %.4f), test loss %.4f\n",
              static_cast<long long>(epochs_done), elapsed,
              val.count("accuracy") ? val.at("accuracy") : NAN, best_accuracy,
              val.count("loss") ? val.at("loss") : NAN);
  if (callbacks.stop_requested()) {
    std::printf("stopped early: %s\n", callbacks.control().reason().c_str());
  }
  if (session) {
    const plugin::TrackingReport report = session->tracking().report();
    if (report.tracking) {
      std::printf("vigil: run %s (%s) recorded in %s\n", report.run_id.c_str(), run_name.c_str(),
                  report.store_uri.c_str());
    }
    if (report.failures > 0 || report.writer.write_errors > 0) {
      std::printf(
          "vigil: tracking failed %llu time(s) (store writes failed: %llu); last error: %s\n",
          static_cast<unsigned long long>(report.failures),
          static_cast<unsigned long long>(report.writer.write_errors),
          (report.last_failure.empty() ? report.writer.last_error : report.last_failure).c_str());
    }
    if (const auto& final_report = session->guard()->final_report()) {
      rules::FormatOptions format;
      format.color = isatty(STDOUT_FILENO) != 0;
      std::fputs(rules::format_report(*final_report, format).c_str(), stdout);
    }
  }
}

}  // namespace

int run_training(const TrainConfig& config) {
  try {
    use_plain_logger();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vigil-mnist: error: %s\n", e.what());
    return kExitError;
  }
  static_assert(kExitTrained == plugin::kExitFinished && kExitError == plugin::kExitFailed &&
                kExitRefused == plugin::kExitRejected && kExitAborted == plugin::kExitAborted);
  return plugin::run_main([&] { train(config); });
}

}  // namespace vigil::examples
