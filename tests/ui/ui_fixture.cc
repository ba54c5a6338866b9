#include "ui_fixture.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <stdexcept>
#include <utility>

#include "vigil/tracker.h"

namespace vigil::testing {
namespace {

tracker::StoreOptions quiet_options() {
  tracker::StoreOptions options;
  options.handle_signals = false;
  options.flush_interval = std::chrono::milliseconds(50);
  return options;
}

tracker::ValidationRecord validation(const std::string& run_id, const std::string& verdict,
                                     double score, nlohmann::json violations) {
  tracker::ValidationRecord record;
  record.run_id = run_id;
  record.rules_name = "default";
  record.rules_hash = "0123abcd";
  record.phase = "all";
  record.verdict = verdict;
  record.score = score;
  record.violations = std::move(violations);
  record.report = {{"verdict", verdict}, {"score", score}};
  return record;
}

nlohmann::json violation(const std::string& rule, const std::string& severity,
                         const std::string& path, const std::string& message, nlohmann::json actual,
                         const std::string& expected) {
  return {{"rule_id", rule},
          {"kind", "range"},
          {"phase", "pre"},
          {"severity", severity},
          {"path", path},
          {"message", message},
          {"actual", std::move(actual)},
          {"expected", expected},
          {"not_evaluable", false}};
}

// A forked child that writes into the store and dies with its runs still open (no finish(),
// no destructors: they stay `running` with a dead pid, which readers report as crashed).
// `body` ends by calling report(run id); the child then waits until die() lets it go, so the
// parent can act while it is alive. Fork it while no Store (and none of its threads) lives
// in this process.
class DyingChild {
 public:
  using Report = std::function<void(const std::string&)>;
  explicit DyingChild(const std::function<void(const Report&)>& body) {
    int ids[2], go[2];
    if (pipe(ids) != 0 || pipe(go) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      close(ids[0]);
      close(go[1]);
      body([&](const std::string& id) {
        ssize_t written = write(ids[1], id.data(), id.size());
        char byte = 0;
        (void)written;
        (void)read(go[0], &byte, 1);  // returns when the parent closes its end
        _exit(0);
      });
      _exit(1);  // body did not report
    }
    close(ids[1]);
    close(go[0]);
    go_ = go[1];
    char buffer[64] = {};
    const ssize_t n = read(ids[0], buffer, sizeof(buffer) - 1);
    close(ids[0]);
    if (n <= 0) throw std::runtime_error("forked fixture child wrote no id");
    id_.assign(buffer, static_cast<std::size_t>(n));
  }
  DyingChild(const DyingChild&) = delete;
  DyingChild& operator=(const DyingChild&) = delete;
  ~DyingChild() { die(); }

  const std::string& id() const { return id_; }
  void die() {
    if (go_ < 0) return;
    close(go_);
    go_ = -1;
    int status = 0;
    waitpid(pid_, &status, 0);
  }

 private:
  pid_t pid_ = -1;
  int go_ = -1;
  std::string id_;
};

// A run left `running` by a process that no longer exists: readers report it crashed.
std::string write_crashed_run(const std::string& path) {
  DyingChild child([&](const DyingChild::Report& report) {
    tracker::Store store(path, quiet_options());
    tracker::RunOptions options;
    options.name = "crashed-run";
    options.experiment = "mnist";
    options.params = {{"optimizer", {{"name", "adam"}, {"lr", 0.003}}}, {"batch_size", 32}};
    auto run = store.start_run(options);
    for (int step = 0; step < 20; ++step) run.log_metric("loss", 2.0 - 0.05 * step, step);
    run.flush();
    report(run.id());
  });
  return child.id();
}

void write_finished_runs(const std::string& path, DemoRuns& ids) {
  tracker::Store store(path, quiet_options());
  {
    tracker::RunOptions options;
    options.name = "baseline-adam";
    options.experiment = "mnist";
    options.tags = {"baseline", "adam"};
    options.params = {{"optimizer", {{"name", "adam"}, {"lr", 0.001}, {"betas", {0.9, 0.999}}}},
                      {"batch_size", 64},
                      {"epochs", 3},
                      {"seed", 1},
                      {"model", {{"name", "mlp"}, {"parameters", 101770}}}};
    auto run = store.start_run(options);
    auto loss = run.metric("loss");
    for (int step = 0; step < 300; ++step) {
      loss.log(2.3 * std::exp(-step / 100.0) + 0.05, step, step / 100);
    }
    const double val_acc[] = {0.80, 0.88, 0.91};
    for (int epoch = 0; epoch < 3; ++epoch) {
      run.log_metric("accuracy", val_acc[epoch], (epoch + 1) * 100, epoch, {{"subset", "val"}});
      run.log_metric("loss", 0.6 - 0.15 * epoch, (epoch + 1) * 100, epoch, {{"subset", "val"}});
    }
    run.log_results({{"final_accuracy", 0.91}, {"best_accuracy", 0.91}, {"final_loss", 0.3}});
    run.finish();
    ids.baseline = run.id();
  }
  {
    tracker::RunOptions options;
    options.name = "sgd-high-lr";
    options.experiment = "mnist";
    options.tags = {"sgd"};
    options.params = {{"optimizer", {{"name", "sgd"}, {"lr", 0.1}, {"momentum", 0.9}}},
                      {"batch_size", 128},
                      {"epochs", 3},
                      {"seed", 2}};
    auto run = store.start_run(options);
    auto loss = run.metric("loss");
    for (int step = 0; step < 300; ++step) {
      loss.log(1.5 * std::exp(-step / 200.0) + 0.3 + 0.05 * std::sin(step), step, step / 100);
    }
    const double val_acc[] = {0.60, 0.70, 0.72};
    for (int epoch = 0; epoch < 3; ++epoch) {
      run.log_metric("accuracy", val_acc[epoch], (epoch + 1) * 100, epoch, {{"subset", "val"}});
    }
    run.log_results({{"final_accuracy", 0.72}});
    run.finish();
    ids.sgd = run.id();
  }
  {
    tracker::RunOptions options;
    options.name = kXssName;
    options.experiment = "security";
    options.tags = {"xss"};
    options.params = {{"note", "<script>alert(2)</script>"}};
    auto run = store.start_run(options);
    run.log_metric("loss", 1.0, 0);
    run.log_metric("loss", 0.5, 1);
    run.finish();
    ids.xss = run.id();
  }
  {
    tracker::RunOptions options;
    options.name = "diverged";
    options.experiment = "mnist";
    options.tags = {"sgd"};
    options.params = {{"optimizer", {{"name", "sgd"}, {"lr", 1.0}}}, {"batch_size", 64}};
    auto run = store.start_run(options);
    run.log_metric("loss", 2.0, 0);
    run.log_metric("loss", 9.0, 1);
    run.log_metric("loss", std::numeric_limits<double>::infinity(), 2);
    run.log_metric("loss", std::numeric_limits<double>::quiet_NaN(), 3);
    run.finish(tracker::RunStatus::kFailed, "loss became NaN at step 3");
    ids.failed = run.id();
  }
}

}  // namespace

std::string add_job_run(const std::string& path) {
  tracker::RankOptions rank;
  rank.job_id = "e2e-ddp";
  rank.world_size = 2;
  tracker::RunOptions options;
  options.name = "ddp-job";
  options.experiment = "ddp";
  // Rank 1 joins, logs its own loss series and dies (as under kill -9) once rank 0 has joined
  // (a job whose run reads as crashed takes no new rank).
  DyingChild rank1([&](const DyingChild::Report& report) {
    tracker::Store store(path, quiet_options());
    tracker::RankOptions one = rank;
    one.rank = 1;
    one.local_rank = 1;
    one.device = "cpu:1";
    auto run = store.join_run(options, one);
    for (int step = 0; step < 30; ++step) {
      run.log_metric("loss", 2.5 - 0.05 * step, step, std::nullopt, {{"rank", 1}});
    }
    run.flush();
    report(run.id());
  });
  tracker::Store store(path, quiet_options());
  rank.device = "cpu:0";
  auto run = store.join_run(options, rank);
  rank1.die();
  for (int step = 0; step < 30; ++step) run.log_metric("loss", 2.0 - 0.05 * step, step);
  run.finish();
  return run.id();
}

nlohmann::json DemoRuns::to_json() const {
  return {
      {"baseline", baseline}, {"sgd", sgd}, {"xss", xss}, {"failed", failed}, {"crashed", crashed}};
}

DemoRuns fill_demo_store(const std::string& path) {
  DemoRuns ids;
  write_finished_runs(path, ids);
  // Forked only now, while no Store (and none of its threads) lives in this process.
  ids.crashed = write_crashed_run(path);
  tracker::Store store(path, quiet_options());
  store.add_validation(validation(
      ids.baseline, "PASS", 95.0,
      nlohmann::json::array(
          {violation("seed-set", "warning", "seed", "seed is fixed to 1", 1, "not 1")})));
  store.add_validation(validation(
      ids.sgd, "FAIL", 40.0,
      nlohmann::json::array({violation("lr-range", "error", "optimizer.lr",
                                       "learning rate 0.1 is too high", 0.1, "in [0.0001, 0.01]"),
                             violation("batch-size", "warning", "batch_size",
                                       "batch size 128 is large", 128, "<= 64")})));
  return ids;
}

void add_bulk_runs(const std::string& path, std::size_t count) {
  tracker::Store store(path, quiet_options());
  for (std::size_t i = 0; i < count; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "bulk-%05zu", i);
    tracker::RunOptions options;
    options.name = name;
    options.experiment = "bulk-" + std::to_string(i % 5);
    options.tags = {"bulk", i % 2 == 0 ? "even" : "odd"};
    options.params = {
        {"optimizer",
         {{"name", i % 3 == 0 ? "sgd" : "adam"}, {"lr", std::pow(10.0, -1.0 - i % 4)}}},
        {"batch_size", 32 << (i % 3)},
        {"seed", i}};
    options.command = "bulk";
    auto run = store.start_run(options);
    auto loss = run.metric("loss");
    for (int step = 0; step < 10; ++step) {
      loss.log(1.0 / (1.0 + step) + 0.001 * static_cast<double>(i % 100), step);
    }
    for (int epoch = 0; epoch < 3; ++epoch) {
      run.log_metric("accuracy", 0.5 + 0.1 * epoch + 0.001 * static_cast<double>(i % 50),
                     epoch * 10, epoch, {{"subset", "val"}});
    }
    run.finish(i % 10 == 9 ? tracker::RunStatus::kFailed : tracker::RunStatus::kFinished,
               i % 10 == 9 ? "bulk failure" : "");
  }
}

namespace {

// model.* params exactly as the plugin logs them for vigil-mnist's CNN (hyperparams.cc
// model_params: the children's pretty_print lines and the whole module's multi-line print).
nlohmann::json mnist_cnn_model_params() {
  const char* conv1 = "torch::nn::Conv2d(1, 16, kernel_size=[3, 3], stride=[1, 1], padding=[1, 1])";
  const char* conv2 =
      "torch::nn::Conv2d(16, 32, kernel_size=[3, 3], stride=[1, 1], padding=[1, 1])";
  const char* dropout = "torch::nn::Dropout(p=0.25, inplace=false)";
  const char* fc1 = "torch::nn::Linear(in_features=1568, out_features=128, bias=true)";
  const char* fc2 = "torch::nn::Linear(in_features=128, out_features=10, bias=true)";
  nlohmann::json children = nlohmann::json::array();
  std::string structure = "Cnn(\n";
  for (const auto& [name, module] :
       {std::pair{"conv1", conv1}, std::pair{"conv2", conv2}, std::pair{"dropout", dropout},
        std::pair{"fc1", fc1}, std::pair{"fc2", fc2}}) {
    children.push_back({{"name", name}, {"module", module}});
    structure += std::string("  (") + name + "): " + module + "\n";
  }
  structure += ")";
  return {{"name", "cnn"},
          {"parameters", 206922},
          {"trainable_parameters", 206922},
          {"children", std::move(children)},
          {"structure", structure}};
}

}  // namespace

std::vector<std::string> add_mnist_like_runs(const std::string& path, std::size_t count) {
  tracker::Store store(path, quiet_options());
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < count; ++i) {
    const bool sgd = i % 2 == 1;
    const double lr = sgd ? 0.05 : 0.001 * static_cast<double>(1 + i);
    tracker::RunOptions options;
    // vigil-mnist's default names are short; the last run has a long one, as users write them.
    options.name = i + 1 == count ? "cnn-sgd-lr0.05-fashion-mnist-ablation-without-dropout-"
                                    "and-with-a-much-longer-warmup-schedule-seed-1234"
                                  : std::string("cnn-") + (sgd ? "sgd" : "adam") + "-lr" +
                                        std::to_string(lr).substr(0, 5);
    options.experiment = "mnist-real";
    options.tags = {"mnist-like"};
    nlohmann::json optimizer = {
        {"name", sgd ? "sgd" : "adam"}, {"lr", lr}, {"param_groups", 1}, {"weight_decay", 0.0}};
    if (sgd) optimizer.update({{"momentum", 0.9}, {"dampening", 0.0}, {"nesterov", false}});
    if (!sgd) optimizer.update({{"betas", {0.9, 0.999}}, {"eps", 1e-8}, {"amsgrad", false}});
    options.params = {
        {"optimizer", optimizer},
        {"model", mnist_cnn_model_params()},
        {"dataset", {{"name", "fashion-mnist"}, {"train_samples", 512}, {"test_samples", 10000}}},
        {"batch_size", 64},
        {"epochs", 1},
        {"seed", 1 + i},
        {"device", "cpu"},
        {"libtorch_version", "2.4.1"},
        {"host", "e2e-host"},
        {"layers", {{"layer_10", 10}, {"layer_2", 2}, {"layer_1", 1}}}};
    options.command = "vigil-mnist --limit 512 --epochs 1";
    auto run = store.start_run(options);
    auto loss = run.metric("loss");
    for (int step = 0; step < 8; ++step) {
      loss.log(2.3 / (1.0 + 0.3 * step) + 0.05 * static_cast<double>(i), step, 0);
    }
    run.log_metric("accuracy", 0.70 + 0.03 * static_cast<double>(i), 8, 0, {{"subset", "val"}});
    run.finish();
    ids.push_back(run.id());
  }
  return ids;
}

nlohmann::json add_runs_without_points(const std::string& path) {
  tracker::Store store(path, quiet_options());
  tracker::RunOptions options;
  options.experiment = "no-points";
  options.name = "no-metrics";
  auto bare = store.start_run(options);
  bare.finish();
  options.name = "declared-only";
  auto declared = store.start_run(options);
  [[maybe_unused]] auto loss = declared.metric("loss");  // declared, never logged
  declared.finish();
  return {{"no_metrics", bare.id()}, {"declared", declared.id()}};
}

std::string add_long_series_run(const std::string& path, std::size_t points) {
  tracker::StoreOptions options = quiet_options();
  options.max_buffered_points = points + 1;
  tracker::Store store(path, options);
  tracker::RunOptions run_options;
  run_options.name = "long-series";
  run_options.experiment = "bench";
  auto run = store.start_run(run_options);
  auto loss = run.metric("loss");
  for (std::size_t step = 0; step < points; ++step) {
    const double x = static_cast<double>(step);
    loss.log(1.0 / (1.0 + x / 1000.0) + 0.01 * std::sin(x / 50.0), static_cast<std::int64_t>(step));
  }
  run.finish();
  return run.id();
}

}  // namespace vigil::testing
