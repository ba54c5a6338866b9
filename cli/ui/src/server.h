#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "connection_limits.h"
#include "vigil/error.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace vigil::ui {

class Api;

/// Settings of the dashboard server (the options of `vigil ui`).
struct ServerOptions {
  /// Store to serve; empty = $VIGIL_STORE or ./.vigil/vigil.db (tracker::Store::resolve_uri).
  std::string store_uri;
  /// Address to bind. Default 127.0.0.1. Any non-loopback address requires `token` unless
  /// `insecure`.
  std::string host = "127.0.0.1";
  /// TCP port, 0-65535. 0 picks a free port (see Server::port()). Default 43800.
  int port = 43800;
  /// When not empty, every /api/ request must carry it ("Authorization: Bearer TOKEN" or
  /// ?token=TOKEN). The page itself reads it from the URL fragment (#token=TOKEN).
  std::string token;
  /// Allow a non-loopback `host` without a token. Default false.
  bool insecure = false;
  /// What one client may cost (request sizes, read/write deadlines, worker threads).
  ConnectionLimits limits;
};

/// Options that cannot work together (e.g. a public address without a token). The message
/// names the option and what is expected.
class UsageError : public vigil::InvalidArgument {
 public:
  using vigil::InvalidArgument::InvalidArgument;
};

/// The address is in use or cannot be bound.
class BindError : public vigil::Error {
 public:
  using vigil::Error::Error;
};

/// The `vigil ui` HTTP server: embedded web assets at exact paths and the JSON API under
/// /api/ (cli/ui/API.md), with the security checks of the dashboard (token, same-origin
/// POSTs, Host check on loopback, Content-Security-Policy).
///
/// Usage:
///   vigil::ui::Server server(options);  // validates options, opens the store read-only
///   const int port = server.bind();     // listening from here on
///   std::thread thread([&] { server.serve(); });
///   ...
///   server.stop();                      // from any thread; serve() returns
///   thread.join();
///
/// Thread safety: bind() and serve() are called once each, in that order, from one thread;
/// stop(), port() and url() may be called from any thread at any time.
class Server {
 public:
  /// Throws UsageError for invalid options and tracker::StoreError when the store cannot be
  /// opened.
  explicit Server(ServerOptions options);
  ~Server() noexcept;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds the listening socket and returns the port (the chosen one when options.port is 0).
  /// Throws BindError naming the address when it cannot be bound.
  int bind();

  /// Serves requests on a thread pool until stop(). Returns at once if stop() came first.
  void serve();

  /// Makes serve() return after the requests in flight; safe from any thread, idempotent.
  void stop() noexcept;

  /// The bound port, or -1 before bind().
  int port() const noexcept { return port_.load(); }

  /// http://HOST:PORT/ to open in a browser, with #token=TOKEN when a token is set.
  std::string url() const;

  /// The resolved store URI being served.
  const std::string& store_uri() const;

 private:
  void install_routes();
  void install_governance_routes();

  ServerOptions options_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<httplib::Server> http_;
  std::atomic<int> port_{-1};
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> serving_{false};
};

}  // namespace vigil::ui
