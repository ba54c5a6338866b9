#include <algorithm>
#include <cmath>
#include <fstream>

#include <vigil/rules/rule_set.h>

#include "plugin_fixture.h"

namespace vigil::plugin::testing {
namespace {

using tracker::RunStatus;

// A rules file body with the given rules (JSON array text).
rules::RuleSet rule_set(const std::string& rules_json) {
  return rules::RuleSet::parse(R"({"name": "test-policy", "rules": )" + rules_json + "}",
                               "test-policy");
}

const char* kLrRange = R"({"id": "lr-range", "kind": "range", "severity": "error",
                           "path": ["params.lr", "params.optimizer.lr"],
                           "min": 0.0001, "max": 0.1})";
const char* kMinEpochs = R"({"id": "min-epochs", "kind": "min", "severity": "warning",
                             "path": "params.epochs", "min": 10})";

class GuardCallbackTest : public PluginTest {
 protected:
  std::unique_ptr<Session> session;

  void guard(const std::string& rules_json) {
    session =
        std::make_unique<Session>(tracking_options(), GuardOptions().rules(rule_set(rules_json)));
  }
};

TEST_F(GuardCallbackTest, RefusedRunTakesNoStepAndIsStoredRejectedWithItsValidation) {
  guard(std::string("[") + kLrRange + "," + kMinEpochs + "]");
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.5));
  const auto before = parameter_copies();

  try {
    train(session->callbacks(), model, optimizer, data);
    FAIL() << "expected RunRejected";
  } catch (const RunRejected& e) {
    ASSERT_EQ(e.violations().size(), 2u);
    const std::string message = e.what();
    // A summary line, then one line per violation.
    EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 2) << message;
    EXPECT_NE(message.find("lr-range (error)"), std::string::npos) << message;
    EXPECT_NE(message.find("min-epochs (warning)"), std::string::npos) << message;
  }

  const auto after = model->parameters();
  ASSERT_EQ(before.size(), after.size());
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(torch::equal(before[i], after[i]));

  const auto run = only_run();
  EXPECT_EQ(run.status, RunStatus::kRejected);
  EXPECT_NE(run.error.find("lr-range"), std::string::npos) << run.error;
  EXPECT_EQ(run.verdict, "FAIL");
  tracker::Store store(store_uri());
  const auto validations = store.validations(run.id);
  ASSERT_EQ(validations.size(), 1u);
  EXPECT_EQ(validations[0].phase, "pre");
  EXPECT_EQ(validations[0].verdict, "FAIL");
  EXPECT_EQ(validations[0].rules_name, "test-policy");
  EXPECT_TRUE(run.metrics.empty()) << "no step may be recorded";
}

TEST_F(GuardCallbackTest, WarningsAreStoredAndTrainingProceedsToAScoredVerdict) {
  guard(std::string("[") + kLrRange + "," + kMinEpochs + "]");
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.05));
  const LoopResult loop = train(session->callbacks(), model, optimizer, data);

  EXPECT_EQ(loop.optimizer_steps, 3 * TinyProblem::kBatches);
  ASSERT_TRUE(session->guard()->pre_report());
  EXPECT_EQ(session->guard()->pre_report()->counts.warning, 1);
  const auto& final_report = session->guard()->final_report();
  ASSERT_TRUE(final_report);
  EXPECT_EQ(final_report->verdict, rules::Verdict::kPass);
  EXPECT_EQ(final_report->counts.warning, 1);
  EXPECT_LT(final_report->score, 100.0);

  const auto run = only_run();
  EXPECT_EQ(run.status, RunStatus::kFinished);
  EXPECT_EQ(run.verdict, "PASS");
  EXPECT_DOUBLE_EQ(*run.score, final_report->score);
  EXPECT_NE(std::find(run.tags.begin(), run.tags.end(), "validated"), run.tags.end());
  tracker::Store store(store_uri());
  const auto validations = store.validations(run.id);
  ASSERT_EQ(validations.size(), 2u);  // the pre-training warning, then the final verdict
  EXPECT_EQ(validations[0].phase, "pre");
  EXPECT_EQ(validations[1].phase, "all");
}

TEST_F(GuardCallbackTest, NonFiniteLossAbortsAtThatStepBeforeTheOptimizerStep) {
  guard(R"([{"id": "finite-loss", "kind": "non_finite", "metric": "loss"}])");
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.05));
  LoopOptions options;
  options.scale_loss_at = {{6, std::numeric_limits<double>::quiet_NaN()}};
  LoopResult loop;
  try {
    train(session->callbacks(), model, optimizer, data, options);
    FAIL() << "expected RunAborted";
  } catch (const RunAborted& e) {
    EXPECT_EQ(e.step(), 6);
    EXPECT_TRUE(std::isnan(e.value()));
    EXPECT_NE(std::string(e.what()).find("finite-loss"), std::string::npos) << e.what();
  }
  // The NaN gradient never reached the weights.
  for (const auto& p : model->parameters()) EXPECT_TRUE(torch::isfinite(p).all().item<bool>());

  const auto run = only_run();
  EXPECT_EQ(run.status, RunStatus::kAborted);
  EXPECT_NE(run.error.find("step 6"), std::string::npos) << run.error;
  EXPECT_NE(run.error.find("NaN"), std::string::npos) << run.error;
  EXPECT_EQ(run.verdict, "FAIL");
  EXPECT_EQ(points(run.id, "loss").size(), 7u);  // steps 0-6, the NaN included
}

TEST_F(GuardCallbackTest, NonFiniteNamedLossAbortsUnderTheDefaultPolicy) {
  session = std::make_unique<Session>(tracking_options(), GuardOptions());
  TinyGan gan;
  try {
    train_gan(session->callbacks(), gan, /*epochs=*/1, /*steps_per_epoch=*/6, /*nan_d_loss_at=*/3);
    FAIL() << "expected RunAborted";
  } catch (const RunAborted& e) {
    EXPECT_EQ(e.step(), 3);
    EXPECT_TRUE(std::isnan(e.value()));
  }
  // Stopped before the discriminator's step of that batch.
  for (const auto& p : gan.discriminator->parameters()) {
    EXPECT_TRUE(torch::isfinite(p).all().item<bool>());
  }
  const auto run = only_run();
  EXPECT_EQ(run.status, RunStatus::kAborted);
  EXPECT_NE(run.error.find("step 3"), std::string::npos) << run.error;
  EXPECT_EQ(run.verdict, "FAIL");
  EXPECT_EQ(points(run.id, "d_loss").size(), 4u);
  EXPECT_EQ(points(run.id, "g_loss").size(), 3u);
}

TEST_F(GuardCallbackTest, RuleOnALoggedValueAbortsAtItsStep) {
  guard(R"json([{"id": "d-of-x", "kind": "divergence", "metric": "D(x)", "min": 0.9999}])json");
  TinyGan gan;
  EXPECT_THROW(train_gan(session->callbacks(), gan, 1, 4), RunAborted);
  const auto run = only_run();
  EXPECT_EQ(run.status, RunStatus::kAborted);
  EXPECT_NE(run.error.find("d-of-x"), std::string::npos) << run.error;
  EXPECT_NE(run.error.find("step 0"), std::string::npos) << run.error;
}

TEST_F(GuardCallbackTest, DivergingLossAbortsTheRun) {
  guard(R"([{"id": "loss-bound", "kind": "divergence", "metric": "loss", "max": 50}])");
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.05));
  LoopOptions options;
  options.scale_loss_at = {{3, 1000.0}};
  EXPECT_THROW(train(session->callbacks(), model, optimizer, data, options), RunAborted);
  const auto run = only_run();
  EXPECT_EQ(run.status, RunStatus::kAborted);
  EXPECT_NE(run.error.find("step 3"), std::string::npos) << run.error;
}

TEST_F(GuardCallbackTest, PlateauStopsGracefullyAtTheEndOfTheEpoch) {
  guard(R"([{"id": "val-plateau", "kind": "plateau", "metric": "loss{subset=val}",
             "patience": 2, "severity": "info"}])");
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.05));
  LoopOptions options;
  options.epochs = 10;
  options.validation = [](std::int64_t) { return MetricMap{{"loss", 1.0}, {"accuracy", 0.5}}; };
  const LoopResult loop = train(session->callbacks(), model, optimizer, data, options);

  // Epoch 0 sets the best value; epochs 1 and 2 do not improve: stop after epoch 2, whole.
  EXPECT_EQ(loop.epochs, 3);
  EXPECT_EQ(loop.optimizer_steps, 3 * TinyProblem::kBatches);
  const auto& control = session->callbacks().state().control;
  EXPECT_EQ(control.mode(), StopMode::kEndOfEpoch);
  EXPECT_NE(control.reason().find("val-plateau"), std::string::npos) << control.reason();
  EXPECT_EQ(only_run().status, RunStatus::kFinished);
}

TEST_F(GuardCallbackTest, ReachedTargetStopsGracefully) {
  guard(R"([{"id": "good-enough", "kind": "target", "metric": "accuracy{subset=val}",
             "value": 0.8}])");
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.05));
  LoopOptions options;
  options.epochs = 10;
  options.validation = [](std::int64_t epoch) {
    return MetricMap{{"loss", 1.0}, {"accuracy", epoch == 0 ? 0.5 : 0.85}};
  };
  const LoopResult loop = train(session->callbacks(), model, optimizer, data, options);
  EXPECT_EQ(loop.epochs, 2);
  EXPECT_EQ(session->guard()->stop_reason().find("good-enough"), 0u);
  EXPECT_DOUBLE_EQ(only_run().results.at("final_accuracy").get<double>(), 0.85);
}

TEST_F(GuardCallbackTest, FailedPostTrainingRuleGivesAStoredFailVerdict) {
  guard(R"([{"id": "accurate", "kind": "metric_threshold", "metric": "accuracy{subset=val}",
             "threshold": 0.99, "severity": "error"}])");
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.05));
  LoopOptions options;
  options.validation = [](std::int64_t) { return MetricMap{{"loss", 1.0}, {"accuracy", 0.6}}; };
  train(session->callbacks(), model, optimizer, data, options);

  const auto run = only_run();
  EXPECT_EQ(run.status, RunStatus::kFinished);  // trained: the verdict does not change that
  EXPECT_EQ(run.verdict, "FAIL");
  EXPECT_NE(std::find(run.tags.begin(), run.tags.end(), "FAIL"), run.tags.end());
  EXPECT_EQ(session->guard()->final_report()->violations.at(0).rule_id, "accurate");
}

TEST_F(GuardCallbackTest, BadRulesFileIsRejectedWhenTheSessionIsCreated) {
  const std::string path = dir.file("rules.json");
  std::ofstream(path) << R"({"rules": [{"id": "x", "kind": "no-such-kind"}]})";
  EXPECT_THROW(Session(tracking_options(), GuardOptions().rules_file(path)), rules::RulesError);
}

TEST(GuardErrors, RefusedExitsThreeAndAbortedFourUnderTheOneRoot) {
  const vigil::Error& rejected = RunRejected("refused", rules::Report{});
  EXPECT_EQ(rejected.exit_code(), kExitRefused);
  EXPECT_EQ(rejected.exit_code(), 3);
  const vigil::Error& aborted = RunAborted("aborted", rules::Report{}, 12, std::nan(""));
  EXPECT_EQ(aborted.exit_code(), kExitAborted);
  EXPECT_EQ(aborted.exit_code(), 4);
}

TEST(GuardErrors, MisuseOfThePluginThrowsVigilInvalidArgument) {
  CallbackList callbacks;
  EXPECT_THROW(callbacks.add(nullptr), vigil::InvalidArgument);
  EXPECT_THROW(GuardCallback(nullptr), vigil::InvalidArgument);
}

}  // namespace
}  // namespace vigil::plugin::testing
