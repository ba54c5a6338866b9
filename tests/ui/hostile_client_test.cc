// The dashboard server against hostile clients (issue 9): bodies past the limit in any
// encoding, heads that never end, clients that trickle bytes, byte ranges. A real
// vigil::ui::Server on loopback, driven through raw sockets.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "raw_client.h"
#include "server.h"
#include "temp_dir.h"
#include "ui_fixture.h"
#include "vigil/tracker.h"

namespace vigil::ui {
namespace {

using std::chrono::milliseconds;
using testing::RawClient;
using Clock = std::chrono::steady_clock;

/// Resident memory of this process (the server runs in it), in bytes.
std::size_t resident_bytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

class HostileClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_path_ = dir_.file("store.db");
    ids_ = testing::fill_demo_store(store_path_);
  }
  void TearDown() override { stop(); }

  void start(ConnectionLimits limits = {}) {
    ServerOptions options;
    options.store_uri = store_path_;
    options.port = 0;
    options.limits = limits;
    server_ = std::make_unique<Server>(options);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->serve(); });
  }
  void stop() {
    if (!server_) return;
    server_->stop();
    thread_.join();
    server_.reset();
  }

  std::string head(const std::string& request_line, const std::string& headers = {}) const {
    return request_line + "\r\nHost: 127.0.0.1:" + std::to_string(port_) + "\r\n" + headers;
  }

  /// A normal GET with httplib::Client; the status, or -1 when it got no answer.
  int timed_get(const std::string& path, milliseconds* elapsed) const {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(8, 0);
    const auto begin = Clock::now();
    auto res = client.Get(path.c_str());
    *elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - begin);
    return res ? res->status : -1;
  }

  vigil::testing::TempDir dir_;
  std::string store_path_;
  testing::DemoRuns ids_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  int port_ = -1;
};

TEST_F(HostileClientTest, ChunkedBodyPastTheLimitIsCutOffAndMemoryStaysBounded) {
  start();
  const std::size_t before = resident_bytes();
  RawClient client(port_);
  ASSERT_TRUE(client.send(head("POST /api/runs/" + ids_.baseline + "/tags HTTP/1.1",
                               "Content-Type: application/json\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n")));
  // 64 MiB in 64 KiB chunks: far past the 64 KiB limit and past what socket buffers absorb.
  const std::string chunk_data(64 * 1024, 'a');
  const std::string chunk = "10000\r\n" + chunk_data + "\r\n";
  std::size_t sent = 0;
  while (sent < (std::size_t{64} << 20) && client.send(chunk, milliseconds(3000))) {
    sent += chunk_data.size();
  }
  EXPECT_LT(sent, std::size_t{64} << 20) << "the server read a 64 MiB chunked body";
  bool closed = false;
  const std::string answer = client.receive_all(milliseconds(3000), &closed);
  EXPECT_TRUE(answer.empty() || answer.rfind("HTTP/1.1 413", 0) == 0) << answer.substr(0, 80);
  EXPECT_TRUE(closed);
  EXPECT_LT(resident_bytes(), before + (std::size_t{32} << 20));
}

TEST_F(HostileClientTest, ChunkedBodyWithinTheLimitIsServed) {
  start();
  RawClient client(port_);
  const std::string body = R"({"add": ["chunked"]})";
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  ASSERT_TRUE(client.send(head("POST /api/runs/" + ids_.baseline + "/tags HTTP/1.1",
                               "Content-Type: application/json\r\nConnection: close\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n") +
                          size + "\r\n" + body + "\r\n0\r\n\r\n"));
  const std::string answer = client.receive_all(milliseconds(5000));
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer.substr(0, 200);
  EXPECT_NE(answer.find("\"chunked\""), std::string::npos);
}

TEST_F(HostileClientTest, ContentLengthPastTheLimitIs413WithoutReadingIt) {
  start();
  RawClient client(port_);
  ASSERT_TRUE(client.send(head("POST /api/runs/" + ids_.baseline + "/tags HTTP/1.1",
                               "Content-Type: application/json\r\n"
                               "Content-Length: 314572800\r\n\r\n")));
  bool closed = false;
  const std::string answer = client.receive_all(milliseconds(5000), &closed);
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer.substr(0, 80);
  EXPECT_TRUE(closed);
}

TEST_F(HostileClientTest, PostWithoutLengthHasNoBodyAndCompressedBodyIs415) {
  start();
  {
    // Neither Content-Length nor Transfer-Encoding: no body (HTTP/1.1), answered at once
    // instead of waiting for the client to close.
    RawClient client(port_);
    ASSERT_TRUE(client.send(head("POST /api/runs/" + ids_.baseline + "/tags HTTP/1.1",
                                 "Content-Type: application/json\r\nConnection: close\r\n\r\n")));
    const auto begin = Clock::now();
    const std::string answer = client.receive_all(milliseconds(1500));
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer.substr(0, 80);
    EXPECT_NE(answer.find("request body"), std::string::npos) << answer;
    EXPECT_LT(Clock::now() - begin, milliseconds(1500));
  }
  {
    RawClient client(port_);
    ASSERT_TRUE(client.send(head("POST /api/runs/" + ids_.baseline + "/tags HTTP/1.1",
                                 "Content-Type: application/json\r\nContent-Encoding: gzip\r\n"
                                 "Content-Length: 4\r\n\r\nabcd")));
    const std::string answer = client.receive_all(milliseconds(5000));
    EXPECT_EQ(answer.rfind("HTTP/1.1 415", 0), 0u) << answer.substr(0, 80);
  }
}

TEST_F(HostileClientTest, EndlessRequestHeadClosesTheConnection) {
  start();
  const std::size_t before = resident_bytes();
  RawClient client(port_);
  ASSERT_TRUE(client.send(head("GET /api/experiments HTTP/1.1")));
  // Headers without end, and one endless line: the head budget (64 KiB) cuts both off.
  const std::string headers = [] {
    std::string text;
    for (int i = 0; i < 1000; ++i) text += "X-Filler-" + std::to_string(i) + ": yes\r\n";
    return text;
  }();
  std::size_t sent = 0;
  while (sent < (std::size_t{64} << 20) && client.send(headers, milliseconds(3000))) {
    sent += headers.size();
  }
  EXPECT_LT(sent, std::size_t{64} << 20);
  bool closed = false;
  client.receive_all(milliseconds(3000), &closed);
  EXPECT_TRUE(closed);

  RawClient line_client(port_);
  ASSERT_TRUE(line_client.send("GET /"));
  const std::string path_part(1 << 20, 'a');
  sent = 0;
  while (sent < (std::size_t{64} << 20) && line_client.send(path_part, milliseconds(3000))) {
    sent += path_part.size();
  }
  EXPECT_LT(sent, std::size_t{64} << 20);
  EXPECT_LT(resident_bytes(), before + (std::size_t{32} << 20));
}

// Clients that send one header line at a time, slower than a request may take but faster
// than the per-recv timeout, for at most `duration`. Stops early when the server hangs up.
class Tricklers {
 public:
  Tricklers(int port, int count, const std::string& head, milliseconds duration) {
    for (int i = 0; i < count; ++i) {
      clients_.push_back(std::make_unique<RawClient>(port));
      clients_.back()->send(head);
    }
    thread_ = std::thread([this, duration] {
      const auto end = Clock::now() + duration;
      while (!done_ && Clock::now() < end) {
        for (auto& client : clients_) client->send("X-Slow: 1\r\n", milliseconds(100));
        std::this_thread::sleep_for(milliseconds(300));
      }
    });
  }
  ~Tricklers() {
    done_ = true;
    thread_.join();
  }
  /// How many of the connections the server closed within `timeout` (after stop()).
  int closed_within(milliseconds timeout) {
    done_ = true;
    thread_.join();
    thread_ = std::thread([] {});
    int closed = 0;
    const auto end = Clock::now() + timeout;
    for (auto& client : clients_) {
      const auto left = std::chrono::duration_cast<milliseconds>(end - Clock::now());
      bool eof = false;
      client->receive_all(std::max(left, milliseconds(1)), &eof);
      closed += eof ? 1 : 0;
    }
    return closed;
  }

 private:
  std::vector<std::unique_ptr<RawClient>> clients_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

TEST_F(HostileClientTest, TricklingClientsDoNotFreezeTheServer) {
  start();  // default limits: more workers than tricklers here, 10 s per request
  Tricklers tricklers(port_, 16, head("GET /api/experiments HTTP/1.1"), milliseconds(4000));
  std::this_thread::sleep_for(milliseconds(300));
  for (int i = 0; i < 3; ++i) {
    milliseconds elapsed{};
    EXPECT_EQ(timed_get("/api/experiments", &elapsed), 200);
    EXPECT_LT(elapsed, milliseconds(1500));
  }
}

TEST_F(HostileClientTest, TricklingClientsAreCutOffAtTheRequestDeadline) {
  ConnectionLimits limits;
  limits.worker_threads = 4;  // fewer workers than tricklers: only the deadline frees them
  limits.request_deadline = milliseconds(1500);
  start(limits);
  Tricklers tricklers(port_, 8, head("GET /api/experiments HTTP/1.1"), milliseconds(8000));
  std::this_thread::sleep_for(milliseconds(300));
  milliseconds elapsed{};
  EXPECT_EQ(timed_get("/api/experiments", &elapsed), 200);
  // Two rounds of tricklers (4 + 4) at 1.5 s each, then the request: well under 8 s.
  EXPECT_LT(elapsed, milliseconds(5000));
  EXPECT_EQ(tricklers.closed_within(milliseconds(4000)), 8);
}

TEST_F(HostileClientTest, AssetsServeByteRangesAndTheApiIgnoresThem) {
  start();
  httplib::Client client("127.0.0.1", port_);
  client.set_read_timeout(5, 0);
  auto whole = client.Get("/");
  ASSERT_TRUE(whole);
  ASSERT_EQ(whole->status, 200);
  EXPECT_EQ(whole->get_header_value("Accept-Ranges"), "bytes");
  const std::string& page = whole->body;
  ASSERT_GT(page.size(), 100u);
  const std::string size = std::to_string(page.size());
  const std::string page_type = whole->get_header_value("Content-Type");

  auto single = client.Get("/", {{"Range", "bytes=10-19"}});
  ASSERT_TRUE(single);
  EXPECT_EQ(single->status, 206);
  EXPECT_EQ(single->body, page.substr(10, 10));
  EXPECT_EQ(single->get_header_value("Content-Range"), "bytes 10-19/" + size);

  auto suffix = client.Get("/", {{"Range", "bytes=-5"}});
  ASSERT_TRUE(suffix);
  EXPECT_EQ(suffix->status, 206);
  EXPECT_EQ(suffix->body, page.substr(page.size() - 5));

  auto clipped = client.Get("/", {{"Range", "bytes=90-99999999"}});
  ASSERT_TRUE(clipped);
  EXPECT_EQ(clipped->status, 206);
  EXPECT_EQ(clipped->body, page.substr(90));

  auto multi = client.Get("/", {{"Range", "bytes=0-1,5-6"}});
  ASSERT_TRUE(multi);
  EXPECT_EQ(multi->status, 206);
  const std::string type = multi->get_header_value("Content-Type");
  const std::string marker = "multipart/byteranges; boundary=";
  ASSERT_EQ(type.rfind(marker, 0), 0u) << type;
  const std::string boundary = type.substr(marker.size());
  EXPECT_EQ(multi->body, "--" + boundary + "\r\nContent-Type: " + page_type + "\r\n" +
                             "Content-Range: bytes 0-1/" + size + "\r\n\r\n" + page.substr(0, 2) +
                             "\r\n--" + boundary + "\r\nContent-Type: " + page_type +
                             "\r\nContent-Range: bytes 5-6/" + size + "\r\n\r\n" +
                             page.substr(5, 2) + "\r\n--" + boundary + "--\r\n");

  auto beyond = client.Get("/", {{"Range", "bytes=" + size + "-"}});
  ASSERT_TRUE(beyond);
  EXPECT_EQ(beyond->status, 416);
  EXPECT_EQ(beyond->get_header_value("Content-Range"), "bytes */" + size);

  // Ignored (whole page): overlapping, too many, If-Range; and every API answer.
  std::string many = "bytes=0-0";
  for (int i = 1; i <= 16; ++i) many += "," + std::to_string(2 * i) + "-" + std::to_string(2 * i);
  for (const std::string& range : {std::string("bytes=0-10,5-20"), many}) {
    auto res = client.Get("/", {{"Range", range}});
    ASSERT_TRUE(res) << range;
    EXPECT_EQ(res->status, 200) << range;
    EXPECT_EQ(res->body, page) << range;
  }
  // A header httplib cannot parse (another unit, garbage) is refused by httplib before routing.
  auto other_unit = client.Get("/", {{"Range", "items=0-1"}});
  ASSERT_TRUE(other_unit);
  EXPECT_EQ(other_unit->status, 416);
  EXPECT_EQ(other_unit->body, "range not satisfiable\n");
  auto if_range = client.Get("/", {{"Range", "bytes=0-1"}, {"If-Range", "\"x\""}});
  ASSERT_TRUE(if_range);
  EXPECT_EQ(if_range->status, 200);
  auto api_whole = client.Get("/api/experiments");
  ASSERT_TRUE(api_whole);
  for (const char* range : {"bytes=0-1,5-6", "bytes=0-1", "bytes=-5", "bytes=99999-"}) {
    auto res = client.Get("/api/experiments", {{"Range", range}});
    ASSERT_TRUE(res) << range;
    EXPECT_EQ(res->status, 200) << range;
    EXPECT_EQ(res->body, api_whole->body) << range;
    EXPECT_EQ(res->get_header_value("Accept-Ranges"), "none");
  }
  // An error answer is never sliced, whatever the ranges.
  auto missing = client.Get("/nothing-here", {{"Range", "bytes=0-1"}});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->body, "not found\n");
}

TEST_F(HostileClientTest, TagApiAppliesTheCliTagRule) {
  start();
  httplib::Client client("127.0.0.1", port_);
  client.set_read_timeout(5, 0);
  const auto post = [&](const nlohmann::json& body) {
    auto res = client.Post(("/api/runs/" + ids_.baseline + "/tags").c_str(), body.dump(),
                           "application/json");
    return res ? res->status : -1;
  };
  for (const std::string& tag :
       {std::string("\x1b[2J"), std::string("a\0b", 3), std::string("new\nline"),
        std::string("two words"), std::string("bidi\u202e"), std::string(10'001, 'a'),
        std::string(tracker::kMaxTagLength + 1, 'a'), std::string("PASS")}) {
    EXPECT_EQ(post({{"add", {tag}}}), 400) << tracker::escape_for_terminal(tag.substr(0, 20));
  }
  EXPECT_EQ(post({{"add", {std::string(tracker::kMaxTagLength, 'a'), "ünïcode"}}}), 200);
  EXPECT_EQ(post({{"remove", {"validated"}}}), 400);
  EXPECT_EQ(post({{"remove", {"never-there\x1b"}}}), 200);  // removing is always allowed
}

TEST_F(HostileClientTest, StopReturnsWhileClientsHoldConnections) {
  start();
  Tricklers tricklers(port_, 4, head("GET /api/experiments HTTP/1.1"), milliseconds(20000));
  RawClient idle(port_);  // connected, sends nothing
  std::this_thread::sleep_for(milliseconds(300));
  const auto begin = Clock::now();
  stop();
  // Waits for clients look at stop() every 100 ms; nothing waits for the clients.
  EXPECT_LT(Clock::now() - begin, milliseconds(2000));
}

}  // namespace
}  // namespace vigil::ui
