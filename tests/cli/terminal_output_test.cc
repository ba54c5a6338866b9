// `vigil` against hostile stored text and tags, and export onto the store (issue 9): escapes never
// reach the terminal from text output, JSON stays exact, tags follow the one tag rule, and export
// never writes over the store.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_fixture.h"

namespace vigil::testing {
namespace {

using CliSafety = CliTest;

constexpr const char* kEvilName =
    "evil\x1b[2J\x1b]0;pwned\x07\xc2\x9b"
    "31m\nsecond line";
constexpr const char* kEvilExperiment = "exp\x1b[31m";
constexpr const char* kEvilError = "boom\r\x1b[1Afake: all good";

bool has_control_bytes(const std::string& text) {
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\n') || c == 0x7f) return true;
  }
  return text.find("\xc2\x9b") != std::string::npos;  // C1 CSI
}

class EvilStore : public CliTest {
 protected:
  void SetUp() override {
    tracker::Store store(store_path(), store_options());
    tracker::RunOptions options;
    options.name = kEvilName;
    options.experiment = kEvilExperiment;
    options.params = {{"key\x1b[1m", "value\x1b]8;;http://x\x07link"},
                      {"multi", "line one\nline\x1b[2K two"}};
    tracker::Run run = store.start_run(options);
    run.log_metric("loss\x1b[5m", 1.0, 0);
    run.finish(tracker::RunStatus::kFailed, kEvilError);
    id_ = run.id();
  }
  std::string id_;
};

TEST_F(EvilStore, TableAndTextOutputPrintEscapesEscaped) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"runs", "ls"},
                                             {"runs", "show", id_},
                                             {"runs", "ls", "--experiment", kEvilExperiment}}) {
    const ProcessResult result = vigil(args);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_FALSE(has_control_bytes(result.out)) << result.out;
    EXPECT_NE(result.out.find("\\x1b[2J"), std::string::npos) << result.out;
  }
  const ProcessResult show = vigil({"runs", "show", id_});
  for (const char* escaped :
       {"evil\\x1b[2J\\x1b]0;pwned\\x07\\u009b31m\\nsecond line", "exp\\x1b[31m",
        "boom\\r\\x1b[1Afake: all good", "key\\x1b[1m", "line\\x1b[2K two", "loss\\x1b[5m"}) {
    EXPECT_NE(show.out.find(escaped), std::string::npos) << escaped << "\n" << show.out;
  }
}

TEST_F(EvilStore, JsonOutputKeepsTheExactText) {
  const ProcessResult result = vigil({"runs", "show", id_, "--format", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto run = parse_json(result.out);
  EXPECT_EQ(run.at("name"), kEvilName);
  EXPECT_EQ(run.at("experiment"), kEvilExperiment);
  EXPECT_EQ(run.at("error"), kEvilError);
}

TEST_F(EvilStore, ErrorMessagesAreEscapedToo) {
  const ProcessResult result = vigil({"runs", "show", "\x1b[2J\x1b]0;x\x07"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_FALSE(has_control_bytes(result.err)) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  const ProcessResult tag = vigil({"runs", "tag", id_, "\x1b[2J"});
  expect_error(tag, 2, "\\x1b[2J");
  EXPECT_FALSE(has_control_bytes(tag.err)) << tag.err;
}

TEST_F(CliSafety, TagsFollowTheTrackerRule) {
  const SeededRuns ids = seed_store();
  for (const std::string& tag :
       {std::string("\x1b[2J"), std::string("new\nline"), std::string("bidi\u202e"),
        std::string(10'001, 'a'), std::string(tracker::kMaxTagLength + 1, 'b')}) {
    const ProcessResult result = vigil({"runs", "tag", ids.baseline, tag});
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_FALSE(has_control_bytes(result.err)) << result.err;
  }
  const ProcessResult longest =
      vigil({"runs", "tag", ids.baseline, std::string(tracker::kMaxTagLength, 'c')});
  EXPECT_EQ(longest.exit_code, 0) << longest.err;
  tracker::Store store(store_path(), store_options());
  EXPECT_EQ(
      store.get_run(ids.baseline).tags,
      (std::vector<std::string>{"baseline", std::string(tracker::kMaxTagLength, 'c'), "cpu"}));
}

TEST_F(CliSafety, ExportRefusesToWriteOverTheStore) {
  seed_store();
  const std::string before = read_file(store_path());
  ASSERT_FALSE(before.empty());
  const std::string link = dir_.file("link.db");
  std::filesystem::create_symlink(store_path(), link);
  const std::string hard = dir_.file("hard.db");
  std::filesystem::create_hard_link(store_path(), hard);
  const std::filesystem::path parent = std::filesystem::path(store_path()).parent_path();
  const std::string dotted = (parent / "." / "store.db").string();
  const std::string relative_up = (parent / ".." / parent.filename() / "store.db").string();
  for (const std::string& output :
       {store_path(), link, hard, dotted, relative_up, store_path() + "-wal", store_path() + "-shm",
        store_path() + "-journal"}) {
    for (const char* format : {"csv", "json"}) {
      const ProcessResult result = vigil({"export", "--format", format, "--output", output});
      expect_error(result, 2, "--output");
      EXPECT_NE(result.err.find("is the store"), std::string::npos) << result.err;
    }
  }
  // Through the global --store spelled another way, too.
  const ProcessResult via_uri = vigil_raw(
      {VIGIL_CLI_PATH, "--store", "sqlite://" + store_path(), "export", "--output", dotted});
  expect_error(via_uri, 2, "is the store");
  EXPECT_EQ(read_file(store_path()), before);
  tracker::Store store(store_path(), store_options());
  EXPECT_EQ(store.list_runs().size(), 3u);
  // A different file next to it is fine.
  const ProcessResult ok = vigil({"export", "--output", dir_.file("points.csv")});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

}  // namespace
}  // namespace vigil::testing
