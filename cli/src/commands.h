#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace vigil::cli {

/// State shared by the commands of one `vigil` invocation. Not thread-safe.
struct Context {
  std::string store_uri;  ///< value of --store; empty = Store::resolve_uri's default
  int exit_code = 0;      ///< set by a command that succeeded but reports a failure (validate)
};

/// Each function registers one top-level command on `app`; its callback runs the command.
/// Errors are thrown (UsageError, tracker/rules exceptions) and mapped to exit codes by main().
void add_runs_command(CLI::App& app, Context* context);
void add_export_command(CLI::App& app, Context* context);
void add_validate_command(CLI::App& app, Context* context);
void add_rules_command(CLI::App& app, Context* context);
void add_store_command(CLI::App& app, Context* context);
/// waive, unwaive, waivers ls, audit (governance_command.cc).
void add_governance_commands(CLI::App& app, Context* context);
/// report (report_command.cc).
void add_report_command(CLI::App& app, Context* context);

/// Makes `command` fail with a UsageError listing its subcommands when run without one.
/// (CLI11's require_subcommand() reports a mistyped subcommand as "a subcommand is required";
/// this way the mistyped word is reported as unexpected.)
void require_subcommand(CLI::App* command);

}  // namespace vigil::cli
