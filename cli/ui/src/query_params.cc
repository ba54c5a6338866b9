#include "query_params.h"

#include <algorithm>

#include "http_error.h"
#include "vigil/tracker/errors.h"

namespace vigil::ui {

void check_known_params(const QueryParams& params, std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : params) {
    if (key == "token" || std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string expected;
    for (const auto name : known) {
      if (!expected.empty()) expected += ", ";
      expected += name;
    }
    throw HttpError(400, "unknown parameter '" + key + "'; expected " + expected);
  }
}

std::optional<std::string> optional_param(const QueryParams& params, const std::string& key) {
  const auto count = params.count(key);
  if (count == 0) return std::nullopt;
  if (count > 1) {
    throw HttpError(400, "parameter '" + key + "' was given " + std::to_string(count) +
                             " times; expected it at most once");
  }
  return params.find(key)->second;
}

tracker::Timestamp time_param(const std::string& key, const std::string& text,
                              tracker::TimeBound bound) {
  try {
    return tracker::parse_time_bound(text, bound);
  } catch (const tracker::InvalidArgument& e) {
    throw HttpError(400, "parameter '" + key + "': " + e.what());
  }
}

std::size_t count_param(const std::string& key, const std::string& text, std::size_t min,
                        std::size_t max) {
  const bool digits =
      !text.empty() && text.size() <= 9 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || std::stoul(text) < min || std::stoul(text) > max) {
    throw HttpError(400, "parameter '" + key + "' is '" + text +
                             "'; expected a whole number from " + std::to_string(min) + " to " +
                             std::to_string(max));
  }
  return std::stoul(text);
}

bool bool_param(const std::string& key, const std::string& text) {
  if (text == "1" || text == "true") return true;
  if (text == "0" || text == "false") return false;
  throw HttpError(400, "parameter '" + key + "' is '" + text + "'; expected 1, 0, true or false");
}

bool is_run_id_prefix(std::string_view text) noexcept {
  return !text.empty() && text.size() <= 32 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

}  // namespace vigil::ui
