// End-to-end tests of `vigil store copy` and `vigil store info`, through the real binary.
// Parameterised over (source backend, destination backend) from store_uris.h.
#include <filesystem>
#include <tuple>

#include "cli_fixture.h"
#include "format1.h"
#include "raw_sqlite.h"
#include "schema.h"
#include "store_uris.h"

namespace vigil::testing {
namespace {

using BackendPair = std::tuple<std::string, std::string>;

class StoreCommand : public CliTest, public ::testing::WithParamInterface<BackendPair> {
 protected:
  /// Seeds the three runs of seed_store() plus a validation into the source store.
  SeededRuns seed_source() {
    SeededRuns ids = seed_store();  // into store_path(), an SQLite file
    tracker::Store store(store_path(), store_options());
    tracker::ValidationRecord record;
    record.run_id = ids.baseline;
    record.rules_name = "default";
    record.rules_hash = "h";
    record.phase = "post";
    record.verdict = std::string(tracker::kPassVerdict);
    record.score = 90.0;
    store.add_validation(record);
    source_ = fresh_store_uri(std::get<0>(GetParam()), dir_, "source");
    tracker::Store source(source_, store_options());
    (void)tracker::copy_runs(store, source, {});
    destination_ = fresh_store_uri(std::get<1>(GetParam()), dir_, "destination");
    return ids;
  }

  /// `vigil ARGS...` without --store.
  ProcessResult run(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {VIGIL_CLI_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    return vigil_raw(argv);
  }

  /// stdout of `vigil --store URI ARGS...`, which must succeed.
  std::string output_of(const std::string& uri, std::vector<std::string> args) {
    args.insert(args.begin(), {"--store", uri});
    ProcessResult result = run(args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.out;
  }

  nlohmann::json info(const std::string& uri) {
    return parse_json(output_of(uri, {"store", "info", "--format", "json"}));
  }

  static std::size_t count_lines_starting(const std::string& text, const std::string& prefix) {
    std::size_t count = 0;
    for (const std::string& line : lines(text)) count += line.rfind(prefix, 0) == 0 ? 1 : 0;
    return count;
  }

  /// `text` without the values of "created_at" (a validation stored now differs by time).
  static std::string strip_times(std::string text) {
    const std::string key = "\"created_at\":";
    for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + 1)) {
      std::size_t end = text.find_first_of(",}", at + key.size());
      text.erase(at + key.size(), end - at - key.size());
    }
    return text;
  }

  std::string source_;
  std::string destination_;
};

TEST_P(StoreCommand, CopyGivesTheSameRunsAndPoints) {
  seed_source();
  ProcessResult copy = run({"store", "copy", source_, destination_});
  ASSERT_EQ(copy.exit_code, 0) << copy.err;
  EXPECT_EQ(count_lines_starting(copy.out, "copied    "), 3u) << copy.out;
  EXPECT_NE(copy.out.find("copied 3 runs, replaced 0, skipped 0; 18 points written and verified"),
            std::string::npos)
      << copy.out;
  EXPECT_NE(copy.out.find("baseline (mnist): 2 series, 13 points, 1 validation"), std::string::npos)
      << copy.out;
  for (auto args : std::vector<std::vector<std::string>>{
           {"export", "--format", "json"}, {"runs", "ls", "--format", "json"}, {"export"}}) {
    const std::string original = output_of(source_, args);
    EXPECT_EQ(output_of(destination_, args), original) << args[0];
    EXPECT_GT(original.size(), 100u);
  }
  EXPECT_EQ(parse_json(output_of(destination_, {"export", "--format", "json"})).size(), 18u);
  const nlohmann::json from = info(source_);
  const nlohmann::json to = info(destination_);
  for (const char* key : {"runs", "series", "points"}) EXPECT_EQ(to.at(key), from.at(key)) << key;
}

TEST_P(StoreCommand, ValidateAndShowAnswerAlikeOnBothStores) {
  const SeededRuns ids = seed_source();
  ASSERT_EQ(run({"store", "copy", source_, destination_}).exit_code, 0);
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"validate", ids.baseline, "--format", "json"},
                                             {"runs", "show", ids.baseline, "--format", "json"},
                                             {"runs", "ls", "--format", "json"}}) {
    std::vector<std::string> on_source = {"--store", source_};
    std::vector<std::string> on_destination = {"--store", destination_};
    on_source.insert(on_source.end(), args.begin(), args.end());
    on_destination.insert(on_destination.end(), args.begin(), args.end());
    const ProcessResult a = run(on_source);
    const ProcessResult b = run(on_destination);
    EXPECT_EQ(a.exit_code, b.exit_code) << args[0] << ": " << a.err << b.err;
    EXPECT_EQ(strip_times(a.out), strip_times(b.out)) << args[0];
    EXPECT_GT(a.out.size(), 50u) << args[0];
  }
}

TEST_P(StoreCommand, SecondCopySkipsAndReplaceCopiesAgain) {
  seed_source();
  ASSERT_EQ(run({"store", "copy", source_, destination_}).exit_code, 0);
  const std::string listing = output_of(destination_, {"runs", "ls", "--format", "json"});
  ProcessResult again = run({"store", "copy", source_, destination_});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(count_lines_starting(again.out, "skipped   "), 3u) << again.out;
  EXPECT_NE(again.out.find("already in the destination"), std::string::npos);
  EXPECT_NE(again.out.find("copied 0 runs, replaced 0, skipped 3; 0 points"), std::string::npos)
      << again.out;
  EXPECT_EQ(output_of(destination_, {"runs", "ls", "--format", "json"}), listing);

  ProcessResult replace = run({"store", "copy", source_, destination_, "--replace"});
  ASSERT_EQ(replace.exit_code, 0) << replace.err;
  EXPECT_EQ(count_lines_starting(replace.out, "replaced  "), 3u) << replace.out;
  EXPECT_NE(replace.out.find("replaced 3, skipped 0; 18 points"), std::string::npos) << replace.out;
  EXPECT_EQ(output_of(destination_, {"runs", "ls", "--format", "json"}), listing);
  EXPECT_EQ(info(destination_).at("points"), 18);
}

TEST_P(StoreCommand, CopyTakesTheRunFilterOptions) {
  SeededRuns ids = seed_source();
  ProcessResult copy = run({"store", "copy", source_, destination_, "--experiment", "mnist",
                            "--param", "optimizer.lr < 0.1"});
  ASSERT_EQ(copy.exit_code, 0) << copy.err;
  EXPECT_EQ(count_lines_starting(copy.out, "copied    "), 1u) << copy.out;
  const nlohmann::json runs =
      parse_json(output_of(destination_, {"runs", "ls", "--format", "json"}));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].at("id"), ids.baseline);
  EXPECT_EQ(runs[0].at("verdict"), "PASS");
  expect_error(run({"store", "copy", source_, destination_, "--status", "sleeping"}), 2,
               "sleeping");
}

TEST_P(StoreCommand, CopySkipsRunningRunsWithANote) {
  seed_source();
  tracker::Store source(source_, store_options());
  tracker::RunOptions options;
  options.name = "live";
  tracker::Run live = source.start_run(options);  // this test process is alive: running
  ProcessResult copy = run({"store", "copy", source_, destination_});
  ASSERT_EQ(copy.exit_code, 0) << copy.err;
  EXPECT_NE(
      copy.out.find("skipped   " + live.id().substr(0, 8) + "  live (default): still running"),
      std::string::npos)
      << copy.out;
  EXPECT_EQ(count_lines_starting(copy.out, "copied    "), 3u);
  live.finish();
}

TEST_P(StoreCommand, CopyRefusesBadStores) {
  seed_source();
  expect_error(run({"store", "copy", source_, source_}), 2, "onto itself");
  if (std::get<0>(GetParam()) == "sqlite") {
    const std::string absolute = std::filesystem::absolute(source_).string();
    expect_error(run({"store", "copy", source_, "sqlite://" + absolute}), 2, "onto itself");
  }
  const std::string missing = dir_.file("missing.db");
  expect_error(run({"store", "copy", missing, destination_}), 1, "missing.db");
  EXPECT_FALSE(std::filesystem::exists(missing));
  expect_error(run({"--store", source_, "store", "copy", source_, destination_}), 2, "--store");
  expect_error(run({"store", "copy", source_}), 2, "destination is required");
}

TEST_P(StoreCommand, InfoShowsBackendCountsAndSize) {
  seed_source();
  ProcessResult table = run({"store", "info", source_});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(
      table.out.find("schema version  " + std::to_string(tracker::detail::kSchemaVersion) + "\n"),
      std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("runs            3\n"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("series          4\n"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("points          18\n"), std::string::npos) << table.out;
  const nlohmann::json json = info(source_);
  EXPECT_EQ(json.at("runs"), 3);
  EXPECT_EQ(json.at("points"), 18);
  EXPECT_EQ(json.at("backend"), std::get<0>(GetParam()));
  EXPECT_EQ(table.out.rfind("backend         " + std::get<0>(GetParam()) + "\n", 0), 0u);
  if (std::get<0>(GetParam()) == "sqlite") {
    EXPECT_EQ(json.at("location"), source_);
    EXPECT_GT(json.at("size_bytes").get<std::int64_t>(), 0);
  }
  // URI from --store, and the two ways disagreeing.
  EXPECT_EQ(parse_json(output_of(source_, {"store", "info", "--format", "json"})), json);
  expect_error(run({"--store", store_path(), "store", "info", source_}), 2, "two stores");
  expect_error(run({"store", "info", dir_.file("missing.db")}), 1, "missing.db");
  EXPECT_FALSE(std::filesystem::exists(dir_.file("missing.db")));
}

std::vector<BackendPair> backend_pairs() {
  std::vector<BackendPair> pairs;
  for (const auto& from : test_backends()) {
    for (const auto& to : test_backends()) pairs.emplace_back(from, to);
  }
  return pairs;
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreCommand, ::testing::ValuesIn(backend_pairs()),
                         [](const auto& param_info) {
                           return std::get<0>(param_info.param) + "_to_" +
                                  std::get<1>(param_info.param);
                         });

// `store migrate` rewrites the chunks of an older vigil (format 1) with every point kept.
TEST_F(CliTest, StoreMigrateRewritesOldChunksAndKeepsEveryPoint) {
  seed_store();
  const std::string before = vigil({"export", "--format", "json"}).out;
  ASSERT_GT(downgrade_chunks_to_format1(store_path()), 0);
  const std::string old_chunks_sql = "SELECT count(*) FROM chunks WHERE substr(data, 1, 1) = x'01'";
  EXPECT_NE(raw_query(store_path(), old_chunks_sql), "0");
  EXPECT_EQ(vigil({"export", "--format", "json"}).out, before);  // format 1 is still read
  ProcessResult migrate = vigil({"store", "migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.err;
  EXPECT_NE(migrate.out.find("in the current format; 0 chunks already were"), std::string::npos)
      << migrate.out;
  EXPECT_EQ(raw_query(store_path(), old_chunks_sql), "0");
  EXPECT_EQ(vigil({"export", "--format", "json"}).out, before);
  ProcessResult again = vigil({"store", "migrate", store_path()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("rewrote 0 chunks"), std::string::npos) << again.out;
}

// A store of an older schema: read commands name the command that upgrades it, and `store
// migrate` upgrades it (its runs then list as before).
TEST_F(CliTest, StoreMigrateUpgradesAnOlderSchemaThatReadCommandsRefuse) {
  seed_store();
  const std::string before = vigil({"runs", "ls", "--format", "json"}).out;
  // Back to version 4: the objects later versions add dropped (those version 5 replaces
  // are dropped and created again by its migration).
  raw_exec(store_path(),
           "DROP TABLE run_params; DROP INDEX runs_by_verdict_score; PRAGMA user_version = 4");
  ProcessResult refused = vigil({"runs", "ls"});
  expect_error(refused, 1, "needs an upgrade to version");
  EXPECT_NE(refused.err.find("vigil store migrate"), std::string::npos) << refused.err;
  ProcessResult migrate = vigil({"store", "migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.err;
  EXPECT_EQ(raw_query(store_path(), "PRAGMA user_version"),
            std::to_string(tracker::detail::kSchemaVersion));
  EXPECT_EQ(vigil({"runs", "ls", "--format", "json"}).out, before);
}

}  // namespace
}  // namespace vigil::testing
