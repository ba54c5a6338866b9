// The dashboard server's HTTP surface: cross-origin writes, methods, escaping, static files
// from the binary only, no compression, path traversal, Host checks, the token, and the
// server's options and lifecycle. The JSON API itself is in api_test.cc.
#include <httplib.h>
#include <unistd.h>

#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api_test_fixture.h"
#include "running_server.h"
#include "server.h"
#include "temp_dir.h"
#include "ui_fixture.h"
#include "vigil/tracker.h"

namespace vigil::ui {
namespace {

using nlohmann::json;

TEST_F(ApiTest, CrossOriginTagPostIsRefused) {
  const std::string body = R"({"add": ["pwned"]})";
  auto res = post_tags(ids_.baseline, body, {{"Origin", "http://evil.example"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  res = post_tags(ids_.baseline, body, {{"Sec-Fetch-Site", "cross-site"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  // A form post (no JSON content type) is refused even from this origin.
  res = post_tags(ids_.baseline, body, {}, "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415);
  EXPECT_EQ(get("/api/runs/" + ids_.baseline).at("tags").size(), 4u);  // unchanged

  const std::string self = "http://127.0.0.1:" + std::to_string(server_->port());
  res = post_tags(ids_.baseline, body, {{"Origin", self}, {"Sec-Fetch-Site", "same-origin"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
}

TEST_F(ApiTest, WrongMethodIs405AndUnknownEndpointIs404) {
  auto res = client_->Get(("/api/runs/" + ids_.baseline + "/tags").c_str());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->get_header_value("Allow"), "POST");
  EXPECT_TRUE(json::parse(res->body).contains("error"));
  res = client_->Post("/api/runs", "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  res = client_->Delete(("/api/runs/" + ids_.baseline).c_str());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  get("/api/nothing", 404);
  get("/api/runs/" + ids_.baseline + "/nothing", 404);
}

TEST_F(ApiTest, XssRunNameComesBackAsJsonText) {
  auto res = client_->Get(("/api/runs/" + ids_.xss).c_str());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");
  const auto run = json::parse(res->body);
  EXPECT_EQ(run.at("name"), testing::kXssName);
  EXPECT_EQ(run.at("params").at("note"), "<script>alert(2)</script>");
  EXPECT_NE(res->body.find(R"("name":"<img src=x onerror=alert(1)>")"), std::string::npos);
}

TEST_F(ApiTest, StaticFilesAreServedFromTheBinaryOnly) {
  auto res = client_->Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(res->body.find("/app.js"), std::string::npos);
  const auto csp = res->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
  for (const char* path : {"/app.js", "/style.css", "/vendor/uPlot.iife.min.js",
                           "/vendor/uPlot.min.css", "/lib/runs_view.js"}) {
    res = client_->Get(path);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << path;
    EXPECT_FALSE(res->body.empty()) << path;
  }
  EXPECT_EQ(client_->Get("/app.js")->get_header_value("Content-Type"),
            "text/javascript; charset=utf-8");
}

TEST_F(ApiTest, ResponsesAreSentUncompressedEvenWhenTheClientAcceptsBrotli) {
  // httplib would Brotli-compress text bodies at its slowest setting (hundreds of ms each).
  for (const char* path : {"/api/runs?facets=1&limit=5&offset=0", "/", "/style.css",
                           "/vendor/uPlot.iife.min.js", "/api/nothing"}) {
    auto res = client_->Get(path, {{"Accept-Encoding", "gzip, deflate, br"}});
    ASSERT_TRUE(res) << path;
    EXPECT_FALSE(res->has_header("Content-Encoding")) << path;
    EXPECT_EQ(res->get_header_value("Content-Length"), std::to_string(res->body.size())) << path;
  }
}

TEST_F(ApiTest, PathTraversalFindsNothing) {
  for (const char* path :
       {"/../etc/passwd", "/%2e%2e/etc/passwd", "/%2E%2E%2Fetc%2Fpasswd",
        "/assets/../../etc/passwd", "/vendor/../../../../etc/passwd", "/..%2f..%2fCMakeLists.txt",
        "/lib/../../CMakeLists.txt", "/index.html/../../api.cc", "//etc/passwd",
        "/vendor/../index.html", "/node_modules/uplot/package.json", "/web/app.js", "/%00",
        "/app.js%00.html"}) {
    auto res = client_->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path;
    EXPECT_EQ(res->body.find("root:"), std::string::npos) << path;
  }
}

TEST_F(ApiTest, ForeignHostHeaderIsRefusedOnLoopback) {
  auto res = client_->Get("/api/runs", {{"Host", "evil.example:43800"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  res = client_->Get("/", {{"Host", "rebind.attacker.test"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  res = client_->Get("/api/experiments", {{"Host", "localhost:1234"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

class TokenTest : public ::testing::Test {
 protected:
  vigil::testing::TempDir dir_;
};

TEST_F(TokenTest, EveryApiCallNeedsTheTokenButThePageLoads) {
  const auto store_path = dir_.file("store.db");
  const auto ids = testing::fill_demo_store(store_path);
  ServerOptions options;
  options.store_uri = store_path;
  options.port = 0;
  options.token = "s3cret-token";
  RunningServer server(options);
  httplib::Client client("127.0.0.1", server.port());

  EXPECT_EQ(client.Get("/")->status, 200);
  EXPECT_EQ(client.Get("/app.js")->status, 200);
  for (const std::string& path :
       {std::string("/api/runs"), std::string("/api/experiments"), "/api/runs/" + ids.baseline}) {
    EXPECT_EQ(client.Get(path.c_str())->status, 403) << path;
    EXPECT_EQ(client.Get(path.c_str(), {{"Authorization", "Bearer wrong"}})->status, 403);
    EXPECT_EQ(client.Get(path.c_str(), {{"Authorization", "Bearer s3cret-token"}})->status, 200);
  }
  EXPECT_EQ(client.Get("/api/runs?token=s3cret-token")->status, 200);
  EXPECT_EQ(client.Get("/api/runs?token=s3cret-tokeN")->status, 403);
  EXPECT_EQ(client.Get("/api/runs", {{"Authorization", "Basic s3cret-token"}})->status, 403);
  auto res = client.Post(("/api/runs/" + ids.baseline + "/tags").c_str(), R"({"add": ["x"]})",
                         "application/json");
  EXPECT_EQ(res->status, 403);
  const auto error = json::parse(res->body).at("error").get<std::string>();
  EXPECT_NE(error.find("token"), std::string::npos);
}

TEST(ServerOptionsTest, NonLoopbackHostNeedsTokenOrInsecure) {
  vigil::testing::TempDir dir;
  testing::fill_demo_store(dir.file("store.db"));
  ServerOptions options;
  options.store_uri = dir.file("store.db");
  options.port = 0;
  options.host = "0.0.0.0";
  EXPECT_THROW(Server{options}, UsageError);
  options.token = "t";
  EXPECT_NO_THROW(Server{options});
  options.token.clear();
  options.insecure = true;
  EXPECT_NO_THROW(Server{options});
  options.host = "127.0.0.1";
  options.insecure = false;
  options.port = 70000;
  EXPECT_THROW(Server{options}, UsageError);
}

TEST(ServerOptionsTest, MissingStoreIsAStoreErrorNotAnEmptyStore) {
  vigil::testing::TempDir dir;
  ServerOptions options;
  options.store_uri = dir.file("absent.db");
  EXPECT_THROW(Server{options}, std::runtime_error);
  EXPECT_FALSE(std::filesystem::exists(dir.file("absent.db")));
}

TEST(ServerLifecycleTest, StopBeforeServeReturnsAtOnceAndPortInUseIsABindError) {
  vigil::testing::TempDir dir;
  testing::fill_demo_store(dir.file("store.db"));
  ServerOptions options;
  options.store_uri = dir.file("store.db");
  options.port = 0;
  Server first(options);
  const int port = first.bind();
  EXPECT_GT(port, 0);
  EXPECT_EQ(first.url(), "http://127.0.0.1:" + std::to_string(port) + "/");
  options.port = port;
  Server second(options);
  EXPECT_THROW(second.bind(), BindError);
  first.stop();
  first.serve();  // returns immediately: stop() came first
}

// The dashboard on a PostgreSQL store: every read endpoint answers byte for byte as on the
// SQLite store its runs were copied from, and tag edits work there too.
}  // namespace
}  // namespace vigil::ui
