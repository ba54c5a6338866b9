#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "output.h"

namespace vigil::cli {

/// Registers option `name` on `command` that accepts one of `choices` (keys, case-insensitive)
/// and stores the mapped value in `*target`. Other text is a CLI11 ValidationError (exit 2)
/// naming the text and the choices. `*target` keeps its value when the option is absent.
template <typename T>
CLI::Option* add_choice_option(CLI::App* command, const std::string& name, T* target,
                               std::vector<std::pair<std::string, T>> choices,
                               const std::string& description) {
  std::string names;
  std::string default_name;
  for (const auto& [key, value] : choices) {
    names += (names.empty() ? "" : "|") + key;
    if (value == *target) default_name = key;
  }
  auto assign = [target, choices, name, names](const std::string& text) {
    std::string lower = ascii_lower(text);
    for (const auto& [key, value] : choices) {
      if (key == lower) {
        *target = value;
        return;
      }
    }
    throw CLI::ValidationError(name, "'" + text + "': expected one of " + names);
  };
  return command->add_option_function<std::string>(name, assign, description)
      ->type_name(names)
      ->default_str(default_name);
}

}  // namespace vigil::cli
