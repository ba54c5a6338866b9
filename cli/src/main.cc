// The `vigil` command-line tool: builds the CLI11 app, runs the chosen command, and turns
// every error into one line on stderr and an exit code (0 ok, 1 failure, 2 usage error,
// 3 run not found or ambiguous; the candidates of an ambiguous run follow, one per line):
// a vigil::Error carries its own code (vigil/error.h).
#include <exception>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "ui_command.h"
#include "vigil/error.h"
#include "vigil/tracker/errors.h"
#include "vigil/tracker/text.h"

namespace {

// One line, whatever the text (a multi-line what() or run name would break scripts parsing
// stderr), and names or values quoted in it cannot drive the terminal.
std::string one_line(const std::string& text) { return vigil::tracker::escape_for_terminal(text); }

int report(const std::string& message, int exit_code) {
  std::cerr << "vigil: error: " << one_line(message) << '\n';
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  vigil::cli::Context context;
  CLI::App app("vigil: experiment tracking and governance for C++ LibTorch training", "vigil");
  app.set_version_flag("--version", "vigil " VIGIL_VERSION);
  app.add_option("--store", context.store_uri,
                 "Store URI: a path or sqlite:///abs/path.db (default: $VIGIL_STORE, else "
                 "./.vigil/vigil.db)");
  vigil::cli::require_subcommand(&app);
  // Let global options follow the command too (`vigil runs ls --store x.db`); inherited by
  // every subcommand added below.
  app.fallthrough();
  vigil::cli::add_runs_command(app, &context);
  vigil::cli::add_export_command(app, &context);
  vigil::cli::add_validate_command(app, &context);
  vigil::cli::add_rules_command(app, &context);
  vigil::cli::add_store_command(app, &context);
  vigil::cli::add_governance_commands(app, &context);
  vigil::cli::add_report_command(app, &context);
  vigil::cli::add_ui_command(app, &context.store_uri);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report(std::string(e.what()) + " (see --help)", vigil::kExitUsage);
  } catch (const vigil::tracker::AmbiguousRunId& e) {
    int code = report(e.what(), e.exit_code());
    // Then the candidates one per line ("ID  NAME"), for a person to pick from.
    for (const auto& candidate : e.candidates()) {
      std::cerr << "  " << candidate.id << (candidate.name.empty() ? "" : "  ")
                << one_line(candidate.name) << '\n';
    }
    return code;
  } catch (const vigil::Error& e) {
    return report(e.what(), e.exit_code());
  } catch (const std::exception& e) {  // not ours: e.g. std::bad_alloc
    return report(e.what(), vigil::kExitFailure);
  } catch (...) {
    return report("unexpected error", vigil::kExitFailure);
  }
  std::cout.flush();
  if (!std::cout) return report("writing to stdout failed", vigil::kExitFailure);
  return context.exit_code;
}
