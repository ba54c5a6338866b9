#pragma once

// Reading the query parameters of an API request: each helper refuses a malformed value with
// HttpError(400) naming the parameter and the expected form.

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "runs_query.h"
#include "vigil/tracker/types.h"

namespace vigil::ui {

/// Throws HttpError(400) for a parameter not in `known` ("token" is always allowed: the
/// server checks it before routing), listing the known ones.
void check_known_params(const QueryParams& params, std::initializer_list<std::string_view> known);

/// The value of `key`, nullopt when absent; 400 when it is given more than once.
std::optional<std::string> optional_param(const QueryParams& params, const std::string& key);

/// A date or time (tracker::parse_time_bound: `YYYY-MM-DD[THH:MM[:SS[.fff]]][Z]`, a date alone
/// is the start or the end of that day); 400 naming `key` otherwise.
tracker::Timestamp time_param(const std::string& key, const std::string& text,
                              tracker::TimeBound bound);

/// A whole number from `min` to `max` (at most 9 digits); 400 naming `key` otherwise.
std::size_t count_param(const std::string& key, const std::string& text, std::size_t min,
                        std::size_t max);

/// 1/true or 0/false; 400 naming `key` otherwise.
bool bool_param(const std::string& key, const std::string& text);

/// True for 1-32 lower-case hex digits: a run id or a prefix of one.
bool is_run_id_prefix(std::string_view text) noexcept;

}  // namespace vigil::ui
