#pragma once

#include <chrono>
#include <cstddef>

namespace vigil::ui {

/// What one client may cost the dashboard. Debian's cpp-httplib 0.11.4 bounds neither the
/// request head (lines and header count grow in memory without limit) nor chunked or
/// length-less bodies (set_payload_max_length() only checks Content-Length), and a client
/// trickling bytes keeps a worker thread for as long as each byte comes within the per-recv
/// timeout. These limits hold for every request, whatever its encoding.
struct ConnectionLimits {
  /// Most bytes of a request head (request line and headers up to the blank line). More
  /// closes the connection. Default 64 KiB.
  std::size_t max_head_bytes = 64 * 1024;
  /// Most bytes of a request body as sent on the wire (Content-Length bodies are answered 413
  /// before reading them; chunked bodies count their framing). More closes the connection
  /// after a 413. Default 64 KiB.
  std::size_t max_body_bytes = 64 * 1024;
  /// Time to receive a whole request (head and body), from its first byte. A client that is
  /// slower is disconnected. Default 10 s; must be > 0.
  std::chrono::milliseconds request_deadline{10'000};
  /// Time to send a whole response once its first byte is written (a client that does not
  /// read is disconnected). Default 60 s; must be > 0.
  std::chrono::milliseconds response_deadline{60'000};
  /// How long a kept-alive connection may sit idle before its next request. Default 5 s.
  std::chrono::milliseconds keep_alive_idle{5'000};
  /// Requests served on one connection before it is closed. Default 100.
  std::size_t keep_alive_max_requests = 100;
  /// Connections served at once (worker threads). Further connections wait for a worker.
  /// Default 64.
  std::size_t worker_threads = 64;
};

}  // namespace vigil::ui
