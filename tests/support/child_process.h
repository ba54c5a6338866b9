#pragma once

// A helper process running beside the test, its stdout readable line by line while it runs
// (process tests: several writers at once, SIGKILL, SIGTERM). Killed and reaped when the
// object goes away.

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace vigil::testing {

class ChildProcess {
 public:
  /// Starts `binary` with `args`. `merge_stderr`: the child's stderr (its log) goes to the
  /// same pipe as its stdout.
  ChildProcess(std::string binary, std::vector<std::string> args, bool merge_stderr = false) {
    args.insert(args.begin(), std::move(binary));
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    if (merge_stderr) posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) throw std::runtime_error("posix_spawn failed");
    out_ = fdopen(fds[0], "r");
  }
  ~ChildProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      wait();
    }
    if (out_) fclose(out_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// Process id (-1 once reaped).
  pid_t pid() const { return pid_; }
  /// Every line until the child closes its output.
  std::vector<std::string> read_all_lines() {
    std::vector<std::string> lines;
    for (std::string line = read_line(); !line.empty() || !feof(out_); line = read_line()) {
      lines.push_back(line);
    }
    return lines;
  }
  /// The next line (without its newline); empty at the end of the output.
  std::string read_line() {
    char buffer[1024] = {};
    if (!fgets(buffer, sizeof(buffer), out_)) return {};
    std::string line(buffer);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    return line;
  }
  void signal(int sig) { kill(pid_, sig); }
  /// Reaps the child (so its pid reads as dead) and returns the wait status.
  int wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
};

}  // namespace vigil::testing
