#include "ui_command.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "security.h"
#include "server.h"
#include "vigil/tracker/store.h"

namespace vigil::cli {
namespace {

// Blocks SIGINT/SIGTERM in every thread created while it lives (the server's pool inherits the
// mask) and turns them into Server::stop() from a watcher thread, so nothing unsafe runs in a
// signal handler. Restores the previous mask on destruction.
class SignalStopper {
 public:
  SignalStopper() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
  }
  ~SignalStopper() noexcept {
    done_ = true;
    if (watcher_.joinable()) watcher_.join();
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SignalStopper(const SignalStopper&) = delete;
  SignalStopper& operator=(const SignalStopper&) = delete;

  void watch(ui::Server& server) {
    watcher_ = std::thread([this, &server] {
      const timespec tick{0, 200'000'000};
      while (!done_) {
        const int signal = sigtimedwait(&signals_, nullptr, &tick);
        if (signal == SIGINT || signal == SIGTERM) {
          std::cerr << "vigil ui: stopping\n";
          server.stop();
          return;
        }
      }
    });
  }

 private:
  sigset_t signals_{};
  sigset_t previous_{};
  std::atomic<bool> done_{false};
  std::thread watcher_;
};

struct UiSettings {
  ui::ServerOptions options;
  std::string token_file;
};

constexpr const char* kTokenVariable = "VIGIL_UI_TOKEN";

// A token as given: one line, no spaces or control characters (it travels in a header).
std::string checked_token(std::string token, const std::string& source) {
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  if (token.empty()) throw ui::UsageError(source + " is empty; expected a token");
  for (unsigned char c : token) {
    if (c <= 0x20 || c == 0x7f) {
      throw ui::UsageError(source +
                           " holds a space or control character; expected one line "
                           "of printable characters");
    }
  }
  return token;
}

std::string read_token_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw ui::UsageError("--token-file " + path + ": cannot read (" + std::strerror(errno) +
                         "); expected a file holding the token");
  }
  std::ostringstream text;
  text << file.rdbuf();
  return checked_token(text.str(), "--token-file " + path);
}

// --token, else --token-file, else $VIGIL_UI_TOKEN (the last two keep it out of `ps`).
std::string resolve_token(const UiSettings& settings) {
  if (!settings.options.token.empty()) return checked_token(settings.options.token, "--token");
  if (!settings.token_file.empty()) return read_token_file(settings.token_file);
  const char* variable = std::getenv(kTokenVariable);
  if (variable != nullptr && *variable != '\0') {
    return checked_token(variable, std::string("$") + kTokenVariable);
  }
  return {};
}

void run_ui(const UiSettings& settings, const std::string* store_uri) {
  ui::ServerOptions options = settings.options;
  options.token = resolve_token(settings);
  if (store_uri != nullptr) options.store_uri = *store_uri;
  // Signals are blocked before anything starts a thread (the store may), so every thread
  // inherits the mask and SIGINT/SIGTERM reach only the watcher.
  SignalStopper stopper;
  ui::Server server(options);  // validates the options first
  if (!ui::is_loopback_host(options.host)) {
    std::cerr << "vigil ui: warning: --host " << options.host
              << " makes the dashboard reachable from other machines"
              << (options.token.empty() ? " WITHOUT a token (--insecure)" : "")
              << "; traffic is plain HTTP\n";
  }
  server.bind();
  stopper.watch(server);
  std::cout << "vigil ui: serving " << tracker::Store::redact_uri(server.store_uri()) << " at "
            << server.url() << " (Ctrl-C to stop)" << std::endl;
  server.serve();
  std::cout << "vigil ui: stopped" << std::endl;
}

}  // namespace

void add_ui_command(CLI::App& app, const std::string* store_uri) {
  auto settings = std::make_shared<UiSettings>();
  auto& options = settings->options;
  CLI::App* ui = app.add_subcommand("ui", "Serve the web dashboard and its JSON API");
  ui->add_option("--host", options.host, "Address to bind (default 127.0.0.1)");
  ui->add_option("--port", options.port, "TCP port; 0 picks a free one (default 43800)")
      ->check(CLI::Range(0, 65535));
  CLI::Option* token = ui->add_option(
      "--token", options.token,
      "Require this token on every API call (needed for a non-loopback --host). Visible to "
      "other users in `ps`: prefer --token-file or $VIGIL_UI_TOKEN");
  ui->add_option("--token-file", settings->token_file,
                 "Read the token from this file (one line; a trailing newline is ignored)")
      ->excludes(token);
  ui->footer(std::string("Without --token or --token-file, the token is taken from $") +
             kTokenVariable + " when it is set and not empty.");
  ui->add_flag("--insecure", options.insecure,
               "Allow a non-loopback --host without --token (anyone who can connect reads the "
               "store)");
  ui->fallthrough();  // the global --store may follow `ui`
  ui->callback([settings, store_uri]() {
    try {
      run_ui(*settings, store_uri);
    } catch (const ui::UsageError& e) {
      throw CLI::ValidationError(e.what());
    }
  });
}

}  // namespace vigil::cli
