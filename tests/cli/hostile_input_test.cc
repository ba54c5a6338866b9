// Issue 9 end to end: hostile filters, dates, rules files, names and stored JSON through the
// real `vigil` binary. Each is a clear error (exit 2 for usage, 1 for a bad rules file) or works;
// none crashes, hangs or silently matches nothing.
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "cli_fixture.h"
#include "deep_json.h"
#include "raw_sqlite.h"

namespace vigil::testing {
namespace {

class HostileInput : public CliTest {
 protected:
  std::string write_file(const std::string& file, const std::string& bytes) {
    std::string path = dir_.file(file);
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
};

TEST_F(HostileInput, FiltersThatWouldMatchNothingAreUsageErrors) {
  seed_store();
  for (const char* expression :
       {"optimizer.lr < .5x", "optimizer.lr < 1e309", "lr << 0.01", "lr < 0.01 AND 1=1",
        "optimizer.lr < abc", "name == adam AND 1=1"}) {
    SCOPED_TRACE(expression);
    expect_error(vigil({"runs", "ls", "--param", expression}), 2, expression);
    expect_error(vigil({"runs", "ls", "--param", expression}), 2, "e.g. optimizer.lr < 0.01");
  }
  expect_error(vigil({"runs", "ls", "--metric", "loss < 1e309"}), 2, "out of range");
  expect_error(vigil({"export", "--output", dir_.file("x.csv"), "--where-metric", "loss << 1"}), 2,
               "loss << 1");
}

TEST_F(HostileInput, NumberSpellingsFilterAsNumbers) {
  seed_store();
  for (const auto& [expression, count] : std::vector<std::pair<std::string, std::size_t>>{
           {"optimizer.lr < .5", 1}, {"optimizer.lr < +0.5", 1}, {"optimizer.lr < 1.", 2}}) {
    ProcessResult result = vigil({"runs", "ls", "--format", "json", "--param", expression});
    ASSERT_EQ(result.exit_code, 0) << expression << ": " << result.err;
    EXPECT_EQ(parse_json(result.out).size(), count) << expression;
  }
}

TEST_F(HostileInput, ImpossibleDatesAreUsageErrors) {
  seed_store();
  expect_error(vigil({"runs", "ls", "--since", "2026-02-30"}), 2, "2026-02-30");
  expect_error(vigil({"runs", "ls", "--until", "2025-04-31"}), 2, "2025-04-31");
  expect_error(vigil({"export", "--output", dir_.file("x.csv"), "--since", "2026-13-01"}), 2,
               "2026-13-01");
}

TEST_F(HostileInput, StoredParamsNestedTooDeeplyStillListShowAndExport) {
  const auto ids = seed_store();
  raw_exec(store_path(), "UPDATE runs SET params = '" + deep_object_text(100'000) +
                             "' WHERE id = '" + ids.baseline + "'");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"runs", "show", ids.baseline},
        {"runs", "show", ids.baseline, "--format", "json"},
        {"runs", "ls", "--format", "json"},
        {"runs", "ls", "--format", "csv"},
        {"export", "--output", dir_.file("all.json"), "--format", "json"}}) {
    ProcessResult result = vigil(args);
    EXPECT_EQ(result.exit_code, 0) << args[1] << " " << args.back() << ": " << result.err;
    EXPECT_LT(result.out.size(), 100'000u) << args[1];
  }
}

TEST_F(HostileInput, RulesFilesBeyondTheLimitsAreProblemsWithLocations) {
  using namespace std::string_literals;
  struct Case {
    std::string file;
    std::string bytes;
    std::string fragment;
  };
  for (const Case& c : {
           Case{"range.json", "{\n  \"rules\": [],\n  \"version\": 1e999\n}", ":3:14: "},
           Case{"range.json", "{\n  \"rules\": [],\n  \"version\": 1e999\n}",
                "number out of range"},
           Case{"nul.json", "{\"rules\": []}\n\0garbage"s, ":2:1: "},
           Case{"deep.json", "{\"rules\": [], \"name\": " + deep_array_text(100'000) + "}",
                "limit of 64"},
           Case{"pattern.json",
                R"({"rules": [{"id": "p", "kind": "pattern", "path": "run.name",
                               "pattern": "(?<=x)y"}]})",
                "/rules/0/pattern"},
       }) {
    const std::string path = write_file(c.file, c.bytes);
    ProcessResult result = vigil({"rules", "check", path});
    EXPECT_EQ(result.exit_code, 1) << c.file << ": " << result.out << result.err;
    EXPECT_NE(result.out.find(path + ":"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find(c.fragment), std::string::npos) << c.fragment << " in " << result.out;
    EXPECT_LT(result.out.size(), 2'000u);
  }
  ProcessResult zero = vigil({"rules", "check", "/dev/zero"});
  EXPECT_EQ(zero.exit_code, 1) << zero.err;
  EXPECT_NE(zero.out.find("/dev/zero: larger than the limit"), std::string::npos) << zero.out;
}

TEST_F(HostileInput, HugeRunNamesValidateAgainstTheDefaultPolicy) {
  for (const std::size_t length : {std::size_t{30'000}, std::size_t{1'000'000}}) {
    tracker::Store store(store_path(), store_options());
    tracker::RunOptions options;
    options.name = std::string(length, 'r');
    options.params = {{"optimizer", {{"name", "sgd"}, {"lr", 0.01}}}, {"epochs", 20}};
    tracker::Run run = store.start_run(options);
    run.log_results({{"final_accuracy", 0.9}});
    run.finish();
    ProcessResult result = vigil({"validate", run.id(), "--format", "json"});
    EXPECT_EQ(result.exit_code, 0) << length << ": " << result.err.substr(0, 500);
    EXPECT_NE(result.out.find("\"PASS\""), std::string::npos) << length;
  }
}

}  // namespace
}  // namespace vigil::testing
