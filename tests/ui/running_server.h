#pragma once

#include <thread>
#include <utility>

#include "server.h"

namespace vigil::ui {

/// A Server serving on its own thread until destroyed.
class RunningServer {
 public:
  explicit RunningServer(ServerOptions options) : server_(std::move(options)) {
    port_ = server_.bind();
    thread_ = std::thread([this] { server_.serve(); });
  }
  ~RunningServer() {
    server_.stop();
    thread_.join();
  }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;
  int port() const { return port_; }

 private:
  Server server_;
  int port_ = -1;
  std::thread thread_;
};

}  // namespace vigil::ui
