#include "guarded_http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>

namespace vigil::ui {
namespace {

using Clock = std::chrono::steady_clock;

// State of the request being answered on this worker thread, for the handlers.
// How often waits for a client look whether the server is stopping.
constexpr std::chrono::milliseconds kStopCheck{100};
// Longest a closing connection waits for the client to stop sending.
constexpr std::chrono::milliseconds kLinger{500};

thread_local bool tls_body_limit_exceeded = false;
thread_local bool tls_close_requested = false;
thread_local bool tls_no_body = false;

// Milliseconds left until `deadline`, 0 when it has passed.
int millis_until(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 60'000));
}

// Waits for `events` on `sock` until `deadline`; false on timeout or error.
bool wait_for(socket_t sock, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd fd{sock, events, 0};
    const int ready = ::poll(&fd, 1, millis_until(deadline));
    if (ready > 0) return (fd.revents & (events | POLLHUP | POLLERR)) != 0;
    if (ready == 0 && Clock::now() >= deadline) return false;
    if (ready < 0 && errno != EINTR) return false;
  }
}

void address_of(socket_t sock, bool peer, std::string& ip, int& port) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  auto* raw = reinterpret_cast<sockaddr*>(&address);
  const int rc = peer ? ::getpeername(sock, raw, &length) : ::getsockname(sock, raw, &length);
  if (rc != 0) return;
  std::array<char, NI_MAXHOST> host{};
  std::array<char, NI_MAXSERV> service{};
  if (::getnameinfo(raw, length, host.data(), host.size(), service.data(), service.size(),
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host.data();
    port = std::atoi(service.data());
  }
}

// A socket stream that meters every request: the head and the body each have a byte budget,
// reading a request has a deadline from its first byte, and writing a response has one from
// its first byte. httplib reads the head one byte at a time, so bytes are buffered here.
class GuardedStream final : public httplib::Stream {
 public:
  GuardedStream(socket_t sock, const ConnectionLimits& limits, std::function<bool()> stopping)
      : sock_(sock), limits_(limits), stopping_(std::move(stopping)) {}

  // Starts metering the next request on this connection.
  void start_request() {
    read_deadline_ = Clock::now() + limits_.request_deadline;
    write_deadline_.reset();
    head_bytes_ = body_bytes_ = 0;
    head_end_matched_ = 0;
    head_done_ = false;
    tls_body_limit_exceeded = false;
    tls_close_requested = false;
    tls_no_body = false;
  }

  // True when the connection must not serve another request (a limit was hit).
  bool spent() const { return limit_hit_ || tls_close_requested; }
  bool has_buffered() const { return begin_ < end_; }

  bool is_readable() const override {
    return has_buffered() || wait_for(sock_, POLLIN, read_deadline_);
  }
  bool is_writable() const override { return wait_for(sock_, POLLOUT, write_deadline()); }

  ssize_t read(char* ptr, size_t size) override {
    if (size == 0 || (head_done_ && tls_no_body)) return 0;
    if (!has_buffered() && !fill()) return -1;
    const std::size_t allowed = admit(std::min(size, end_ - begin_));
    if (allowed == 0) {
      limit_hit_ = true;
      return -1;
    }
    std::copy_n(buffer_.data() + begin_, allowed, ptr);
    begin_ += allowed;
    return static_cast<ssize_t>(allowed);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!write_deadline_) write_deadline_ = Clock::now() + limits_.response_deadline;
    if (!wait_for(sock_, POLLOUT, *write_deadline_)) {
      limit_hit_ = true;
      return -1;
    }
    const ssize_t sent = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    if (sent < 0) limit_hit_ = true;
    return sent;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    address_of(sock_, true, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    address_of(sock_, false, ip, port);
  }
  socket_t socket() const override { return sock_; }

 private:
  Clock::time_point write_deadline() const {
    return write_deadline_ ? *write_deadline_ : Clock::now() + limits_.response_deadline;
  }

  // Refills the buffer before the read deadline; false on timeout, EOF, error or stop().
  bool fill() {
    bool ready = false;
    while (!ready && !stopping_() && Clock::now() < read_deadline_) {
      ready = wait_for(sock_, POLLIN, std::min(read_deadline_, Clock::now() + kStopCheck));
    }
    if (!ready) {
      limit_hit_ = true;
      return false;
    }
    ssize_t n;
    do {
      n = ::recv(sock_, buffer_.data(), buffer_.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
      limit_hit_ = true;
      return false;
    }
    begin_ = 0;
    end_ = static_cast<std::size_t>(n);
    return true;
  }

  // How many of the next `count` buffered bytes fit the head and body budgets.
  std::size_t admit(std::size_t count) {
    static constexpr char kHeadEnd[] = "\r\n\r\n";
    std::size_t allowed = 0;
    for (; allowed < count; ++allowed) {
      if (head_done_) {
        if (++body_bytes_ > limits_.max_body_bytes) {
          tls_body_limit_exceeded = true;
          break;
        }
        continue;
      }
      if (++head_bytes_ > limits_.max_head_bytes) break;
      const char c = buffer_[begin_ + allowed];
      head_end_matched_ = c == kHeadEnd[head_end_matched_] ? head_end_matched_ + 1
                          : c == '\r'                      ? 1
                                                           : 0;
      head_done_ = head_end_matched_ == 4;
    }
    return allowed;
  }

  socket_t sock_;
  const ConnectionLimits& limits_;
  std::function<bool()> stopping_;
  std::array<char, 4096> buffer_{};
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  Clock::time_point read_deadline_{};
  std::optional<Clock::time_point> write_deadline_;
  std::size_t head_bytes_ = 0;
  std::size_t body_bytes_ = 0;
  int head_end_matched_ = 0;
  bool head_done_ = false;
  bool limit_hit_ = false;
};

// Closes like a lingering close: stops sending, then discards what the client still sends (a
// refused body) for a bounded time and amount, so the answer is not lost to a TCP reset.
void linger_and_close(socket_t sock) {
  constexpr std::size_t kMaxDiscard = 256 * 1024;
  ::shutdown(sock, SHUT_WR);
  const auto until = Clock::now() + kLinger;
  std::array<char, 4096> sink{};
  std::size_t discarded = 0;
  while (discarded < kMaxDiscard && wait_for(sock, POLLIN, until)) {
    const ssize_t n = ::recv(sock, sink.data(), sink.size(), 0);
    if (n <= 0) break;
    discarded += static_cast<std::size_t>(n);
  }
  ::close(sock);
}

}  // namespace

GuardedHttpServer::GuardedHttpServer(ConnectionLimits limits) : limits_(limits) {
  set_payload_max_length(limits_.max_body_bytes);
  const std::size_t workers = std::max<std::size_t>(1, limits_.worker_threads);
  new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
}

bool GuardedHttpServer::body_limit_exceeded() noexcept { return tls_body_limit_exceeded; }

void GuardedHttpServer::close_after_response() noexcept { tls_close_requested = true; }

void GuardedHttpServer::request_has_no_body() noexcept { tls_no_body = true; }

bool GuardedHttpServer::process_and_close_socket(socket_t sock) {
  GuardedStream stream(sock, limits_, [this] { return stopping(); });
  bool ok = true;
  for (std::size_t served = 0; served < limits_.keep_alive_max_requests; ++served) {
    // Idle wait for the next request in short steps, so stop() is not held up by idle clients.
    const auto idle_until = Clock::now() + limits_.keep_alive_idle;
    bool ready = stream.has_buffered();
    while (!ready && !stopping() && Clock::now() < idle_until) {
      ready = wait_for(sock, POLLIN, std::min(idle_until, Clock::now() + kStopCheck));
    }
    if (!ready || stopping()) break;
    stream.start_request();
    bool connection_closed = false;
    const bool last = served + 1 == limits_.keep_alive_max_requests;
    ok = process_request(stream, last, connection_closed, nullptr);
    if (!ok || connection_closed || stream.spent()) break;
  }
  linger_and_close(sock);
  return ok;
}

}  // namespace vigil::ui
