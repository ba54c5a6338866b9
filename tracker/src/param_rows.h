#pragma once

// The rows of table run_params (schema.cc, pg_schema.cc): a run's params flattened, one row
// per value reached from the root through object keys, so that the database filters and
// sorts runs by a param with an index (run_params_by_value) instead of parsing every run's
// params. Both backends store exactly the rows param_rows() returns, in the transaction that
// writes the run's params.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace vigil::tracker::detail {

/// Longest `text` stored (bytes): longer strings and JSON texts are cut to at most this many
/// bytes at a UTF-8 character boundary (truncate_param_text). PostgreSQL refuses index
/// entries over 2704 bytes, and an object's text repeats its whole subtree.
inline constexpr std::size_t kMaxParamTextBytes = 1024;
/// Longest `path` stored (bytes): a value whose path is longer is not stored, nor anything
/// under it (it cannot be filtered on through run_params).
inline constexpr std::size_t kMaxParamPathBytes = 1024;

/// Sort groups of run_params.rank: numbers and booleans, then strings, then everything else;
/// JSON null has no rank (NULL).
enum class ParamRank : std::int64_t { kNumber = 0, kString = 1, kOther = 2 };

/// One row of run_params (without the run id).
struct ParamRow {
  /// Compact JSON array of the object keys from the root: ["optimizer","lr"].
  std::string path;
  /// SQLite's json_type() name: null, true, false, integer, real, text, object, array.
  std::string type;
  std::optional<ParamRank> rank;  ///< nullopt for JSON null
  /// Numbers as double (a stored {"$numberDouble": "+-Infinity"} object as +-inf), true 1,
  /// false 0; nullopt otherwise (also for a stored NaN object).
  std::optional<double> num;
  /// A string's value (U+0000 replaced by U+FFFD, which no text column of PostgreSQL holds);
  /// an object's or array's compact JSON (nlohmann dump()); nullopt otherwise. Cut by
  /// truncate_param_text.
  std::optional<std::string> text;

  bool operator==(const ParamRow& other) const;
};

/// The rows of `params` in the stored form (non-finite numbers as {"$numberDouble": ...}
/// objects, json_numbers.h), in document order, parents before children. The root itself
/// has no row; arrays are values (not descended into); objects are a row and descended into.
/// A non-finite double that was not encoded is stored as null by dump(), and is a null row.
/// Empty for a root that is not an object.
std::vector<ParamRow> param_rows(const nlohmann::json& params);

/// run_params.path of the value reached through `keys` from the root: the compact JSON array
/// of the keys (["optimizer","lr"]). Throws nlohmann::json::type_error for a key that is not
/// UTF-8 (keys read from a JSON document always are).
std::string encode_param_path(const std::vector<std::string>& keys);

/// `text` cut to at most kMaxParamTextBytes bytes, at a UTF-8 character boundary (a filter
/// value compared with run_params.text is cut the same way).
std::string_view truncate_param_text(std::string_view text);

}  // namespace vigil::tracker::detail
