#pragma once

// Runs a child process the way a user would, for end-to-end tests of the real binaries
// (vigil, vigil-mnist, ...): argv, extra environment, stdin text, optional working directory
// and an optional pseudo-terminal on stdin; captures stdout, stderr and the exit status.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

extern char** environ;

namespace vigil::testing {

/// What a finished child process did.
struct ProcessResult {
  int exit_code = -1;  ///< exit status, or 128 + signal number when killed by a signal
  std::string out;     ///< everything written to stdout
  std::string err;     ///< everything written to stderr
};

/// How to start the child.
struct ProcessOptions {
  /// Environment changes on top of this process's environment: a value sets the variable,
  /// std::nullopt removes it.
  std::map<std::string, std::optional<std::string>> env;
  /// Written to the child's stdin, which is then closed (or, with stdin_tty, left open until
  /// the child exits).
  std::string stdin_text;
  /// Working directory of the child; empty = this process's.
  std::string working_directory;
  /// Give the child a pseudo-terminal as stdin (isatty(0) is true), so interactive prompts
  /// can be tested; stdout and stderr stay pipes.
  bool stdin_tty = false;
};

namespace detail {

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd = -1) : fd_(fd) {}
  ~FileDescriptor() noexcept { reset(); }
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;

  int get() const { return fd_; }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

inline void check_call(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string(what) + " failed: " + std::strerror(errno));
}

inline std::pair<FileDescriptor, FileDescriptor> make_pipe() {
  int fds[2];
  check_call(::pipe2(fds, O_CLOEXEC) == 0, "pipe2");
  return {FileDescriptor(fds[0]), FileDescriptor(fds[1])};
}

inline std::vector<std::string> child_environment(
    const std::map<std::string, std::optional<std::string>>& changes) {
  std::map<std::string, std::string> merged;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string text(*entry);
    auto eq = text.find('=');
    if (eq != std::string::npos) merged[text.substr(0, eq)] = text.substr(eq + 1);
  }
  for (const auto& [name, value] : changes) {
    if (value) {
      merged[name] = *value;
    } else {
      merged.erase(name);
    }
  }
  std::vector<std::string> result;
  for (const auto& [name, value] : merged) result.push_back(name + "=" + value);
  return result;
}

}  // namespace detail

/// Runs `argv` (argv[0] is a path, not searched in PATH) to completion and returns its exit
/// status and output. Throws std::runtime_error if the process cannot be started.
inline ProcessResult run_process(const std::vector<std::string>& argv,
                                 const ProcessOptions& options = {}) {
  if (argv.empty()) throw std::invalid_argument("run_process: argv must not be empty");
  auto [out_read, out_write] = detail::make_pipe();
  auto [err_read, err_write] = detail::make_pipe();
  detail::FileDescriptor in_read;
  detail::FileDescriptor in_write;  // our end: a pipe's write end, or the pty master
  if (options.stdin_tty) {
    in_write = detail::FileDescriptor(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    detail::check_call(in_write.get() >= 0, "posix_openpt");
    detail::check_call(::grantpt(in_write.get()) == 0 && ::unlockpt(in_write.get()) == 0,
                       "grantpt/unlockpt");
    in_read =
        detail::FileDescriptor(::open(::ptsname(in_write.get()), O_RDWR | O_NOCTTY | O_CLOEXEC));
    detail::check_call(in_read.get() >= 0, "open pty slave");
  } else {
    auto pipe = detail::make_pipe();
    in_read = std::move(pipe.first);
    in_write = std::move(pipe.second);
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_read.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
  if (!options.working_directory.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, options.working_directory.c_str());
  }
  std::vector<std::string> environment = detail::child_environment(options.env);
  std::vector<char*> env_pointers;
  for (auto& entry : environment) env_pointers.push_back(entry.data());
  env_pointers.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> arg_pointers;
  for (auto& arg : args) arg_pointers.push_back(arg.data());
  arg_pointers.push_back(nullptr);

  pid_t pid = 0;
  int spawn_error = ::posix_spawn(&pid, args[0].c_str(), &actions, nullptr, arg_pointers.data(),
                                  env_pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) {
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(spawn_error));
  }
  in_read.reset();
  out_write.reset();
  err_write.reset();

  // A closed reader must not kill the test with SIGPIPE.
  struct sigaction ignore {};
  struct sigaction previous {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous);

  if (in_write.get() >= 0) {
    // a large stdin_text must not block us while the child waits for us to drain its output
    ::fcntl(in_write.get(), F_SETFL, ::fcntl(in_write.get(), F_GETFL) | O_NONBLOCK);
  }
  ProcessResult result;
  std::size_t written = 0;
  if (options.stdin_tty && options.stdin_text.empty()) {
    // keep the pty open (an interactive terminal nobody types into) until the child exits
  } else if (!options.stdin_tty && options.stdin_text.empty()) {
    in_write.reset();
  }
  bool out_open = true;
  bool err_open = true;
  while (out_open || err_open) {
    std::vector<pollfd> fds;
    if (out_open) fds.push_back({out_read.get(), POLLIN, 0});
    if (err_open) fds.push_back({err_read.get(), POLLIN, 0});
    bool writing = in_write.get() >= 0 && written < options.stdin_text.size();
    if (writing) fds.push_back({in_write.get(), POLLOUT, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      detail::check_call(false, "poll");
    }
    for (const pollfd& entry : fds) {
      if (entry.revents == 0) continue;
      if (entry.fd == in_write.get()) {
        ssize_t n = ::write(entry.fd, options.stdin_text.data() + written,
                            options.stdin_text.size() - written);
        if (n < 0 && errno != EINTR && errno != EAGAIN) {
          in_write.reset();  // the child closed its stdin early
        } else if (n > 0) {
          written += static_cast<std::size_t>(n);
          if (written == options.stdin_text.size() && !options.stdin_tty) in_write.reset();
        }
        continue;
      }
      char buffer[65536];
      ssize_t n = ::read(entry.fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      std::string& target = entry.fd == out_read.get() ? result.out : result.err;
      if (n > 0) {
        target.append(buffer, static_cast<std::size_t>(n));
      } else if (entry.fd == out_read.get()) {
        out_open = false;
      } else {
        err_open = false;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) detail::check_call(false, "waitpid");
  }
  ::sigaction(SIGPIPE, &previous, nullptr);
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);
  }
  return result;
}

}  // namespace vigil::testing
