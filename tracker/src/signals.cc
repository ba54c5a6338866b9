#include "signals.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "log.h"
#include "run_state.h"

namespace vigil::tracker::detail {
namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM};

volatile sig_atomic_t g_handling = 0;
int g_pipe_write = -1;
pid_t g_owner_pid = 0;  // the process whose signal thread reads the pipe

struct Registry {
  std::mutex mu;
  std::vector<std::weak_ptr<RunState>> runs;  // guarded by mu
  bool installed[2] = {false, false};         // guarded by mu
  struct sigaction previous[2];               // guarded by mu
  bool thread_started = false;                // guarded by mu
  int pipe_read = -1;                         // guarded by mu
};

// Leaked on purpose: the signal thread uses it until the process exits.
Registry& registry() {
  static Registry* instance = new Registry;
  return *instance;
}

extern "C" void vigil_on_signal(int sig) {
  int saved_errno = errno;
  // A child forked without exec shares the pipe but has no signal thread (and no live runs):
  // it must not end its parent's runs. It gets the default action.
  if (getpid() != g_owner_pid || g_handling) {  // or a second signal: the user insists
    signal(sig, SIG_DFL);
    sigset_t unblock;  // the signal is blocked inside its own handler: let it through now
    sigemptyset(&unblock);
    sigaddset(&unblock, sig);
    pthread_sigmask(SIG_UNBLOCK, &unblock, nullptr);
    raise(sig);
    errno = saved_errno;
    return;
  }
  g_handling = 1;
  unsigned char byte = static_cast<unsigned char>(sig);
  ssize_t ignored = write(g_pipe_write, &byte, 1);
  (void)ignored;
  errno = saved_errno;
}

void handle(int sig) {
  Registry& r = registry();
  std::vector<std::shared_ptr<RunState>> live;
  {
    std::lock_guard<std::mutex> lock(r.mu);
    for (auto& weak : r.runs) {
      if (auto run = weak.lock()) live.push_back(std::move(run));
    }
  }
  const std::string name = sig == SIGINT ? "SIGINT" : (sig == SIGTERM ? "SIGTERM" : "signal");
  logger()->warn("{} received: flushing {} live run(s) and marking them killed", name, live.size());
  for (auto& run : live) run->finish(RunStatus::kKilled, "killed by " + name);
  live.clear();
  {
    std::lock_guard<std::mutex> lock(r.mu);
    for (int i = 0; i < 2; ++i) {
      if (kSignals[i] == sig && r.installed[i]) {
        sigaction(sig, &r.previous[i], nullptr);
        r.installed[i] = false;
      }
    }
  }
  logger()->flush();
  g_handling = 0;
  raise(sig);  // the previous disposition: by default, terminate
}

void signal_thread(int fd) {
  for (;;) {
    unsigned char byte = 0;
    ssize_t n = read(fd, &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    handle(byte);
  }
}

// Requires r.mu held.
void install(Registry& r) {
  if (!r.thread_started) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
      logger()->warn("cannot create the signal pipe: SIGINT/SIGTERM will not flush runs");
      return;
    }
    g_pipe_write = fds[1];
    g_owner_pid = getpid();
    r.pipe_read = fds[0];
    std::thread(signal_thread, fds[0]).detach();
    r.thread_started = true;
  }
  // The current disposition is checked every time (not just a flag): the host program may
  // have installed its own handler since, and that one becomes the "previous" to chain to.
  for (int i = 0; i < 2; ++i) {
    struct sigaction current;
    if (sigaction(kSignals[i], nullptr, &current) != 0) continue;
    const bool plain = !(current.sa_flags & SA_SIGINFO);
    if (plain && current.sa_handler == vigil_on_signal) continue;
    if (plain && current.sa_handler == SIG_IGN) continue;  // e.g. nohup: stay ignored
    struct sigaction ours = {};
    ours.sa_handler = vigil_on_signal;
    sigemptyset(&ours.sa_mask);
    ours.sa_flags = SA_RESTART;
    if (sigaction(kSignals[i], &ours, &r.previous[i]) == 0) r.installed[i] = true;
  }
}

}  // namespace

void watch_signals(const std::shared_ptr<RunState>& run) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.runs.erase(std::remove_if(r.runs.begin(), r.runs.end(),
                              [](const std::weak_ptr<RunState>& w) { return w.expired(); }),
               r.runs.end());
  r.runs.push_back(run);
  install(r);
}

void unwatch_signals(const RunState* run) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.runs.erase(std::remove_if(r.runs.begin(), r.runs.end(),
                              [&](const std::weak_ptr<RunState>& w) {
                                auto locked = w.lock();
                                return !locked || locked.get() == run;
                              }),
               r.runs.end());
}

}  // namespace vigil::tracker::detail
