#include "ui_command.h"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace vigil::cli {

void add_ui_command(CLI::App& app, const std::string* store_uri) {
  struct Settings {
    std::string host = "127.0.0.1";
    int port = 43800;
    std::string token;
    bool insecure = false;
  };
  auto settings = std::make_shared<Settings>();
  CLI::App* ui = app.add_subcommand("ui", "Serve the web dashboard and its JSON API");
  ui->add_option("--host", settings->host, "Address to bind (default 127.0.0.1)");
  ui->add_option("--port", settings->port, "TCP port; 0 picks a free one (default 43800)")
      ->check(CLI::Range(0, 65535));
  ui->add_option("--token", settings->token,
                 "Require this bearer token on every API call (required off loopback)");
  ui->add_flag("--insecure", settings->insecure,
               "Allow binding a non-loopback address without --token");
  ui->callback([settings, store_uri]() {
    (void)store_uri;
    throw std::runtime_error("vigil ui: the dashboard server is not built yet");
  });
}

}  // namespace vigil::cli
