#pragma once

// Hostile JSON for limit tests: nesting far past vigil's limit, built without recursion.

#include <string>

#include <nlohmann/json.hpp>

namespace vigil::testing {

/// "[[[...]]]" nested `depth` levels.
inline std::string deep_array_text(int depth) {
  return std::string(static_cast<std::size_t>(depth), '[') +
         std::string(static_cast<std::size_t>(depth), ']');
}

/// {"a": {"a": ... {"a": 1}}} nested `depth` objects, built iteratively (moves, no deep copy).
inline nlohmann::json deep_object(int depth) {
  nlohmann::json value = 1;
  for (int i = 0; i < depth; ++i) {
    nlohmann::json outer = nlohmann::json::object();
    outer["a"] = std::move(value);
    value = std::move(outer);
  }
  return value;
}

/// The text of deep_object(depth), written without recursing.
inline std::string deep_object_text(int depth) {
  std::string text;
  for (int i = 0; i < depth; ++i) text += "{\"a\":";
  text += '1';
  text += std::string(static_cast<std::size_t>(depth), '}');
  return text;
}

}  // namespace vigil::testing
