#include <signal.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "plugin_fixture.h"

namespace vigil::plugin::testing {
namespace {

using tracker::RunStatus;

class TrackingCallbackTest : public PluginTest {
 protected:
  std::shared_ptr<TrackingCallback> tracking;
  CallbackList callbacks;

  void track(TrackingOptions options) {
    tracking = std::make_shared<TrackingCallback>(std::move(options));
    callbacks = CallbackList({tracking});
  }
};

TEST_F(TrackingCallbackTest, LogsSgdHyperparametersFromTheOptimizer) {
  track(tracking_options().seed(7));
  torch::optim::SGD optimizer(
      model->parameters(),
      torch::optim::SGDOptions(0.05).momentum(0.9).weight_decay(1e-4).nesterov(true));
  train(callbacks, model, optimizer, data, epochs(1));

  const auto run = only_run();
  const auto& optimizer_params = run.params.at("optimizer");
  EXPECT_EQ(optimizer_params.at("name"), "sgd");
  EXPECT_DOUBLE_EQ(optimizer_params.at("lr").get<double>(), 0.05);
  EXPECT_DOUBLE_EQ(optimizer_params.at("momentum").get<double>(), 0.9);
  EXPECT_DOUBLE_EQ(optimizer_params.at("weight_decay").get<double>(), 1e-4);
  EXPECT_DOUBLE_EQ(optimizer_params.at("dampening").get<double>(), 0.0);
  EXPECT_EQ(optimizer_params.at("nesterov"), true);
  EXPECT_EQ(run.params.at("batch_size"), TinyProblem::kBatch);
  EXPECT_EQ(run.params.at("epochs"), 3);
  EXPECT_EQ(run.params.at("seed"), 7);
  EXPECT_EQ(run.params.at("model").at("parameters"), 4 * 3 + 3);
  EXPECT_EQ(run.params.at("model").at("name"), "Linear");
  EXPECT_NE(run.params.at("model").at("structure").get<std::string>().find("Linear"),
            std::string::npos);
  EXPECT_EQ(run.params.at("device"), "cpu");
  EXPECT_EQ(run.params.at("libtorch_version"), std::to_string(TORCH_VERSION_MAJOR) + "." +
                                                   std::to_string(TORCH_VERSION_MINOR) + "." +
                                                   std::to_string(TORCH_VERSION_PATCH));
  EXPECT_FALSE(run.params.at("host").get<std::string>().empty());
  EXPECT_EQ(run.name, "tiny-run");
  EXPECT_EQ(run.experiment, "tests");
  EXPECT_EQ(run.status, RunStatus::kFinished);
}

TEST_F(TrackingCallbackTest, LogsAdamHyperparametersFromTheOptimizer) {
  track(tracking_options().params({{"dataset", "tiny"}}));
  torch::optim::Adam optimizer(
      model->parameters(),
      torch::optim::AdamOptions(2e-3).betas({0.8, 0.99}).eps(1e-7).amsgrad(true));
  train(callbacks, model, optimizer, data, epochs(1));

  const auto run = only_run();
  const auto& optimizer_params = run.params.at("optimizer");
  EXPECT_EQ(optimizer_params.at("name"), "adam");
  EXPECT_DOUBLE_EQ(optimizer_params.at("lr").get<double>(), 2e-3);
  EXPECT_DOUBLE_EQ(optimizer_params.at("betas").at(0).get<double>(), 0.8);
  EXPECT_DOUBLE_EQ(optimizer_params.at("betas").at(1).get<double>(), 0.99);
  EXPECT_DOUBLE_EQ(optimizer_params.at("eps").get<double>(), 1e-7);
  EXPECT_EQ(optimizer_params.at("amsgrad"), true);
  EXPECT_EQ(run.params.at("dataset"), "tiny");
  // Without an explicit seed, the seed torch::manual_seed set is logged.
  EXPECT_EQ(run.params.at("seed"), 0);
}

TEST_F(TrackingCallbackTest, RecordsOneLossPointPerStepAndEpochMetrics) {
  track(tracking_options());
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1));
  const LoopResult loop = train(callbacks, model, optimizer, data);

  const auto run = only_run();
  const auto loss = points(run.id, "loss");
  ASSERT_EQ(loss.size(), loop.losses.size());
  ASSERT_EQ(loss.size(), 3u * TinyProblem::kBatches);
  for (std::size_t i = 0; i < loss.size(); ++i) {
    EXPECT_EQ(loss[i].step, static_cast<std::int64_t>(i));
    EXPECT_EQ(loss[i].epoch, static_cast<std::int64_t>(i) / TinyProblem::kBatches);
    EXPECT_NEAR(loss[i].value, loop.losses[i], 1e-6);
  }
  const auto accuracy = points(run.id, "accuracy");
  ASSERT_EQ(accuracy.size(), loss.size());
  for (const auto& point : accuracy) {
    EXPECT_GE(point.value, 0.0);
    EXPECT_LE(point.value, 1.0);
  }
  EXPECT_EQ(points(run.id, "loss{subset=train}").size(), 3u);
  EXPECT_EQ(points(run.id, "accuracy{subset=train}").size(), 3u);
  const auto val_accuracy = points(run.id, "accuracy{subset=val}");
  ASSERT_EQ(val_accuracy.size(), 3u);
  EXPECT_EQ(val_accuracy.back().epoch, 2);
  EXPECT_DOUBLE_EQ(run.results.at("final_accuracy").get<double>(), val_accuracy.back().value);
  double best = 0.0;
  for (const auto& point : val_accuracy) best = std::max(best, point.value);
  EXPECT_DOUBLE_EQ(run.results.at("best_accuracy").get<double>(), best);
  EXPECT_DOUBLE_EQ(run.results.at("final_loss").get<double>(),
                   points(run.id, "loss{subset=val}").back().value);
  EXPECT_EQ(run.results.at("steps"), 12);
  EXPECT_EQ(run.results.at("epochs_completed"), 3);
}

TEST_F(TrackingCallbackTest, ReadingEveryFewStepsStillGivesOnePointPerStep) {
  track(tracking_options().log_every(5));
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1));
  const LoopResult loop = train(callbacks, model, optimizer, data);

  const auto loss = points(only_run().id, "loss");
  ASSERT_EQ(loss.size(), loop.losses.size());
  for (std::size_t i = 0; i < loss.size(); ++i) {
    EXPECT_EQ(loss[i].step, static_cast<std::int64_t>(i));
    EXPECT_NEAR(loss[i].value, loop.losses[i], 1e-6);
  }
}

TEST_F(TrackingCallbackTest, LoopWithoutEpochBeginStillNumbersEpochs) {
  track(tracking_options());
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1));
  LoopOptions options;
  options.call_epoch_begin = false;
  train(callbacks, model, optimizer, data, options);

  const auto run = only_run();
  const auto loss = points(run.id, "loss");
  ASSERT_EQ(loss.size(), 3u * TinyProblem::kBatches);
  for (const auto& point : loss) EXPECT_EQ(point.epoch, point.step / TinyProblem::kBatches);
  const auto train_loss = points(run.id, "loss{subset=train}");
  ASSERT_EQ(train_loss.size(), 3u);
  // Each epoch's train loss averages that epoch's steps only.
  for (std::int64_t epoch = 0; epoch < 3; ++epoch) {
    double sum = 0.0;
    for (std::int64_t b = 0; b < TinyProblem::kBatches; ++b) {
      sum += loss[epoch * TinyProblem::kBatches + b].value;
    }
    EXPECT_NEAR(train_loss[epoch].value, sum / TinyProblem::kBatches, 1e-9);
    EXPECT_EQ(train_loss[epoch].epoch, epoch);
  }
}

TEST_F(TrackingCallbackTest, SchedulerLearningRateChangesShowInTheLrSeries) {
  track(tracking_options());
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1));
  torch::optim::StepLR scheduler(optimizer, /*step_size=*/1, /*gamma=*/0.5);
  LoopOptions options;
  options.epochs = 4;
  options.after_epoch = [&] { scheduler.step(); };
  const LoopResult loop = train(callbacks, model, optimizer, data, options);

  const auto lr = points(only_run().id, "lr");
  ASSERT_EQ(lr.size(), loop.lrs.size());
  for (std::size_t i = 0; i < lr.size(); ++i) {
    EXPECT_DOUBLE_EQ(lr[i].value, loop.lrs[i]) << "step " << lr[i].step;
  }
  // LibTorch's StepLR leaves the first step() alone, then halves: 0.1, 0.1, 0.05, 0.025.
  EXPECT_DOUBLE_EQ(lr.front().value, 0.1);
  EXPECT_DOUBLE_EQ(lr.back().value, 0.025);
}

TEST_F(TrackingCallbackTest, EachFitWithTheSameCallbacksIsANewRun) {
  track(tracking_options());
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1));
  train(callbacks, model, optimizer, data, epochs(2));
  const std::string first = tracking->report().run_id;
  train(callbacks, model, optimizer, data, epochs(1));
  const std::string second = tracking->report().run_id;
  ASSERT_NE(first, second);

  tracker::Store store(store_uri());
  EXPECT_EQ(store.get_run(first).results.at("epochs_completed"), 2);
  EXPECT_EQ(store.get_run(second).results.at("epochs_completed"), 1);
  // Steps restart at 0 in the second run.
  const auto loss = points(second, "loss");
  ASSERT_EQ(loss.size(), static_cast<std::size_t>(TinyProblem::kBatches));
  EXPECT_EQ(loss.front().step, 0);
}

TEST_F(TrackingCallbackTest, ExceptionInsideTheLoopLeavesTheRunFailedWithItsMessage) {
  track(tracking_options());
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1));
  LoopOptions options;
  options.throw_at = 5;
  EXPECT_THROW(train(callbacks, model, optimizer, data, options), std::runtime_error);

  const auto run = only_run();
  EXPECT_EQ(run.status, RunStatus::kFailed);
  EXPECT_NE(run.error.find("data loader exploded"), std::string::npos) << run.error;
  // The steps before the failure are kept.
  EXPECT_EQ(points(run.id, "loss").size(), 5u);
}

TEST_F(TrackingCallbackTest, UnusableStoreDoesNotStopTrainingAndIsReported) {
  // The store path lies below a regular file: it can never be created.
  const std::string blocker = dir.file("not-a-directory");
  std::ofstream(blocker) << "x";
  track(tracking_options().store(blocker + "/sub/vigil.db"));
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1));
  const LoopResult loop = train(callbacks, model, optimizer, data);

  EXPECT_EQ(loop.epochs, 3);
  EXPECT_EQ(loop.optimizer_steps, 3 * TinyProblem::kBatches);
  const TrackingReport report = tracking->report();
  EXPECT_FALSE(report.tracking);
  EXPECT_GE(report.failures, 1u);
  EXPECT_NE(report.last_failure.find("opening the store"), std::string::npos)
      << report.last_failure;
  // Results are still computed for the caller.
  EXPECT_TRUE(tracking->results().contains("final_accuracy"));
}

// Sets RLIMIT_FSIZE for this process (regular files cannot grow past it: EFBIG, as on a full
// disk) and restores the previous limit on destruction.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    previous_handler_ = signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &previous_);
    rlimit limit = previous_;
    limit.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &previous_);
    signal(SIGXFSZ, previous_handler_);
  }

 private:
  rlimit previous_{};
  sighandler_t previous_handler_;
};

TEST_F(TrackingCallbackTest, FullDiskDuringTrainingDoesNotStopTrainingAndIsReported) {
  track(tracking_options());
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1));
  // Once training has started, the store's files cannot grow (as on a full disk) until the
  // end of the second epoch.
  struct DiskFullForTwoEpochs : Callback {
    std::optional<FileSizeLimit> limit;
    void on_train_begin(TrainingState&) override { limit.emplace(0); }
    void on_epoch_end(TrainingState& state) override {
      if (state.epoch == 1) limit.reset();
    }
  };
  callbacks.add(std::make_shared<DiskFullForTwoEpochs>());
  LoopOptions options;
  // Give the background writer time to attempt commits while the disk is full.
  options.after_epoch = [] { std::this_thread::sleep_for(std::chrono::milliseconds(300)); };
  const LoopResult loop = train(callbacks, model, optimizer, data, options);

  EXPECT_EQ(loop.epochs, 3);
  EXPECT_EQ(loop.optimizer_steps, 3 * TinyProblem::kBatches);
  const TrackingReport report = tracking->report();
  EXPECT_TRUE(report.tracking);
  EXPECT_GT(report.writer.write_errors, 0u)
      << "the store's files could not grow, yet no failure was reported";
  // Points were kept in memory and committed once the disk had room again.
  const auto run = only_run();
  EXPECT_EQ(run.status, tracker::RunStatus::kFinished);
  EXPECT_EQ(points(run.id, "loss").size(), loop.losses.size());
}

}  // namespace
}  // namespace vigil::plugin::testing
