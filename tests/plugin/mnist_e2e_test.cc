// End-to-end tests of vigil-mnist: the real binary on small IDX fixtures written here.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <vigil/tracker.h>
#include <nlohmann/json.hpp>

#include "process.h"
#include "store_uris.h"
#include "temp_dir.h"

namespace {

using vigil::testing::run_process;
using vigil::tracker::RunStatus;

std::vector<std::uint8_t> idx_bytes(std::uint8_t dims, const std::vector<std::uint32_t>& sizes,
                                    const std::vector<std::uint8_t>& data) {
  std::vector<std::uint8_t> bytes = {0, 0, 0x08, dims};
  for (std::uint32_t size : sizes) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back((size >> shift) & 0xff);
  }
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes, bool gzip) {
  if (gzip) {
    gzFile file = gzopen((path + ".gz").c_str(), "wb");
    ASSERT_NE(file, nullptr);
    ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())),
              static_cast<int>(bytes.size()));
    gzclose(file);
  } else {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
  }
}

// A learnable 10-class problem: class c lights up rows 2c..2c+3 of a 28x28 image.
void write_split(const std::string& dir, const std::string& prefix, std::uint32_t count, bool gzip,
                 unsigned seed) {
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> noise(0, 60);
  std::vector<std::uint8_t> images(count * 28 * 28);
  std::vector<std::uint8_t> labels(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    const int label = static_cast<int>(i % 10);
    labels[i] = static_cast<std::uint8_t>(label);
    for (int r = 0; r < 28; ++r) {
      for (int c = 0; c < 28; ++c) {
        const bool lit = r >= 2 * label && r < 2 * label + 4;
        images[(i * 28 + r) * 28 + c] =
            static_cast<std::uint8_t>(lit ? 200 + noise(random) / 2 : noise(random));
      }
    }
  }
  write_file(dir + "/" + prefix + "-images-idx3-ubyte", idx_bytes(3, {count, 28, 28}, images),
             gzip);
  write_file(dir + "/" + prefix + "-labels-idx1-ubyte", idx_bytes(1, {count}, labels), gzip);
}

// Runs the command under an 8 GiB address-space limit (ulimit -v, in KiB).
const std::vector<std::string> kAddressSpaceLimit = {"/bin/sh", "-c",
                                                     "ulimit -v 8388608 && exec \"$@\"", "sh"};

class MnistExample : public ::testing::Test {
 protected:
  void write_dataset(bool gzip) {
    write_split(data_dir(), "train", 300, gzip, 1);
    write_split(data_dir(), "t10k", 100, gzip, 2);
  }
  std::string data_dir() const { return dir.path().string(); }
  std::string store() const { return dir.file("store/vigil.db"); }

  vigil::testing::ProcessResult run(std::vector<std::string> args, const std::string& model = "mlp",
                                    std::vector<std::string> wrapper = {},
                                    const std::string& store_uri = "") const {
    std::vector<std::string> argv = std::move(wrapper);
    for (std::string arg :
         {std::string(VIGIL_MNIST_BINARY), std::string("--data-dir"), data_dir(),
          std::string("--store"), store_uri.empty() ? store() : store_uri, std::string("--model"),
          model, std::string("--threads"), std::string("1")}) {
      argv.push_back(std::move(arg));
    }
    argv.insert(argv.end(), args.begin(), args.end());
    vigil::testing::ProcessOptions options;
    options.env["VIGIL_STORE"] = std::nullopt;
    return run_process(argv, options);
  }

  static int lines(const std::string& text) {
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  }

  vigil::testing::TempDir dir;
};

TEST_F(MnistExample, TrainsOnPlainIdxFilesAndRecordsTheRun) {
  write_dataset(/*gzip=*/false);
  const auto result = run({"--epochs", "2", "--name", "plain-run", "--batch-size", "32"});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("done: 2 epoch(s)"), std::string::npos) << result.out;

  vigil::tracker::Store store(this->store());
  const auto runs = store.list_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].name, "plain-run");
  EXPECT_EQ(runs[0].status, RunStatus::kFinished);
  EXPECT_EQ(runs[0].params.at("batch_size"), 32);
  EXPECT_EQ(runs[0].params.at("optimizer").at("name"), "adam");
  EXPECT_EQ(runs[0].params.at("dataset").at("train_samples"), 300);
  // 300 samples / 32 = 10 steps per epoch, one loss point each.
  const auto loss = store.points(runs[0].id, vigil::tracker::SeriesKey{"loss"});
  EXPECT_EQ(loss.size(), 20u);
  // Two epochs: the default policy's min-epochs warning, no error: PASS with a lower score.
  EXPECT_EQ(runs[0].verdict, "PASS");
  EXPECT_LT(*runs[0].score, 100.0);
  EXPECT_GT(runs[0].results.at("final_accuracy").get<double>(), 0.5);
}

TEST_F(MnistExample, TrainsOnGzipFilesWithLimit) {
  write_dataset(/*gzip=*/true);
  const auto result = run({"--epochs", "1", "--limit", "100", "--optimizer", "sgd"});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("100 training and 100 test images"), std::string::npos) << result.out;
  vigil::tracker::Store store(this->store());
  const auto runs = store.list_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].params.at("optimizer").at("name"), "sgd");
  EXPECT_EQ(runs[0].name, "mlp-sgd-lr0.05");
}

TEST_F(MnistExample, MalformedFileIsAOneLineErrorNamingTheFile) {
  write_dataset(/*gzip=*/false);
  const std::string images = data_dir() + "/train-images-idx3-ubyte";
  std::fstream(images, std::ios::in | std::ios::out | std::ios::binary).put('\x01');
  const auto result = run({"--epochs", "1"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(lines(result.err), 1) << result.err;
  EXPECT_NE(result.err.find(images + ": magic number 0x01000803; expected 0x00000803"),
            std::string::npos)
      << result.err;
}

TEST_F(MnistExample, TruncatedFileIsAOneLineErrorNamingTheFile) {
  write_dataset(/*gzip=*/true);
  write_file(data_dir() + "/t10k-labels-idx1-ubyte",
             idx_bytes(1, {100}, std::vector<std::uint8_t>(40, 1)),
             /*gzip=*/true);
  const auto result = run({"--epochs", "1"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(lines(result.err), 1) << result.err;
  EXPECT_NE(result.err.find("t10k-labels-idx1-ubyte.gz: truncated: expected 100 data bytes, "
                            "found 40"),
            std::string::npos)
      << result.err;
}

// A header claiming 2^34 data bytes (16 GiB) used to allocate them before reading any data:
// under an 8 GiB address-space limit that was std::bad_alloc instead of a data error.
TEST_F(MnistExample, HeaderClaimingMoreDataThanThePlainFileHoldsFailsBeforeAllocating) {
  write_dataset(/*gzip=*/false);
  const std::string images = data_dir() + "/train-images-idx3-ubyte";
  write_file(images, idx_bytes(3, {1u << 22, 64, 64}, std::vector<std::uint8_t>(100, 7)),
             /*gzip=*/false);
  const auto result = run({"--epochs", "1"}, "mlp", kAddressSpaceLimit);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_EQ(lines(result.err), 1) << result.err;
  EXPECT_NE(result.err.find(images + ": truncated: the header claims 17179869184 data bytes, "
                                     "the file holds 100"),
            std::string::npos)
      << result.err;
}

TEST_F(MnistExample, HeaderClaimingMoreDataThanTheGzipStreamHoldsFailsWithoutAllocating) {
  write_dataset(/*gzip=*/true);
  const std::string images = data_dir() + "/train-images-idx3-ubyte";
  write_file(images, idx_bytes(3, {1u << 22, 64, 64}, std::vector<std::uint8_t>(100, 7)),
             /*gzip=*/true);
  const auto result = run({"--epochs", "1"}, "mlp", kAddressSpaceLimit);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_EQ(lines(result.err), 1) << result.err;
  EXPECT_NE(result.err.find(images + ".gz: truncated: expected 17179869184 data bytes, found 100"),
            std::string::npos)
      << result.err;
}

// Images too small for the cnn used to fail with a LibTorch shape error inside training.
TEST_F(MnistExample, ImagesSmallerThanTheModelNeedsAreAOneLineDataError) {
  const std::vector<std::uint8_t> pixels(20 * 3 * 3, 100);
  std::vector<std::uint8_t> labels(20);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<std::uint8_t>(i % 10);
  for (const std::string prefix : {"train", "t10k"}) {
    write_file(data_dir() + "/" + prefix + "-images-idx3-ubyte", idx_bytes(3, {20, 3, 3}, pixels),
               false);
    write_file(data_dir() + "/" + prefix + "-labels-idx1-ubyte", idx_bytes(1, {20}, labels), false);
  }
  const auto result = run({"--epochs", "1"}, "cnn");
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_EQ(lines(result.err), 1) << result.err;
  EXPECT_NE(result.err.find("train-images-idx3-ubyte: images of 3x3; the cnn model needs at "
                            "least 4x4"),
            std::string::npos)
      << result.err;
}

TEST_F(MnistExample, TestImagesOfAnotherSizeAreAOneLineDataError) {
  write_dataset(/*gzip=*/false);
  const std::string test_images = data_dir() + "/t10k-images-idx3-ubyte";
  write_file(test_images, idx_bytes(3, {100, 20, 20}, std::vector<std::uint8_t>(100 * 400, 9)),
             false);
  const auto result = run({"--epochs", "1"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_EQ(lines(result.err), 1) << result.err;
  EXPECT_NE(result.err.find(test_images + ": images of 20x20; expected 28x28 like the training "
                                          "images"),
            std::string::npos)
      << result.err;
}

TEST_F(MnistExample, MissingFileIsAOneLineError) {
  const auto result = run({"--epochs", "1"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(lines(result.err), 1) << result.err;
  EXPECT_NE(result.err.find("train-images-idx3-ubyte: not found"), std::string::npos) << result.err;
}

TEST_F(MnistExample, LearningRateOutsideThePolicyIsRefusedWithExitCode3) {
  write_dataset(/*gzip=*/false);
  const auto result = run({"--epochs", "10", "--lr", "0.5", "--name", "too-fast"});
  EXPECT_EQ(result.exit_code, 3) << result.out << result.err;
  EXPECT_NE(result.err.find("learning-rate-range (error)"), std::string::npos) << result.err;
  EXPECT_EQ(result.out.find("epoch 1/10"), std::string::npos) << "no epoch may start";
  vigil::tracker::Store store(this->store());
  const auto runs = store.list_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, RunStatus::kRejected);
  EXPECT_EQ(runs[0].verdict, "FAIL");
}

TEST_F(MnistExample, DivergingLossIsAbortedWithExitCode4) {
  write_dataset(/*gzip=*/false);
  const std::string rules = dir.file("strict.json");
  std::ofstream(rules) << R"({"rules": [{"id": "tiny-loss", "kind": "divergence",
                                         "metric": "loss", "max": 0.001}]})";
  const auto result = run({"--epochs", "1", "--rules", rules});
  EXPECT_EQ(result.exit_code, 4) << result.out << result.err;
  EXPECT_NE(result.err.find("at step 0"), std::string::npos) << result.err;
  vigil::tracker::Store store(this->store());
  EXPECT_EQ(store.list_runs().at(0).status, RunStatus::kAborted);
}

// vigil-mnist --ddp launched by scripts/ddp_demo.sh, the way the README shows it.
class MnistDdp : public MnistExample {
 protected:
  vigil::testing::ProcessResult launch(int ranks, std::vector<std::string> args) const {
    std::vector<std::string> argv = {VIGIL_DDP_DEMO, "--ranks",   std::to_string(ranks),
                                     "--data-dir",   data_dir(),  "--model",
                                     "mlp",          "--threads", "1"};
    argv.insert(argv.end(), args.begin(), args.end());
    vigil::testing::ProcessOptions options;
    options.env["VIGIL_STORE"] = store();  // honoured by every rank
    options.env["VIGIL_MNIST"] = VIGIL_MNIST_BINARY;
    options.env["VIGIL_RUN_ID"] = std::nullopt;  // the script makes one per job
    return run_process(argv, options);
  }
  vigil::tracker::RunInfo only_run() const {
    const auto runs = vigil::tracker::Store(store()).list_runs();
    EXPECT_EQ(runs.size(), 1u) << "one job, one run";
    return runs.empty() ? vigil::tracker::RunInfo{} : runs.front();
  }
};

TEST_F(MnistDdp, TwoAndFourRanksRecordOneRunWithEveryRank) {
  write_dataset(/*gzip=*/false);
  for (int ranks : {2, 4}) {
    std::filesystem::remove_all(dir.file("store"));
    const auto result = launch(ranks, {"--epochs", "1", "--system-metrics", "0.2"});
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
    const auto run = only_run();
    EXPECT_EQ(run.status, RunStatus::kFinished);
    EXPECT_EQ(run.params.at("distributed").at("world_size"), ranks);
    EXPECT_EQ(run.params.at("distributed").at("backend"), "gloo");
    vigil::tracker::Store store(this->store());
    const auto rows = store.ranks(run.id);
    ASSERT_EQ(rows.size(), static_cast<std::size_t>(ranks));
    for (int r = 0; r < ranks; ++r) {
      EXPECT_EQ(rows[r].rank, r);
      EXPECT_EQ(rows[r].local_rank, r);
      EXPECT_EQ(rows[r].device, "cpu");
      EXPECT_EQ(rows[r].status, RunStatus::kFinished);
      const vigil::tracker::SeriesKey rss{"sys.rss_bytes", {{"rank", r}}};
      EXPECT_FALSE(store.points(run.id, rss).empty()) << "rank " << r;
    }
    // 300 samples split over the ranks in batches of 64: rank 0 logs one point per step.
    const std::size_t steps = (300 / ranks + 63) / 64;
    EXPECT_EQ(store.points(run.id, vigil::tracker::SeriesKey{"loss"}).size(), steps);
    EXPECT_EQ(run.verdict, "PASS") << "rank 0 validated the run";
  }
}

TEST_F(MnistDdp, NanOnRankOneStopsEveryRankWithExitCode4) {
  write_dataset(/*gzip=*/false);
  const auto result = launch(2, {"--epochs", "50", "--batch-size", "8", "--inject-nan", "1:3"});
  EXPECT_EQ(result.exit_code, 4) << result.out << result.err;
  EXPECT_NE(result.err.find("rank 0 exited with 4"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("rank 1 exited with 4"), std::string::npos) << result.err;
  const auto run = only_run();
  EXPECT_EQ(run.status, RunStatus::kAborted);
  EXPECT_EQ(run.error.rfind("rank 1 at step 3 (value NaN): finite-loss (error): ", 0), 0u)
      << run.error;
  vigil::tracker::Store store(this->store());
  for (const auto& rank : store.ranks(run.id)) {
    EXPECT_EQ(rank.status, RunStatus::kAborted) << "rank " << rank.rank << ": " << rank.error;
  }
  // Rank 0 went on for at most a poll interval: far fewer than 50 epochs of steps.
  EXPECT_LT(store.points(run.id, vigil::tracker::SeriesKey{"loss"}).size(), 300u);
}

TEST_F(MnistDdp, RefusedConfigurationStopsEveryRankBeforeTheFirstStep) {
  write_dataset(/*gzip=*/false);
  const auto result = launch(2, {"--epochs", "10", "--lr", "0.5"});
  EXPECT_EQ(result.exit_code, 3) << result.out << result.err;
  EXPECT_NE(result.err.find("rank 0 exited with 3"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("rank 1 exited with 3"), std::string::npos) << result.err;
  const auto run = only_run();
  EXPECT_EQ(run.status, RunStatus::kRejected);
  EXPECT_EQ(run.verdict, "FAIL");
  vigil::tracker::Store store(this->store());
  for (const auto& rank : store.ranks(run.id)) EXPECT_EQ(rank.status, RunStatus::kRejected);
  EXPECT_TRUE(run.metrics.empty() ||
              std::none_of(run.metrics.begin(), run.metrics.end(),
                           [](const auto& series) { return series.key.name == "loss"; }))
      << "no rank took a step";
}

TEST_F(MnistExample, NoTrackTrainsWithoutTouchingTheStore) {
  write_dataset(/*gzip=*/false);
  const auto result = run({"--epochs", "1", "--no-track", "--lr", "0.5"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;  // no rules: not refused
  EXPECT_NE(result.out.find("done: 1 epoch(s)"), std::string::npos) << result.out;
  EXPECT_FALSE(std::filesystem::exists(store()));
}

TEST_F(MnistExample, HelpExplainsEveryFlag) {
  const auto result = run_process({VIGIL_MNIST_BINARY, "--help"});
  EXPECT_EQ(result.exit_code, 0);
  for (const char* flag :
       {"--lr", "--epochs", "--batch-size", "--optimizer", "--model", "--name", "--experiment",
        "--rules", "--store", "--data-dir", "--seed", "--limit", "--device", "--no-track"}) {
    EXPECT_NE(result.out.find(flag), std::string::npos) << flag;
  }
}

#ifdef VIGIL_CLI_PATH
// Issue 10's acceptance: a run recorded on PostgreSQL reads back through the CLI exactly as the
// same run copied to SQLite, and survives a copy back with every point.
TEST_F(MnistExample, RunRecordedOnPostgresReadsBackAsFromSqlite) {
  if (!vigil::testing::postgres_tests_enabled()) GTEST_SKIP() << "VIGIL_TEST_POSTGRES=off";
  write_dataset(/*gzip=*/false);
  const std::string postgres = vigil::testing::fresh_postgres_store();
  const auto trained =
      run({"--epochs", "1", "--limit", "100", "--name", "pg-run"}, "mlp", {}, postgres);
  ASSERT_EQ(trained.exit_code, 0) << trained.out << trained.err;

  const auto cli = [](std::vector<std::string> args) {
    args.insert(args.begin(), VIGIL_CLI_PATH);
    vigil::testing::ProcessOptions options;
    options.env["VIGIL_STORE"] = std::nullopt;
    return run_process(args, options);
  };
  const std::string sqlite = dir.file("copy.db");
  const auto copied = cli({"store", "copy", postgres, sqlite});
  ASSERT_EQ(copied.exit_code, 0) << copied.out << copied.err;
  const auto both = [&](std::vector<std::string> command) {
    auto on_sqlite = command;
    command.insert(command.end(), {"--store", postgres});
    on_sqlite.insert(on_sqlite.end(), {"--store", sqlite});
    return std::make_pair(cli(command), cli(on_sqlite));
  };
  const auto listed = both({"runs", "ls", "--format", "json"});
  ASSERT_EQ(listed.first.exit_code, 0) << listed.first.err;
  EXPECT_NE(listed.first.out.find("pg-run"), std::string::npos) << listed.first.out;
  EXPECT_EQ(listed.first.out, listed.second.out);
  // Validation reports carry their own time: compare the verdicts they store and print.
  const auto validated = both({"validate", "--format", "json"});
  EXPECT_EQ(validated.first.exit_code, validated.second.exit_code);
  const auto on_postgres = nlohmann::json::parse(validated.first.out);
  const auto on_sqlite = nlohmann::json::parse(validated.second.out);
  EXPECT_EQ(on_postgres.at("summary"), on_sqlite.at("summary"));
  EXPECT_EQ(on_postgres.at("summary").at("pass"), 1);
  const auto relisted = both({"runs", "ls", "--format", "json"});
  EXPECT_EQ(relisted.first.out, relisted.second.out);

  // Back to a fresh PostgreSQL store: the same points.
  const std::string again = vigil::testing::fresh_postgres_store();
  const auto back = cli({"store", "copy", sqlite, again});
  ASSERT_EQ(back.exit_code, 0) << back.out << back.err;
  vigil::tracker::Store first(postgres);
  vigil::tracker::Store second(again);
  const auto runs = first.list_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].name, "pg-run");
  EXPECT_EQ(runs[0].status, RunStatus::kFinished);
  EXPECT_EQ(runs[0].verdict, "PASS");
  const auto series = first.series(runs[0].id);
  ASSERT_FALSE(series.empty());
  for (const auto& summary : series) {
    EXPECT_EQ(second.points(runs[0].id, summary.key).size(),
              first.points(runs[0].id, summary.key).size())
        << summary.key.name;
  }
}
#endif

// A malformed store URI is a usage error before training, and the password stays hidden.
TEST_F(MnistExample, MalformedPostgresUriIsAUsageErrorBeforeTraining) {
  write_dataset(/*gzip=*/false);
  const auto result =
      run({"--epochs", "1"}, "mlp", {}, "postgresql://vigil:s3cret@127.0.0.1:notaport/db");
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_EQ(result.out.find("done:"), std::string::npos) << result.out;
  EXPECT_EQ(result.out.find("epoch"), std::string::npos) << result.out;
  EXPECT_EQ((result.out + result.err).find("s3cret"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("port"), std::string::npos) << result.err;
}

}  // namespace
