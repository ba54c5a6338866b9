#pragma once

// Shared setup of the `vigil` end-to-end tests: a store in a fresh temp directory seeded with
// the tracker API, and a helper that runs the real binary against it.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process.h"
#include "temp_dir.h"
#include "vigil/tracker.h"

namespace vigil::testing {

/// Ids of the runs seed_store() creates.
struct SeededRuns {
  std::string baseline;  ///< mnist, sgd lr 0.01, tags baseline+cpu, loss and val accuracy
  std::string high_lr;   ///< mnist, adam lr 0.5, tag cpu, a NaN loss point
  std::string cifar;     ///< cifar, lr 0.001, failed ("out of memory")
};

class CliTest : public ::testing::Test {
 protected:
  /// The store tests seed and `vigil --store` opens: store_ when a backend-parameterised test
  /// set it (store_uris.h), else an SQLite file in the test's directory.
  std::string store_path() const { return store_.empty() ? dir_.file("store.db") : store_; }

  tracker::StoreOptions store_options() const {
    tracker::StoreOptions options;
    options.handle_signals = false;
    options.flush_interval = std::chrono::milliseconds(10);
    return options;
  }

  /// Runs `vigil --store STORE ARGS...` with TZ=UTC and no VIGIL_STORE.
  ProcessResult vigil(const std::vector<std::string>& args, const std::string& stdin_text = {}) {
    std::vector<std::string> argv = {VIGIL_CLI_PATH, "--store", store_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return vigil_raw(argv, stdin_text);
  }

  /// Runs the binary with exactly `argv` (argv[0] included).
  ProcessResult vigil_raw(const std::vector<std::string>& argv, const std::string& stdin_text = {},
                          ProcessOptions options = {}) {
    options.env.emplace("TZ", "UTC");
    options.env.emplace("VIGIL_STORE", std::nullopt);
    options.env.emplace("COLUMNS", std::nullopt);
    options.stdin_text = stdin_text;
    return run_process(argv, options);
  }

  /// A finished run with the given name, experiment, params and one `loss` point per value.
  std::string add_run(const std::string& name, const std::string& experiment,
                      const nlohmann::json& params, const std::vector<double>& losses = {1.0},
                      const std::vector<std::string>& tags = {}) {
    tracker::Store store(store_path(), store_options());
    tracker::RunOptions options;
    options.name = name;
    options.experiment = experiment;
    options.params = params;
    options.tags = tags;
    tracker::Run run = store.start_run(options);
    for (std::size_t step = 0; step < losses.size(); ++step) {
      run.log_metric("loss", losses[step], static_cast<std::int64_t>(step));
    }
    run.finish();
    return run.id();
  }

  /// Three runs covering params, tags, statuses, a context series and a NaN point.
  SeededRuns seed_store() {
    SeededRuns ids;
    tracker::Store store(store_path(), store_options());
    {
      tracker::RunOptions options;
      options.name = "baseline";
      options.experiment = "mnist";
      options.params = {{"optimizer", {{"name", "sgd"}, {"lr", 0.01}}}, {"batch_size", 64}};
      options.tags = {"baseline", "cpu"};
      tracker::Run run = store.start_run(options);
      for (int step = 0; step < 10; ++step) run.log_metric("loss", 1.0 / (step + 1), step);
      for (int epoch = 0; epoch < 3; ++epoch) {
        run.log_metric("accuracy", 0.8 + 0.05 * epoch, (epoch + 1) * 10, epoch,
                       {{"subset", "val"}});
      }
      run.log_results({{"final_accuracy", 0.9}});
      run.finish();
      ids.baseline = run.id();
    }
    {
      tracker::RunOptions options;
      options.name = "high-lr";
      options.experiment = "mnist";
      options.params = {{"optimizer", {{"name", "adam"}, {"lr", 0.5}}}, {"batch_size", 64}};
      options.tags = {"cpu"};
      tracker::Run run = store.start_run(options);
      run.log_metric("loss", 2.0, 0);
      run.log_metric("loss", 5.0, 1);
      run.log_metric("loss", std::numeric_limits<double>::quiet_NaN(), 2);
      run.finish();
      ids.high_lr = run.id();
    }
    {
      tracker::RunOptions options;
      options.name = "resnet, \"big\"";  // needs CSV quoting
      options.experiment = "cifar";
      options.params = {{"lr", 0.001}};
      tracker::Run run = store.start_run(options);
      run.log_metric("loss", 3.0, 0);
      run.log_metric("loss", 2.5, 1);
      run.finish(tracker::RunStatus::kFailed, "out of memory");
      ids.cifar = run.id();
    }
    return ids;
  }

  static nlohmann::json parse_json(const std::string& text) {
    return nlohmann::json::parse(text);  // throws (fails the test) on malformed output
  }

  /// Lines of `text` without the trailing empty one.
  static std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> result;
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      result.push_back(text.substr(start, end - start));
      start = end + 1;
    }
    return result;
  }

  TempDir dir_;
  std::string store_;  ///< see store_path()
};

/// Asserts the one-line error contract: exit code, exactly one stderr line "vigil: error: ...",
/// containing `fragment`.
inline void expect_error(const ProcessResult& result, int exit_code, const std::string& fragment) {
  EXPECT_EQ(result.exit_code, exit_code) << result.err;
  EXPECT_EQ(result.err.rfind("vigil: error: ", 0), 0u) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_NE(result.err.find(fragment), std::string::npos)
      << "expected '" << fragment << "' in: " << result.err;
}

}  // namespace vigil::testing
