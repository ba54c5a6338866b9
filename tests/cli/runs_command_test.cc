// End-to-end tests of `vigil runs ...` and the global options, through the real binary.
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <unistd.h>

#include "cli_fixture.h"
#include "job_ranks.h"

namespace vigil::testing {
namespace {

using RunsCommand = CliTest;

std::set<std::string> names_of(const nlohmann::json& runs) {
  std::set<std::string> names;
  for (const auto& run : runs) names.insert(run.at("name").get<std::string>());
  return names;
}

TEST_F(RunsCommand, VersionPrintsProgramAndVersion) {
  ProcessResult result = vigil_raw({VIGIL_CLI_PATH, "--version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, std::string("vigil ") + VIGIL_TEST_VERSION + "\n");
}

TEST_F(RunsCommand, LsJsonHasTrackerRunObjects) {
  SeededRuns ids = seed_store();
  ProcessResult result = vigil({"runs", "ls", "--format", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  nlohmann::json runs = parse_json(result.out);
  ASSERT_TRUE(runs.is_array());
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].at("id"), ids.cifar);  // newest first
  const nlohmann::json& baseline = runs[2];
  EXPECT_EQ(baseline.at("id"), ids.baseline);
  EXPECT_EQ(baseline.at("name"), "baseline");
  EXPECT_EQ(baseline.at("experiment"), "mnist");
  EXPECT_EQ(baseline.at("status"), "finished");
  EXPECT_EQ(baseline.at("params").at("optimizer").at("lr"), 0.01);
  EXPECT_EQ(baseline.at("tags"), nlohmann::json({"baseline", "cpu"}));
  EXPECT_EQ(baseline.at("results").at("final_accuracy"), 0.9);
  EXPECT_TRUE(baseline.at("verdict").is_null());
  const nlohmann::json& loss = baseline.at("metrics").at("loss");
  EXPECT_EQ(loss.at("count"), 10);
  EXPECT_DOUBLE_EQ(loss.at("last").get<double>(), 0.1);
  EXPECT_DOUBLE_EQ(loss.at("max").get<double>(), 1.0);
  EXPECT_EQ(baseline.at("metrics").at("accuracy{subset=val}").at("count"), 3);
  EXPECT_EQ(runs[1].at("metrics").at("loss").at("last"), "NaN");
  EXPECT_EQ(runs[0].at("status"), "failed");
  EXPECT_EQ(runs[0].at("error"), "out of memory");
}

TEST_F(RunsCommand, LsTableThroughAPipeCutsNothing) {
  seed_store();
  const std::string long_name = std::string(80, 'n') + "-long-name";
  add_run(long_name, "mnist", {{"lr", 0.01}}, {1.0},
          {"a-very-long-tag-one", "a-very-long-tag-two"});
  ProcessResult result = vigil({"runs", "ls"});  // stdout is a pipe: what scripts read
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::string> rows = lines(result.out);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].rfind("ID", 0), 0u);
  for (const char* header :
       {"NAME", "EXPERIMENT", "STATUS", "CREATED", "DURATION", "VERDICT", "SCORE", "TAGS"}) {
    EXPECT_NE(rows[0].find(header), std::string::npos) << header;
  }
  EXPECT_NE(rows[1].find(long_name), std::string::npos) << rows[1];
  EXPECT_NE(rows[1].find("a-very-long-tag-one,a-very-long-tag-two"), std::string::npos) << rows[1];
  EXPECT_EQ(result.out.find("\u2026"), std::string::npos) << result.out;  // no ellipsis
  EXPECT_NE(result.out.find("resnet, \"big\""), std::string::npos) << result.out;
  // Columns stay aligned: every row has its NAME at the header's offset.
  const std::size_t name_at = rows[0].find("NAME");
  EXPECT_EQ(rows[1].find(long_name), name_at);
  // Short ids: 8 hex characters at the start of each row.
  EXPECT_EQ(rows[2].find_first_of(' '), 8u);
  EXPECT_NE(result.out.find("baseline"), std::string::npos);
  EXPECT_NE(result.out.find("failed"), std::string::npos);
  // Created in local time (TZ=UTC in tests) as YYYY-MM-DD HH:MM.
  tracker::Store store(store_path(), store_options());
  std::string created = tracker::format_time(store.list_runs()[0].created_at).substr(0, 16);
  created[10] = ' ';
  EXPECT_NE(rows[1].find("  " + created + "  "), std::string::npos) << created << rows[1];
}

TEST_F(RunsCommand, LsEmptyStoreSaysNoRuns) {
  tracker::Store(store_path(), store_options());
  ProcessResult result = vigil({"runs", "ls"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "No runs found.\n");
}

TEST_F(RunsCommand, LsCsvQuotesFieldsAndFlattensParams) {
  SeededRuns ids = seed_store();
  ProcessResult result = vigil({"runs", "ls", "--format", "csv"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::string> rows = lines(result.out);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].rfind("id,name,experiment,status,created_at,started_at,finished_at,"
                          "duration_s,verdict,score,tags,",
                          0),
            0u)
      << rows[0];
  EXPECT_NE(rows[0].find(",param.optimizer.lr,"), std::string::npos);
  EXPECT_NE(rows[0].find(",result.final_accuracy,"), std::string::npos);
  EXPECT_NE(rows[0].find(",metric.loss"), std::string::npos);
  EXPECT_EQ(rows[1].rfind(ids.cifar + ",\"resnet, \"\"big\"\"\",cifar,failed,", 0), 0u) << rows[1];
  EXPECT_NE(rows[3].find("baseline;cpu"), std::string::npos);
  EXPECT_NE(rows[2].find(",NaN"), std::string::npos);  // last loss of high-lr
}

TEST_F(RunsCommand, LsFiltersSelectRuns) {
  seed_store();
  auto ls = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"runs", "ls", "--format", "json"});
    ProcessResult result = vigil(args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return names_of(parse_json(result.out));
  };
  using Names = std::set<std::string>;
  const std::string cifar_name = "resnet, \"big\"";
  EXPECT_EQ(ls({"--experiment", "mnist"}), (Names{"baseline", "high-lr"}));
  EXPECT_EQ(ls({"--name", "BASE"}), (Names{"baseline"}));
  EXPECT_EQ(ls({"--tag", "cpu"}), (Names{"baseline", "high-lr"}));
  EXPECT_EQ(ls({"--tag", "cpu", "--tag", "baseline"}), (Names{"baseline"}));
  EXPECT_EQ(ls({"--status", "failed"}), (Names{cifar_name}));
  EXPECT_EQ(ls({"--status", "failed,finished"}).size(), 3u);
  EXPECT_EQ(ls({"--param", "optimizer.lr < 0.1"}), (Names{"baseline"}));
  EXPECT_EQ(ls({"--param", "optimizer.name == adam"}), (Names{"high-lr"}));
  EXPECT_EQ(ls({"--param", "batch_size == 64", "--param", "optimizer.lr > 0.1"}),
            (Names{"high-lr"}));
  EXPECT_EQ(ls({"--metric", "loss < 0.5"}), (Names{"baseline"}));
  EXPECT_EQ(ls({"--metric", "accuracy{subset=val} >= 0.85"}), (Names{"baseline"}));
  EXPECT_EQ(ls({"--limit", "1"}), (Names{cifar_name}));
  EXPECT_EQ(ls({"--since", "2000-01-01"}).size(), 3u);
  EXPECT_EQ(ls({"--until", "2000-01-01"}).size(), 0u);
  // A date alone as --until includes that whole day.
  std::string newest_day;
  {
    tracker::Store store(store_path(), store_options());
    newest_day = tracker::format_time(store.list_runs()[0].created_at).substr(0, 10);
  }
  EXPECT_EQ(ls({"--until", newest_day}).size(), 3u);
  EXPECT_EQ(ls({"--verdict", "PASS"}).size(), 0u);
}

TEST_F(RunsCommand, BadFilterExpressionIsUsageError) {
  seed_store();
  expect_error(vigil({"runs", "ls", "--param", "optimizer.lr"}), 2, "optimizer.lr");
  expect_error(vigil({"runs", "ls", "--param", "optimizer.lr"}), 2, "expected");
  expect_error(vigil({"runs", "ls", "--param", "lr = 3"}), 2, "lr = 3");
  expect_error(vigil({"runs", "ls", "--metric", "loss"}), 2, "loss");
  expect_error(vigil({"runs", "ls", "--status", "sleeping"}), 2, "sleeping");
  expect_error(vigil({"runs", "ls", "--since", "yesterday"}), 2, "yesterday");
  expect_error(vigil({"runs", "ls", "--verdict", "MAYBE"}), 2, "MAYBE");
  expect_error(vigil({"runs", "ls", "--limit", "-3"}), 2, "--limit");
}

TEST_F(RunsCommand, BadFormatIsUsageError) {
  seed_store();
  expect_error(vigil({"runs", "ls", "--format", "xml"}), 2, "xml");
  expect_error(vigil({"runs", "show", "abc", "--format", "csv"}), 2, "csv");
}

TEST_F(RunsCommand, UnknownCommandOrOptionIsUsageError) {
  expect_error(vigil({"runs", "frobnicate"}), 2, "frobnicate");
  expect_error(vigil({"runs", "ls", "--colour"}), 2, "--colour");
  expect_error(vigil_raw({VIGIL_CLI_PATH}), 2, "expected a command: runs, export");
  expect_error(vigil({"runs"}), 2, "expected a command: ls, show, tag, untag, rm");
  expect_error(vigil_raw({VIGIL_CLI_PATH, "frobnicate"}), 2, "frobnicate");
}

TEST_F(RunsCommand, ShowByPrefixPrintsEverything) {
  SeededRuns ids = seed_store();
  ProcessResult result = vigil({"runs", "show", ids.baseline.substr(0, 10)});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string& out = result.out;
  for (const std::string& expected :
       {ids.baseline, std::string("baseline"), std::string("mnist"), std::string("finished"),
        std::string("optimizer.lr"), std::string("0.01"), std::string("optimizer.name"),
        std::string("sgd"), std::string("batch_size"), std::string("final_accuracy"),
        std::string("baseline, cpu"), std::string("accuracy{subset=val}"),
        std::string("not validated")}) {
    EXPECT_NE(out.find(expected), std::string::npos) << expected << " missing in:\n" << out;
  }
  // The loss series row: last 0.1, min 0.1, max 1, count 10, last step 9.
  std::string loss_row;
  for (const std::string& line : lines(out)) {
    if (line.rfind("  loss ", 0) == 0) loss_row = line;
  }
  ASSERT_FALSE(loss_row.empty()) << out;
  EXPECT_NE(loss_row.find("0.1"), std::string::npos);
  EXPECT_NE(loss_row.find(" 10 "), std::string::npos) << loss_row;
}

TEST_F(RunsCommand, ShowJsonIncludesRunAndValidation) {
  SeededRuns ids = seed_store();
  ProcessResult result = vigil({"runs", "show", ids.high_lr, "--format", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  nlohmann::json run = parse_json(result.out);
  EXPECT_EQ(run.at("id"), ids.high_lr);
  EXPECT_EQ(run.at("metrics").at("loss").at("last"), "NaN");
  EXPECT_EQ(run.at("metrics").at("loss").at("max"), 5.0);
  EXPECT_TRUE(run.at("validation").is_null());
}

// NaN/Inf params used to be stored as null and printed as null (JSON) or "null" (text).
TEST_F(RunsCommand, NonFiniteParamsAreShownAsNumbersNotNull) {
  const std::string id = add_run("inf-run", "mnist",
                                 {{"lr", std::numeric_limits<double>::quiet_NaN()},
                                  {"clip", std::numeric_limits<double>::infinity()}});
  ProcessResult json_result = vigil({"runs", "show", id, "--format", "json"});
  ASSERT_EQ(json_result.exit_code, 0) << json_result.err;
  nlohmann::json run = parse_json(json_result.out);
  EXPECT_EQ(run.at("params").at("lr"), "NaN");
  EXPECT_EQ(run.at("params").at("clip"), "Infinity");
  ProcessResult text = vigil({"runs", "show", id});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("Infinity"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("NaN"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("null"), std::string::npos) << text.out;
}

TEST_F(RunsCommand, ShowPrintsLongAndMultiLineParamsInFull) {
  std::string long_value(300, 'v');
  std::string id =
      add_run("structured", "mnist",
              {{"model", {{"structure", "Net(\n  (fc): Linear()\n)"}}}, {"note", long_value}});
  ProcessResult result = vigil({"runs", "show", id});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find(long_value), std::string::npos);
  EXPECT_NE(result.out.find("model.structure  (3 lines, below)"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("  model.structure:\n    Net(\n      (fc): Linear()\n    )\n"),
            std::string::npos)
      << result.out;
}

// A distributed job's run lists its ranks: where each ran and how it ended (text and JSON);
// a run of one process has no Ranks section and an empty list.
TEST_F(RunsCommand, ShowListsTheRanksOfAJobsRun) {
  std::string id;
  {
    tracker::Store store(store_path(), store_options());
    tracker::Run rank0 = store.join_run({}, job_rank("show-job", 0, 2, "cuda:0"));
    tracker::Run rank1 = store.join_run({}, job_rank("show-job", 1, 2, "cuda:1"));
    id = rank0.id();
    rank1.finish(tracker::RunStatus::kFailed, "gloo: connection closed");
    rank0.finish();
  }
  ProcessResult text = vigil({"runs", "show", id});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  const auto section = text.out.find("\nRanks (world size 2)\n");
  ASSERT_NE(section, std::string::npos) << text.out;
  const std::string ranks = text.out.substr(section);
  const auto row = [&](const std::string& device) {
    std::istringstream lines(ranks);
    for (std::string line; std::getline(lines, line);) {
      if (line.find(device) != std::string::npos) return line;
    }
    return std::string();
  };
  EXPECT_NE(row("cuda:0").find("finished"), std::string::npos) << ranks;
  EXPECT_NE(row("cuda:1").find("failed"), std::string::npos) << ranks;
  EXPECT_NE(row("cuda:1").find("gloo: connection closed"), std::string::npos) << ranks;
  EXPECT_NE(row("cuda:1").find(std::to_string(getpid())), std::string::npos) << ranks;

  ProcessResult json = vigil({"runs", "show", id, "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const nlohmann::json listed = parse_json(json.out).at("ranks");
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].at("rank"), 0);
  EXPECT_EQ(listed[0].at("status"), "finished");
  EXPECT_EQ(listed[1].at("rank"), 1);
  EXPECT_EQ(listed[1].at("local_rank"), 1);
  EXPECT_EQ(listed[1].at("device"), "cuda:1");
  EXPECT_EQ(listed[1].at("status"), "failed");
  EXPECT_EQ(listed[1].at("error"), "gloo: connection closed");
  EXPECT_EQ(listed[1].at("world_size"), 2);

  const std::string plain = add_run("single", "mnist", {});
  ProcessResult single = vigil({"runs", "show", plain});
  ASSERT_EQ(single.exit_code, 0) << single.err;
  EXPECT_EQ(single.out.find("\nRanks ("), std::string::npos) << single.out;
  ProcessResult single_json = vigil({"runs", "show", plain, "--format", "json"});
  EXPECT_EQ(parse_json(single_json.out).at("ranks"), nlohmann::json::array());
}

TEST_F(RunsCommand, ShowFailedRunShowsError) {
  SeededRuns ids = seed_store();
  ProcessResult result = vigil({"runs", "show", ids.cifar});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("out of memory"), std::string::npos);
  EXPECT_NE(result.out.find("failed"), std::string::npos);
}

TEST_F(RunsCommand, UnknownRunExitsThree) {
  seed_store();
  expect_error(vigil({"runs", "show", "ffffffffffffffffffffffffffffffff"}), 3,
               "ffffffffffffffffffffffffffffffff");
  expect_error(vigil({"runs", "tag", "ffffffff", "x"}), 3, "ffffffff");
  expect_error(vigil({"runs", "rm", "ffffffff", "--yes"}), 3, "ffffffff");
}

TEST_F(RunsCommand, AmbiguousPrefixExitsThree) {
  // Pigeonhole: among 17 runs two share their first hex digit.
  std::map<char, std::vector<std::string>> by_first;
  std::string prefix;
  for (int i = 0; i < 17 && prefix.empty(); ++i) {
    std::string id = add_run("r" + std::to_string(i), "default", nlohmann::json::object());
    auto& same = by_first[id[0]];
    same.push_back(id);
    if (same.size() == 2) prefix = std::string(1, id[0]);
  }
  ASSERT_FALSE(prefix.empty());
  ProcessResult result = vigil({"runs", "show", prefix});
  EXPECT_EQ(result.exit_code, 3) << result.err;
  std::vector<std::string> err = lines(result.err);
  ASSERT_GE(err.size(), 3u) << result.err;
  EXPECT_EQ(err[0].rfind("vigil: error: '" + prefix + "' matches ", 0), 0u) << err[0];
  // Then one line per candidate, id and name.
  for (std::size_t i = 1; i < err.size(); ++i) {
    EXPECT_EQ(err[i].rfind("  " + prefix, 0), 0u) << err[i];
    EXPECT_NE(err[i].find("  r"), std::string::npos) << err[i];
  }
  const std::string& candidate = by_first[prefix[0]][0];
  EXPECT_NE(result.err.find("\n  " + candidate + "  r"), std::string::npos) << result.err;
}

TEST_F(RunsCommand, ShowTagUntagAndRmAcceptAUniqueRunName) {
  SeededRuns ids = seed_store();
  ProcessResult shown = vigil({"runs", "show", "high-lr", "--format", "json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(parse_json(shown.out).at("id"), ids.high_lr);

  ASSERT_EQ(vigil({"runs", "tag", "high-lr", "keep"}).exit_code, 0);
  ASSERT_EQ(vigil({"runs", "untag", "high-lr", "cpu"}).exit_code, 0);
  EXPECT_EQ(tracker::Store(store_path(), store_options()).get_run(ids.high_lr).tags,
            std::vector<std::string>{"keep"});

  ProcessResult removed = vigil({"runs", "rm", "baseline", "--yes"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_NE(removed.out.find("deleted " + ids.baseline), std::string::npos) << removed.out;
  EXPECT_EQ(tracker::Store(store_path(), store_options()).list_runs().size(), 2u);
  expect_error(vigil({"runs", "show", "baseline"}), 3, "baseline");
}

TEST_F(RunsCommand, AmbiguousNameExitsThreeAndListsCandidatesOnePerLine) {
  std::string first = add_run("sweep", "default", nlohmann::json::object());
  std::string second = add_run("sweep", "default", nlohmann::json::object());
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"runs", "show", "sweep"},
        std::vector<std::string>{"runs", "tag", "sweep", "x"},
        std::vector<std::string>{"runs", "untag", "sweep", "x"},
        std::vector<std::string>{"runs", "rm", "sweep", "--yes"}}) {
    ProcessResult result = vigil(args);
    EXPECT_EQ(result.exit_code, 3) << args[1] << ": " << result.err;
    std::vector<std::string> err = lines(result.err);
    ASSERT_EQ(err.size(), 3u) << result.err;
    EXPECT_EQ(err[0].rfind("vigil: error: 'sweep' matches 2 runs", 0), 0u) << err[0];
    std::set<std::string> listed = {err[1], err[2]};
    EXPECT_EQ(listed, (std::set<std::string>{"  " + first + "  sweep", "  " + second + "  sweep"}))
        << result.err;
  }
  EXPECT_EQ(tracker::Store(store_path(), store_options()).list_runs().size(), 2u);
}

TEST_F(RunsCommand, TagAndUntagRoundTrip) {
  SeededRuns ids = seed_store();
  ProcessResult tagged = vigil({"runs", "tag", ids.high_lr.substr(0, 8), "keep", "paper"});
  ASSERT_EQ(tagged.exit_code, 0) << tagged.err;
  EXPECT_NE(tagged.out.find("cpu, keep, paper"), std::string::npos) << tagged.out;
  ProcessResult listed = vigil({"runs", "ls", "--tag", "paper", "--format", "json"});
  EXPECT_EQ(names_of(parse_json(listed.out)), std::set<std::string>{"high-lr"});

  ProcessResult untagged = vigil({"runs", "untag", ids.high_lr, "paper", "cpu"});
  ASSERT_EQ(untagged.exit_code, 0) << untagged.err;
  tracker::Store store(store_path(), store_options());
  EXPECT_EQ(store.get_run(ids.high_lr).tags, std::vector<std::string>{"keep"});
}

TEST_F(RunsCommand, TagRefusesVerdictTagsAndBlankTags) {
  SeededRuns ids = seed_store();
  expect_error(vigil({"runs", "tag", ids.baseline, "PASS"}), 2, "PASS");
  expect_error(vigil({"runs", "tag", ids.baseline, "two words"}), 2, "two words");
  expect_error(vigil({"runs", "tag", ids.baseline}), 2, "tags");
  tracker::Store store(store_path(), store_options());
  EXPECT_EQ(store.get_run(ids.baseline).tags, (std::vector<std::string>{"baseline", "cpu"}));
}

TEST_F(RunsCommand, RmWithYesDeletes) {
  SeededRuns ids = seed_store();
  ProcessResult result = vigil({"runs", "rm", ids.baseline.substr(0, 8), ids.cifar, "--yes"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("deleted " + ids.baseline), std::string::npos);
  tracker::Store store(store_path(), store_options());
  std::vector<tracker::RunInfo> left = store.list_runs();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].id, ids.high_lr);
}

TEST_F(RunsCommand, RmRefusesRunningRun) {
  SeededRuns ids = seed_store();
  tracker::Store store(store_path(), store_options());
  tracker::Run live = store.start_run();
  live.flush();
  expect_error(vigil({"runs", "rm", ids.baseline, live.id(), "--yes"}), 2, "still running");
  EXPECT_EQ(store.list_runs().size(), 4u);  // nothing deleted, not even the finished run
  live.finish();
}

TEST_F(RunsCommand, RmWithoutYesAndNoTerminalRefuses) {
  SeededRuns ids = seed_store();
  expect_error(vigil({"runs", "rm", ids.baseline}, "y\n"), 2, "--yes");
  tracker::Store store(store_path(), store_options());
  EXPECT_EQ(store.list_runs().size(), 3u);
}

TEST_F(RunsCommand, RmOnTerminalAsksAndHonoursTheAnswer) {
  SeededRuns ids = seed_store();
  auto rm_on_tty = [&](const std::string& answer) {
    ProcessOptions options;
    options.stdin_tty = true;
    return vigil_raw({VIGIL_CLI_PATH, "--store", store_path(), "runs", "rm", ids.baseline}, answer,
                     options);
  };
  ProcessResult declined = rm_on_tty("n\n");
  EXPECT_EQ(declined.exit_code, 1);
  EXPECT_NE(declined.err.find("Delete 1 run? [y/N]"), std::string::npos) << declined.err;
  EXPECT_EQ(tracker::Store(store_path(), store_options()).list_runs().size(), 3u);

  ProcessResult accepted = rm_on_tty("y\n");
  EXPECT_EQ(accepted.exit_code, 0) << accepted.err;
  EXPECT_EQ(tracker::Store(store_path(), store_options()).list_runs().size(), 2u);
}

TEST_F(RunsCommand, StoreFromEnvironmentAndDefaultPath) {
  seed_store();
  ProcessOptions from_env;
  from_env.env["VIGIL_STORE"] = store_path();
  ProcessResult result = run_process({VIGIL_CLI_PATH, "runs", "ls", "--format", "json"}, from_env);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(parse_json(result.out).size(), 3u);

  // Without --store and VIGIL_STORE: ./.vigil/vigil.db in the working directory.
  TempDir work;
  {
    tracker::Store store(work.file(".vigil/vigil.db"), store_options());
    store.start_run().finish();
  }
  ProcessOptions in_dir;
  in_dir.working_directory = work.path().string();
  in_dir.env["VIGIL_STORE"] = std::nullopt;
  ProcessResult defaulted = run_process({VIGIL_CLI_PATH, "runs", "ls", "--format", "json"}, in_dir);
  ASSERT_EQ(defaulted.exit_code, 0) << defaulted.err;
  EXPECT_EQ(parse_json(defaulted.out).size(), 1u);
}

TEST_F(RunsCommand, StoreOptionMayFollowTheCommand) {
  seed_store();
  ProcessResult result =
      vigil_raw({VIGIL_CLI_PATH, "runs", "ls", "--format", "json", "--store", store_path()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(parse_json(result.out).size(), 3u);
}

TEST_F(RunsCommand, BadStoreSchemeNamesSupportedSchemes) {
  ProcessResult result =
      vigil_raw({VIGIL_CLI_PATH, "--store", "mysql://u:secret@db/vigil", "runs", "ls"});
  expect_error(result, 2, "postgresql://");
  EXPECT_NE(result.err.find("mysql://u:***@db/vigil"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("secret"), std::string::npos) << result.err;
}

TEST_F(RunsCommand, MalformedPostgresqlUriIsAUsageErrorWithoutThePassword) {
  ProcessResult result =
      vigil_raw({VIGIL_CLI_PATH, "--store", "postgresql://u:secret@db:port/vigil", "runs", "ls"});
  expect_error(result, 2, "invalid port");
  EXPECT_EQ(result.err.find("secret"), std::string::npos) << result.err;
}

TEST_F(RunsCommand, UnreachablePostgresqlServerIsAnErrorWithoutThePassword) {
  ProcessResult result = vigil_raw(
      {VIGIL_CLI_PATH, "--store", "postgresql://u:secret@127.0.0.1:1/vigil", "runs", "ls"});
  expect_error(result, 1, "postgresql://u:***@127.0.0.1:1/vigil");
  EXPECT_EQ(result.err.find("secret"), std::string::npos) << result.err;
}

TEST_F(RunsCommand, MissingStoreIsErrorAndNeverCreated) {
  std::string absent = dir_.file("absent.db");
  for (const std::vector<std::string>& args : {std::vector<std::string>{"runs", "ls"},
                                               {"runs", "tag", "abc", "x"},
                                               {"runs", "rm", "abc", "--yes"},
                                               {"validate"},
                                               {"export"}}) {
    std::vector<std::string> argv = {VIGIL_CLI_PATH, "--store", absent};
    argv.insert(argv.end(), args.begin(), args.end());
    expect_error(vigil_raw(argv), 1, absent);
  }
  EXPECT_FALSE(std::filesystem::exists(absent));
}

TEST_F(RunsCommand, CorruptStoreIsOneLineErrorAndFileUntouched) {
  std::string garbage(4096, '\x5a');
  {
    std::ofstream file(store_path(), std::ios::binary);
    file << garbage;
  }
  for (const std::vector<std::string>& args : {std::vector<std::string>{"runs", "ls"},
                                               {"runs", "tag", "abc", "x"},
                                               {"export"},
                                               {"validate"}}) {
    ProcessResult result = vigil(args);
    expect_error(result, 1, store_path());
  }
  std::ifstream file(store_path(), std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, garbage);
}

}  // namespace
}  // namespace vigil::testing
