#include "json_numbers.h"

#include <cmath>
#include <limits>

namespace vigil::tracker::detail {
namespace {

bool has_non_finite(const nlohmann::json& value) {
  if (value.is_number_float()) return !std::isfinite(value.get<double>());
  if (!value.is_structured()) return false;
  for (const auto& item : value) {
    if (has_non_finite(item)) return true;
  }
  return false;
}

void encode_in_place(nlohmann::json& value) {
  if (value.is_number_float()) {
    const double number = value.get<double>();
    if (std::isfinite(number)) return;
    const char* text = std::isnan(number) ? "NaN" : (number > 0 ? "Infinity" : "-Infinity");
    value = nlohmann::json{{kNonFiniteKey, text}};
    return;
  }
  if (!value.is_structured()) return;
  for (auto& item : value) encode_in_place(item);
}

}  // namespace

std::optional<double> stored_non_finite(const nlohmann::json& value) {
  if (!value.is_object() || value.size() != 1) return std::nullopt;
  auto it = value.find(kNonFiniteKey);
  if (it == value.end() || !it->is_string()) return std::nullopt;
  const auto& text = it->get_ref<const std::string&>();
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (text == "Infinity") return std::numeric_limits<double>::infinity();
  if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
  return std::nullopt;
}

nlohmann::json encode_non_finite(const nlohmann::json& value) {
  nlohmann::json copy = value;
  if (has_non_finite(copy)) encode_in_place(copy);
  return copy;
}

std::string dump_stored_json(const nlohmann::json& value) {
  if (!has_non_finite(value)) return value.dump();
  return encode_non_finite(value).dump();
}

void decode_non_finite(nlohmann::json& value) {
  if (!value.is_structured()) return;
  if (auto number = stored_non_finite(value)) {
    value = *number;
    return;
  }
  for (auto& item : value) decode_non_finite(item);
}

}  // namespace vigil::tracker::detail
