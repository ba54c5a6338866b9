#include "security.h"

#include <gtest/gtest.h>

namespace vigil::ui {
namespace {

httplib::Request request(httplib::Headers headers, std::string target = "/api/runs") {
  httplib::Request req;
  req.headers = std::move(headers);
  req.target = std::move(target);
  return req;
}

TEST(Security, LoopbackHosts) {
  for (const char* host : {"127.0.0.1", "localhost", "LOCALHOST", "::1", "[::1]", "127.1.2.3"}) {
    EXPECT_TRUE(is_loopback_host(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "::", "192.168.1.10", "127.0.0.1.evil.test", "127.x.0.1",
                           "localhost.evil.test", ""}) {
    EXPECT_FALSE(is_loopback_host(host)) << host;
  }
}

TEST(Security, TokenFromBearerHeaderOrQuery) {
  EXPECT_TRUE(has_token(request({{"Authorization", "Bearer abc"}}), "abc"));
  EXPECT_TRUE(has_token(request({}, "/api/runs?token=abc"), "abc"));
  EXPECT_TRUE(has_token(request({}, "/api/runs?x=1&token=YWI%3D"), "YWI="));
  EXPECT_TRUE(has_token(request({}, "/api/runs?token=YWI="), "YWI="));
  EXPECT_FALSE(has_token(request({}, "/api/runs?token=abcd"), "abc"));
  EXPECT_FALSE(has_token(request({{"Authorization", "Bearer abcd"}}), "abc"));
  EXPECT_FALSE(has_token(request({{"Authorization", "Bearer ab"}}), "abc"));
  EXPECT_FALSE(has_token(request({{"Authorization", "abc"}}), "abc"));
  EXPECT_FALSE(has_token(request({}), "abc"));
}

TEST(Security, CrossOriginDetection) {
  EXPECT_FALSE(cross_origin_problem(request({{"Host", "127.0.0.1:8"}})));
  EXPECT_FALSE(cross_origin_problem(request({{"Host", "127.0.0.1:8"},
                                             {"Origin", "http://127.0.0.1:8"},
                                             {"Sec-Fetch-Site", "same-origin"}})));
  EXPECT_TRUE(
      cross_origin_problem(request({{"Host", "127.0.0.1:8"}, {"Origin", "http://127.0.0.1:9"}})));
  EXPECT_TRUE(cross_origin_problem(request({{"Host", "127.0.0.1:8"}, {"Origin", "null"}})));
  EXPECT_TRUE(cross_origin_problem(request({{"Sec-Fetch-Site", "same-site"}})));
  EXPECT_TRUE(cross_origin_problem(request({{"Sec-Fetch-Site", "cross-site"}})));
}

TEST(Security, LoopbackHostHeader) {
  EXPECT_FALSE(loopback_host_problem(request({{"Host", "127.0.0.1:43800"}})));
  EXPECT_FALSE(loopback_host_problem(request({{"Host", "localhost"}})));
  EXPECT_FALSE(loopback_host_problem(request({{"Host", "[::1]:43800"}})));
  EXPECT_TRUE(loopback_host_problem(request({{"Host", "attacker.test:43800"}})));
  EXPECT_TRUE(loopback_host_problem(request({{"Host", "127.0.0.1.nip.io"}})));
}

TEST(Security, JsonContentType) {
  EXPECT_TRUE(is_json_content_type(request({{"Content-Type", "application/json"}})));
  EXPECT_TRUE(is_json_content_type(request({{"Content-Type", "Application/JSON; charset=utf-8"}})));
  EXPECT_FALSE(is_json_content_type(request({{"Content-Type", "text/plain"}})));
  EXPECT_FALSE(is_json_content_type(request({{"Content-Type", "application/jsonp"}})));
  EXPECT_FALSE(is_json_content_type(request({})));
}

}  // namespace
}  // namespace vigil::ui
