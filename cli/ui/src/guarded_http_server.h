#pragma once

#include <httplib.h>

#include "connection_limits.h"

namespace vigil::ui {

/// An httplib::Server whose connections are read through a stream that enforces
/// ConnectionLimits (head and body byte budgets, a deadline per request and per response) and
/// that serves connections on `worker_threads` threads. Routes, handlers and options are set
/// as on httplib::Server; do not call set_payload_max_length, set_read_timeout or
/// set_keep_alive_* (the limits own them).
///
/// Thread safety: as httplib::Server (configure, then listen; stop() from any thread).
class GuardedHttpServer : public httplib::Server {
 public:
  explicit GuardedHttpServer(ConnectionLimits limits);

  /// True on the thread answering a request whose body went over max_body_bytes (httplib
  /// reports that as 400; an error handler can answer 413 instead).
  static bool body_limit_exceeded() noexcept;

  /// Closes the connection once the current request is answered, e.g. when its body was
  /// refused unread. Call from a handler, on the thread answering the request.
  static void close_after_response() noexcept;

  /// Marks the current request as having no body (HTTP: a request with neither
  /// Content-Length nor Transfer-Encoding has none), so reading its body ends at once; httplib
  /// would otherwise read until the client closes. Call from the pre-routing handler.
  static void request_has_no_body() noexcept;

 private:
  bool process_and_close_socket(socket_t sock) override;
  bool stopping() const noexcept { return svr_sock_ == INVALID_SOCKET; }

  ConnectionLimits limits_;
};

}  // namespace vigil::ui
