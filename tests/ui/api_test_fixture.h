#pragma once

// The fixture of the dashboard API tests (api_test.cc, api_security_test.cc): a store filled by
// ui_fixture, served by vigil::ui::Server in-process on an ephemeral port, and an HTTP client.

#include <httplib.h>

#include <memory>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "running_server.h"
#include "server.h"
#include "temp_dir.h"
#include "ui_fixture.h"

namespace vigil::ui {

constexpr std::size_t kBulkRuns = 30;

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_path_ = dir_.file("store.db");
    ids_ = testing::fill_demo_store(store_path_);
    testing::add_bulk_runs(store_path_, kBulkRuns);
    ServerOptions options;
    options.store_uri = store_path_;
    options.port = 0;
    server_ = std::make_unique<RunningServer>(options);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(10, 0);
  }

  /// GET `path`, expecting `status`; returns the parsed JSON body.
  nlohmann::json get(const std::string& path, int status = 200,
                     const httplib::Headers& headers = {}) {
    auto res = client_->Get(path.c_str(), headers);
    EXPECT_TRUE(res) << path;
    if (!res) return nullptr;
    EXPECT_EQ(res->status, status) << path << ": " << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << path;
    return nlohmann::json::parse(res->body);
  }

  httplib::Result post_tags(const std::string& id, const std::string& body,
                            const httplib::Headers& headers = {},
                            const char* type = "application/json") {
    return client_->Post(("/api/runs/" + id + "/tags").c_str(), headers, body, type);
  }

  static std::set<std::string> names(const nlohmann::json& result) {
    std::set<std::string> out;
    for (const auto& run : result.at("runs")) out.insert(run.at("name").get<std::string>());
    return out;
  }

  vigil::testing::TempDir dir_;
  std::string store_path_;
  testing::DemoRuns ids_;
  std::unique_ptr<RunningServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace vigil::ui
