// SIGINT handling inside this process: the run is flushed and stored `killed`, then the
// handler that was installed before vigil's runs (here a recording one instead of the
// default action, which would end the test).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "store_fixture.h"

namespace vigil::tracker {
namespace {

std::atomic<int> g_previous_handler_calls{0};

extern "C" void record_signal(int) { g_previous_handler_calls.fetch_add(1); }

class SignalTest : public StoreTest {
 protected:
  void SetUp() override {
    struct sigaction recorder = {};
    recorder.sa_handler = record_signal;
    sigemptyset(&recorder.sa_mask);
    sigaction(SIGINT, &recorder, &saved_);
    g_previous_handler_calls = 0;
  }
  void TearDown() override { sigaction(SIGINT, &saved_, nullptr); }
  struct sigaction saved_ = {};
};

TEST_P(SignalTest, SigintFlushesRunStoresKilledAndChainsToPreviousHandler) {
  StoreOptions options = fast_options();
  options.handle_signals = true;
  options.flush_interval = std::chrono::hours(1);  // only the signal path commits
  Store store = open(options);
  auto run = store.start_run();
  auto loss = run.metric("loss");
  for (int i = 0; i < 3000; ++i) loss.log(i, i);

  raise(SIGINT);
  for (int i = 0; i < 500 && g_previous_handler_calls.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(g_previous_handler_calls.load(), 1) << "the previous handler was not re-raised";
  EXPECT_EQ(run.status(), RunStatus::kKilled);
  RunInfo info = store.get_run(run.id());
  EXPECT_EQ(info.status, RunStatus::kKilled);
  EXPECT_EQ(info.error, "killed by SIGINT");
  EXPECT_EQ(info.metrics.at(0).count, 3000);

  // The previous disposition is back in place: vigil no longer intercepts SIGINT.
  struct sigaction current;
  sigaction(SIGINT, nullptr, &current);
  EXPECT_EQ(current.sa_handler, record_signal);
}

TEST_P(SignalTest, IgnoredSignalStaysIgnored) {
  signal(SIGINT, SIG_IGN);
  StoreOptions options = fast_options();
  options.handle_signals = true;
  Store store = open(options);
  auto run = store.start_run();
  struct sigaction current;
  sigaction(SIGINT, nullptr, &current);
  EXPECT_EQ(current.sa_handler, SIG_IGN);
  run.finish();
}

TEST_P(SignalTest, HandlersAreNotInstalledWhenDisabled) {
  Store store = open();  // fast_options: handle_signals = false
  auto run = store.start_run();
  struct sigaction current;
  sigaction(SIGINT, nullptr, &current);
  EXPECT_EQ(current.sa_handler, record_signal);
  run.finish();
}

TEST_P(SignalTest, SignalToForkedChildDoesNotEndParentRuns) {
  StoreOptions options = fast_options();
  options.handle_signals = true;
  Store store = open(options);
  auto run = store.start_run();
  pid_t child = fork();
  if (child == 0) {
    for (;;) pause();  // inherits vigil's handler and pipe, but not its signal thread
  }
  ASSERT_GT(child, 0);
  kill(child, SIGTERM);
  int status = 0;
  pid_t reaped = 0;
  for (int i = 0; i < 1000 && reaped == 0; ++i) {  // bounded: never hang the suite
    reaped = waitpid(child, &status, WNOHANG);
    if (reaped == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (reaped == 0) {
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    FAIL() << "the forked child did not die of SIGTERM";
  }
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(run.status(), RunStatus::kRunning);
  run.finish();
  EXPECT_EQ(store.get_run(run.id()).status, RunStatus::kFinished);
}

VIGIL_ON_EVERY_BACKEND(SignalTest);

}  // namespace
}  // namespace vigil::tracker
