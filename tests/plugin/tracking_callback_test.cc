#include <signal.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <limits>
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

// Summary of the series `qualified` of a run (fails the test when missing).
const tracker::SeriesSummary& series(const tracker::RunInfo& run, const std::string& qualified) {
  for (const auto& summary : run.metrics) {
    if (summary.key.qualified_name() == qualified) return summary;
  }
  ADD_FAILURE() << "no series " << qualified;
  static const tracker::SeriesSummary kNone;
  return kNone;
}

TEST_F(TrackingCallbackTest, GanLoopRecordsEachModelOptimizerNamedLossAndLoggedValue) {
  track(tracking_options().log_every(3));  // values wait on the device across steps
  TinyGan gan;
  const GanLoopResult loop = train_gan(callbacks, gan, /*epochs=*/2, /*steps_per_epoch=*/5);
  ASSERT_EQ(loop.generator_steps, 10);

  const auto run = only_run();
  EXPECT_EQ(run.status, RunStatus::kFinished);
  // Params: each model and optimizer under its name; no single-model layout.
  const auto& models = run.params.at("models");
  EXPECT_EQ(models.at("generator").at("name"), "Linear");
  EXPECT_EQ(models.at("generator").at("parameters"), 2 * 2 + 2);
  EXPECT_EQ(models.at("generator").at("trainable_parameters"), 2 * 2 + 2);
  EXPECT_NE(models.at("generator").at("structure").get<std::string>().find("Linear"),
            std::string::npos);
  EXPECT_EQ(models.at("discriminator").at("parameters"), 2 + 1);
  const auto& optimizers = run.params.at("optimizers");
  EXPECT_EQ(optimizers.at("generator").at("name"), "adam");
  EXPECT_DOUBLE_EQ(optimizers.at("generator").at("lr").get<double>(), 2e-3);
  EXPECT_DOUBLE_EQ(optimizers.at("discriminator").at("lr").get<double>(), 1e-3);
  EXPECT_EQ(optimizers.at("discriminator").at("param_groups"), 1);
  EXPECT_FALSE(run.params.contains("model"));
  EXPECT_FALSE(run.params.contains("optimizer"));

  // One point per step for each named loss and logged value, with the loop's values.
  const auto expect_series = [&](const std::string& name, const std::vector<double>& values) {
    const auto got = points(run.id, name);
    ASSERT_EQ(got.size(), values.size()) << name;
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].step, static_cast<std::int64_t>(i)) << name;
      EXPECT_EQ(got[i].epoch, static_cast<std::int64_t>(i) / 5) << name;
      EXPECT_NEAR(got[i].value, values[i], 1e-6) << name << " step " << i;
    }
  };
  expect_series("d_loss", loop.d_losses);
  expect_series("g_loss", loop.g_losses);
  expect_series("D(x)", loop.d_x);
  expect_series("D(G(z))", loop.d_g_z);
  EXPECT_DOUBLE_EQ(points(run.id, "step_fraction").at(4).value, 0.8);
  for (const auto& summary : run.metrics) {
    EXPECT_NE(summary.key.qualified_name(), "loss") << "only named losses were reported";
  }

  // lr per optimizer, with the optimizer as context.
  const auto& g_lr = series(run, "lr{optimizer=generator}");
  EXPECT_EQ(g_lr.key.name, "lr");
  EXPECT_EQ(g_lr.key.context, nlohmann::json({{"optimizer", "generator"}}));
  EXPECT_EQ(g_lr.count, 10);
  EXPECT_DOUBLE_EQ(g_lr.last, 2e-3);
  EXPECT_DOUBLE_EQ(series(run, "lr{optimizer=discriminator}").last, 1e-3);

  // Epoch means per named loss, final values and the step count in the results.
  const auto g_train = points(run.id, "g_loss{subset=train}");
  ASSERT_EQ(g_train.size(), 2u);
  double sum = 0.0;
  for (std::size_t i = 5; i < 10; ++i) sum += loop.g_losses[i];
  EXPECT_NEAR(g_train[1].value, sum / 5, 1e-6);
  EXPECT_NEAR(run.results.at("final_g_loss").get<double>(), sum / 5, 1e-6);
  EXPECT_TRUE(run.results.contains("final_d_loss"));
  EXPECT_EQ(run.results.at("steps"), 10);
  EXPECT_EQ(run.results.at("epochs_completed"), 2);
}

TEST_F(TrackingCallbackTest, IterationLoopWithoutEpochHooksGetsFinalLossAndSteps) {
  track(tracking_options().epochs(std::nullopt));
  torch::manual_seed(0);
  torch::nn::Linear regression(3, 1);
  torch::optim::SGD optimizer(regression->parameters(), torch::optim::SGDOptions(0.05));
  const auto x = torch::randn({32, 3});
  const auto y = x.matmul(torch::tensor({1.0f, -2.0f, 0.5f})).unsqueeze(1);
  std::vector<double> losses;
  callbacks.on_train_begin(*regression, optimizer);
  for (int step = 0; step < 25; ++step) {
    optimizer.zero_grad();
    auto loss = torch::mse_loss(regression->forward(x), y);
    loss.backward();
    callbacks.on_batch_end(loss);
    optimizer.step();
    losses.push_back(loss.item<double>());
  }
  callbacks.on_train_end();

  const auto run = only_run();
  EXPECT_EQ(run.results.at("steps"), 25);
  EXPECT_EQ(run.results.at("epochs_completed"), 0);
  double last = 0.0;
  for (std::size_t i = 25 - TrackingCallback::kFinalWindow; i < 25; ++i) last += losses[i];
  EXPECT_NEAR(run.results.at("final_loss").get<double>(), last / TrackingCallback::kFinalWindow,
              1e-6);
  EXPECT_FALSE(run.results.contains("final_accuracy"));
  EXPECT_EQ(points(run.id, "loss").size(), 25u);
}

TEST_F(TrackingCallbackTest, LogWithoutCallbacksIsANoOp) {
  CallbackList none;
  none.on_train_begin(*model);
  none.log("D(x)", torch::ones({}));
  none.log({{"lambda", 0.5}, {"D(G(z))", torch::zeros({1})}});
  none.on_train_end();
  EXPECT_FALSE(std::filesystem::exists(store_uri()));
}

TEST_F(TrackingCallbackTest, LoggedTensorWithSeveralElementsIsAReportedFailureNotACrash) {
  track(tracking_options());
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1));
  callbacks.on_train_begin(*model, optimizer);
  callbacks.log("D(x)", torch::ones({3}));
  callbacks.log("", 1.0);
  callbacks.log("fine", 2.0);
  callbacks.on_train_end();
  const TrackingReport report = tracking->report();
  EXPECT_EQ(report.failures, 2u);
  EXPECT_NE(report.last_failure.find("empty name"), std::string::npos) << report.last_failure;
  EXPECT_EQ(points(only_run().id, "fine").size(), 1u);
}

TEST_F(TrackingCallbackTest, DuplicateOrEmptyModelNamesAreRefusedBeforeAnythingStarts) {
  track(tracking_options());
  torch::nn::Linear other(4, 3);
  EXPECT_THROW(callbacks.on_train_begin({{"net", *model}, {"net", *other}}),
               tracker::InvalidArgument);
  EXPECT_THROW(callbacks.on_train_begin({{"", *model}}), tracker::InvalidArgument);
  EXPECT_THROW(callbacks.on_train_begin(std::vector<NamedModel>{}), tracker::InvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(store_uri()));
}

tracker::RankOptions job_rank(int rank) {
  tracker::RankOptions options;
  options.job_id = "tiny-job";
  options.rank = rank;
  options.world_size = 2;
  options.local_rank = rank;
  return options;
}

TEST_F(TrackingCallbackTest, RanksOfOneJobShareOneRunAndRankZeroRecordsTheValues) {
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1));
  track(tracking_options().rank(job_rank(1)).params({{"from", "rank 1"}}));
  train(callbacks, model, optimizer, data, epochs(1));
  EXPECT_EQ(only_run().status, RunStatus::kRunning) << "rank 0 has not ended";
  track(tracking_options().rank(job_rank(0)));
  train(callbacks, model, optimizer, data, epochs(1));

  const auto run = only_run();
  EXPECT_EQ(run.status, RunStatus::kFinished);
  EXPECT_EQ(run.params.at("distributed").at("world_size"), 2);
  EXPECT_FALSE(run.params.contains("from")) << "params are rank 0's";
  EXPECT_EQ(run.results.at("steps"), TinyProblem::kBatches);
  EXPECT_EQ(points(run.id, "loss").size(), static_cast<std::size_t>(TinyProblem::kBatches));
  tracker::Store store(store_uri());
  const auto ranks = store.ranks(run.id);
  ASSERT_EQ(ranks.size(), 2u);
  EXPECT_EQ(ranks[1].device, "cpu");
  EXPECT_EQ(ranks[1].local_rank, 1);
  for (const auto& series : store.series(run.id)) {
    if (series.key.context.value("rank", 0) != 1) continue;
    EXPECT_EQ(series.key.name.rfind("sys.", 0), 0u)
        << series.key.qualified_name() << ": rank 1 records its system metrics only";
  }
  EXPECT_FALSE(points(run.id, "sys.rss_bytes{rank=0}").empty());
  EXPECT_FALSE(points(run.id, "sys.rss_bytes{rank=1}").empty());
}

TEST_F(TrackingCallbackTest, LogAllRanksWritesEachRanksValuesWithItsRank) {
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1));
  track(tracking_options().rank(job_rank(1)).log_all_ranks(true).system_metrics_interval(0));
  train(callbacks, model, optimizer, data, epochs(1));
  const auto run = only_run();
  EXPECT_EQ(points(run.id, "loss{rank=1}").size(), static_cast<std::size_t>(TinyProblem::kBatches));
  EXPECT_EQ(points(run.id, "loss{rank=1,subset=val}").size(), 1u);
  tracker::Store store(store_uri());
  for (const auto& series : store.series(run.id)) {
    EXPECT_EQ(series.key.context.value("rank", -1), 1) << series.key.qualified_name();
  }
}

TEST_F(TrackingCallbackTest, AnotherRanksStopRequestAbortsThisRankAtItsNextStep) {
  tracker::StoreOptions store_options;
  store_options.handle_signals = false;
  store_options.stop_poll_interval = std::chrono::milliseconds(20);
  tracker::Store store(store_uri(), store_options);
  tracker::RunOptions run_options;
  run_options.experiment = "tests";
  tracker::Run other = store.join_run(run_options, job_rank(1));
  tracker::StopRequest request;
  request.step = 9;
  request.value = std::numeric_limits<double>::infinity();
  request.message = "divergence (error): loss is inf";
  other.request_stop(request);

  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1));
  Session session(tracking_options().rank(job_rank(0)).store_options(store_options));
  LoopOptions loop = epochs(3);
  loop.after_epoch = [] { std::this_thread::sleep_for(std::chrono::milliseconds(300)); };
  try {
    train(session.callbacks(), model, optimizer, data, loop);
    FAIL() << "rank 0 went on";
  } catch (const RunAborted& e) {
    EXPECT_EQ(e.step(), 9);
    EXPECT_NE(std::string(e.what()).find("rank 1 stopped the job at step 9 (value Infinity)"),
              std::string::npos)
        << e.what();
  }
  other.finish(tracker::RunStatus::kAborted, request.message);
  const auto run = only_run();
  EXPECT_EQ(run.status, RunStatus::kAborted);
  EXPECT_EQ(run.error, "rank 1 at step 9 (value Infinity): divergence (error): loss is inf");
  EXPECT_EQ(store.ranks(run.id).at(0).status, RunStatus::kAborted);
  EXPECT_LE(points(run.id, "loss").size(), static_cast<std::size_t>(2 * TinyProblem::kBatches));
}

}  // namespace
}  // namespace vigil::plugin::testing
