#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace vigil::cli {

/// Registers `vigil ui` on `app`. `store_uri` points at the global --store value, read when
/// the command runs.
void add_ui_command(CLI::App& app, const std::string* store_uri);

}  // namespace vigil::cli
