// The error model as the `vigil` command shows it: every vigil exception derives from
// vigil::Error and carries its exit code; main() has one catch for them, so each documented
// exit code (README: 0 ok, 1 failure, 2 usage error, 3 run not found or ambiguous) still
// happens for every kind of error.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "cli_fixture.h"
#include "errors.h"
#include "http_error.h"
#include "server.h"
#include "vigil/error.h"

namespace vigil::testing {
namespace {

using ExitCodes = CliTest;

template <typename E>
int exit_code_of(const E& error) {
  const vigil::Error& root = error;  // compiles only if E derives from the one root
  return root.exit_code();
}

TEST(CliErrors, UsageErrorsExitTwoAndOtherErrorsOne) {
  EXPECT_EQ(exit_code_of(cli::UsageError("--limit is -3")), 2);
  EXPECT_EQ(exit_code_of(ui::UsageError("--host 0.0.0.0 needs --token")), 2);
  EXPECT_EQ(exit_code_of(ui::BindError("port 80 in use")), 1);
  EXPECT_EQ(exit_code_of(ui::HttpError(404, "no run")), 1);
  EXPECT_EQ(ui::HttpError(404, "no run").status(), 404);
}

TEST_F(ExitCodes, EachKindOfErrorKeepsItsExitCode) {
  SeededRuns ids = seed_store();
  EXPECT_EQ(vigil({"runs", "ls"}).exit_code, 0);
  // 2: CLI11 parse error, cli::UsageError, tracker::InvalidArgument (filter, store URI).
  expect_error(vigil({"runs", "ls", "--colour"}), 2, "--colour");
  expect_error(vigil({"runs", "rm", ids.baseline}), 2, "--yes");
  expect_error(vigil({"runs", "ls", "--status", "sleeping"}), 2, "sleeping");
  expect_error(vigil_raw({VIGIL_CLI_PATH, "--store", "ftp://x", "runs", "ls"}), 2, "ftp");
  // 3: tracker::RunNotFound, tracker::AmbiguousRunId.
  expect_error(vigil({"runs", "show", "ffffffffffff"}), 3, "ffffffffffff");
  std::map<char, int> first_digits;  // pigeonhole: among 17 ids two share their first digit
  std::string prefix;
  for (int i = 0; i < 17 && prefix.empty(); ++i) {
    const std::string id = add_run("run-" + std::to_string(i), "mnist", {{"lr", 0.01}});
    if (++first_digits[id[0]] == 2) prefix = id.substr(0, 1);
  }
  // The one error line is followed by the candidates, one "  ID  NAME" line each (issue 8).
  const ProcessResult ambiguous = vigil({"runs", "show", prefix});
  EXPECT_EQ(ambiguous.exit_code, 3) << ambiguous.err;
  const auto first_line_end = ambiguous.err.find('\n');
  ASSERT_NE(first_line_end, std::string::npos) << ambiguous.err;
  expect_error({3, "", ambiguous.err.substr(0, first_line_end + 1)}, 3, prefix);
  const std::vector<std::string> candidates = lines(ambiguous.err.substr(first_line_end + 1));
  EXPECT_GE(candidates.size(), 2u) << ambiguous.err;
  for (const std::string& line : candidates) EXPECT_EQ(line.rfind("  ", 0), 0u) << line;
  // 1: rules::RulesError, tracker::StoreError, a plain vigil::Error (export output).
  const std::string bad_rules = dir_.file("bad.json");
  std::ofstream(bad_rules) << "{\"rules\": [";
  expect_error(vigil({"validate", "--rules", bad_rules}), 1, "bad.json");
  const std::string not_a_store = dir_.file("notes.txt");
  std::ofstream(not_a_store) << std::string(4096, 'Z');
  expect_error(vigil_raw({VIGIL_CLI_PATH, "--store", not_a_store, "runs", "ls"}), 1, "notes.txt");
  expect_error(vigil({"export", "--format", "csv", "--output", dir_.file("missing-dir/out.csv")}),
               1, "missing-dir");
}

}  // namespace
}  // namespace vigil::testing
