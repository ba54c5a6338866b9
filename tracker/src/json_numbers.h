#pragma once

// JSON has no literal for NaN or +-Inf (nlohmann writes them as null, which would read back as
// "missing"). In stored params and results a non-finite number is written as the object
// {"$numberDouble": "NaN" | "Infinity" | "-Infinity"} (MongoDB Extended JSON's spelling), which
// every JSON parser and SQLite's JSON functions accept, and read back as the double. Stores
// written before hold null there, which still reads as null.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace vigil::tracker::detail {

/// The key of the object that stands for a non-finite number.
inline constexpr const char* kNonFiniteKey = "$numberDouble";

/// `value` with every non-finite number replaced by its stored object.
nlohmann::json encode_non_finite(const nlohmann::json& value);
/// The stored text of `value` (encode_non_finite, then compact JSON).
std::string dump_stored_json(const nlohmann::json& value);
/// The double that `value` stands for when it is a stored non-finite number (an object whose
/// only member is kNonFiniteKey with "NaN", "Infinity" or "-Infinity"); nullopt otherwise.
std::optional<double> stored_non_finite(const nlohmann::json& value);
/// Replaces, in place, every stored object of a non-finite number by the double.
void decode_non_finite(nlohmann::json& value);

}  // namespace vigil::tracker::detail
