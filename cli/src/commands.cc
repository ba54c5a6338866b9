#include "commands.h"

#include "errors.h"

namespace vigil::cli {

void require_subcommand(CLI::App* command) {
  command->callback([command] {
    if (!command->get_subcommands().empty()) return;
    std::string names;
    for (const CLI::App* sub : command->get_subcommands([](CLI::App*) { return true; })) {
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    std::string name = command->get_parent() == nullptr ? "vigil" : "vigil " + command->get_name();
    throw UsageError(name + ": expected a command: " + names + " (see --help)");
  });
}

}  // namespace vigil::cli
