// `vigil ui` as a user starts it: the real binary in a child process, its printed URL read from
// stdout, requests sent over loopback. Covers how the token is given (--token-file and
// $VIGIL_UI_TOKEN keep it out of `ps`).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <httplib.h>

#include <gtest/gtest.h>

#include "process.h"
#include "temp_dir.h"
#include "vigil/tracker.h"

extern char** environ;

namespace vigil::testing {
namespace {

using std::chrono::milliseconds;

/// `vigil ui` running in the background until destroyed (SIGTERM, then waited for).
class UiProcess {
 public:
  UiProcess(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe() failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    std::vector<std::string> argv_text = {VIGIL_CLI_PATH};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : argv_text) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_text;
    for (char** entry = environ; *entry != nullptr; ++entry) {
      const std::string text = *entry;
      if (text.rfind("VIGIL_", 0) != 0) env_text.push_back(text);
    }
    for (const auto& [key, value] : env) env_text.push_back(key + "=" + value);
    std::vector<char*> envp;
    for (auto& entry : env_text) envp.push_back(entry.data());
    envp.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    out_ = out[0];
    if (rc != 0) throw std::runtime_error("posix_spawn failed");
  }
  ~UiProcess() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    ::close(out_);
  }
  UiProcess(const UiProcess&) = delete;
  UiProcess& operator=(const UiProcess&) = delete;

  /// The first stdout line ("vigil ui: serving ... at URL ..."), or "" after 10 s.
  std::string first_line() {
    std::string line;
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < end) {
      pollfd fd{out_, POLLIN, 0};
      if (::poll(&fd, 1, 100) <= 0) continue;
      char c;
      if (::read(out_, &c, 1) != 1) break;
      if (c == '\n') return line;
      line += c;
    }
    return line;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
};

class UiCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tracker::StoreOptions options;
    options.handle_signals = false;
    tracker::Store store(store_path(), options);
    tracker::RunOptions run_options;
    run_options.experiment = "mnist";
    store.start_run(run_options).finish();
  }

  std::string store_path() const { return dir_.file("store.db"); }

  /// Starts `vigil --store STORE ui --port 0 ARGS...` and checks that /api/experiments needs
  /// exactly `token`.
  void expect_token_required(const std::vector<std::string>& args,
                             const std::map<std::string, std::string>& env,
                             const std::string& token) {
    std::vector<std::string> all = {"--store", store_path(), "ui", "--port", "0"};
    all.insert(all.end(), args.begin(), args.end());
    UiProcess ui(all, env);
    const std::string line = ui.first_line();
    std::smatch match;
    ASSERT_TRUE(std::regex_search(line, match, std::regex(R"(:(\d+)/#token=(\S+))"))) << line;
    EXPECT_EQ(match[2], token);
    httplib::Client client("127.0.0.1", std::stoi(match[1]));
    client.set_read_timeout(5, 0);
    auto without = client.Get("/api/experiments");
    ASSERT_TRUE(without);
    EXPECT_EQ(without->status, 403);
    auto wrong = client.Get("/api/experiments", {{"Authorization", "Bearer wrong"}});
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->status, 403);
    auto with = client.Get("/api/experiments", {{"Authorization", "Bearer " + token}});
    ASSERT_TRUE(with);
    EXPECT_EQ(with->status, 200) << with->body;
  }

  ProcessResult vigil(const std::vector<std::string>& args,
                      std::map<std::string, std::optional<std::string>> env = {}) {
    std::vector<std::string> argv = {VIGIL_CLI_PATH, "--store", store_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessOptions options;
    options.env = std::move(env);
    options.env.emplace("VIGIL_UI_TOKEN", std::nullopt);
    return run_process(argv, options);
  }

  TempDir dir_;
};

TEST_F(UiCommandTest, TokenFromAFileKeepsItOffTheCommandLine) {
  const std::string path = dir_.file("token");
  std::ofstream(path) << "s3cret-from-file\n";
  expect_token_required({"--token-file", path}, {}, "s3cret-from-file");
}

TEST_F(UiCommandTest, TokenFromTheEnvironment) {
  expect_token_required({}, {{"VIGIL_UI_TOKEN", "s3cret-from-env"}}, "s3cret-from-env");
}

TEST_F(UiCommandTest, TokenOptionWinsOverTheEnvironment) {
  expect_token_required({"--token", "from-option"}, {{"VIGIL_UI_TOKEN", "from-env"}},
                        "from-option");
}

TEST_F(UiCommandTest, BadTokenFileIsAUsageError) {
  const auto missing = vigil({"ui", "--port", "0", "--token-file", dir_.file("nope")});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_NE(missing.err.find("--token-file"), std::string::npos) << missing.err;
  EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1) << missing.err;

  const std::string empty = dir_.file("empty");
  std::ofstream(empty) << "\n";
  const auto blank = vigil({"ui", "--port", "0", "--token-file", empty});
  EXPECT_EQ(blank.exit_code, 2) << blank.err;
  EXPECT_NE(blank.err.find("is empty"), std::string::npos) << blank.err;

  const std::string spaced = dir_.file("spaced");
  std::ofstream(spaced) << "two words\n";
  const auto two = vigil({"ui", "--port", "0", "--token-file", spaced});
  EXPECT_EQ(two.exit_code, 2) << two.err;

  const auto both = vigil({"ui", "--port", "0", "--token", "x", "--token-file", spaced});
  EXPECT_EQ(both.exit_code, 2) << both.err;
}

TEST_F(UiCommandTest, HelpNamesEveryWayToGiveTheToken) {
  const auto help = vigil({"ui", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--token-file"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("VIGIL_UI_TOKEN"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace vigil::testing
