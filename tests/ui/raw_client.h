#pragma once

// A raw TCP client for tests that must send what httplib::Client never would: chunked bodies
// of any size, heads that never end, bytes trickled one header at a time.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>

namespace vigil::testing {

/// One connection to 127.0.0.1:port. Every call is bounded in time. Not thread-safe.
class RawClient {
 public:
  explicit RawClient(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (fd_ < 0) throw std::runtime_error("socket() failed");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect() failed");
    }
  }
  ~RawClient() noexcept {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  /// Sends all of `data`, waiting at most `timeout` for the socket to take it. False when the
  /// peer closed or reset the connection, or the time ran out.
  bool send(const std::string& data,
            std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t sent = 0;
    while (sent < data.size()) {
      if (!wait(POLLOUT, deadline)) return false;
      const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  /// Everything received until the peer closes or `timeout` passes; `closed` tells which.
  std::string receive_all(std::chrono::milliseconds timeout, bool* closed = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string out;
    char buffer[4096];
    bool eof = false;
    while (wait(POLLIN, deadline)) {
      const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof = true;
        break;
      }
      out.append(buffer, static_cast<std::size_t>(n));
    }
    if (closed != nullptr) *closed = eof;
    return out;
  }

 private:
  bool wait(short events, std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd fd{fd_, events, 0};
      const int ready = ::poll(&fd, 1, static_cast<int>(left.count()));
      if (ready > 0) return true;
      if (ready < 0 && errno != EINTR) return false;
    }
  }

  int fd_;
};

}  // namespace vigil::testing
