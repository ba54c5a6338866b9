#include "param_rows.h"

#include <cmath>
#include <utility>

#include "json_numbers.h"

namespace vigil::tracker::detail {
namespace {

using nlohmann::json;

std::string string_text(const std::string& value) {
  std::string_view cut = truncate_param_text(value);
  if (cut.find('\0') == std::string_view::npos) return std::string(cut);
  std::string out;
  for (char c : cut) {
    if (c == '\0') {
      out += "\xEF\xBF\xBD";  // U+FFFD
    } else {
      out += c;
    }
  }
  return out;
}

// The row of one value (path set by the caller).
ParamRow row_of(const json& value) {
  ParamRow row;
  switch (value.type()) {
    case json::value_t::boolean:
      row.type = value.get<bool>() ? "true" : "false";
      row.rank = ParamRank::kNumber;
      row.num = value.get<bool>() ? 1.0 : 0.0;
      break;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      row.type = "integer";
      row.rank = ParamRank::kNumber;
      row.num = value.get<double>();
      break;
    case json::value_t::number_float:
      if (!std::isfinite(value.get<double>())) {  // dump() writes null
        row.type = "null";
        break;
      }
      row.type = "real";
      row.rank = ParamRank::kNumber;
      row.num = value.get<double>();
      break;
    case json::value_t::string:
      row.type = "text";
      row.rank = ParamRank::kString;
      row.text = string_text(value.get_ref<const std::string&>());
      break;
    case json::value_t::object:
    case json::value_t::array: {
      row.type = value.is_object() ? "object" : "array";
      row.rank = ParamRank::kOther;
      const std::optional<double> number = stored_non_finite(value);
      if (number && !std::isnan(*number)) {
        row.rank = ParamRank::kNumber;
        row.num = *number;
      }
      row.text = std::string(truncate_param_text(value.dump()));
      break;
    }
    default:  // null, and the binary and discarded kinds no params document holds
      row.type = "null";
      break;
  }
  return row;
}

void add_rows(const json& object, std::vector<std::string>& keys, std::vector<ParamRow>& rows) {
  for (const auto& [key, value] : object.items()) {
    keys.push_back(key);
    std::string path = encode_param_path(keys);
    if (path.size() <= kMaxParamPathBytes) {
      rows.push_back(row_of(value));
      rows.back().path = std::move(path);
      if (value.is_object()) add_rows(value, keys, rows);
    }
    keys.pop_back();
  }
}

}  // namespace

std::string encode_param_path(const std::vector<std::string>& keys) { return json(keys).dump(); }

bool ParamRow::operator==(const ParamRow& other) const {
  const bool same_num =
      num.has_value() == other.num.has_value() &&
      (!num || *num == *other.num || (std::isnan(*num) && std::isnan(*other.num)));
  return path == other.path && type == other.type && rank == other.rank && same_num &&
         text == other.text;
}

std::vector<ParamRow> param_rows(const json& params) {
  std::vector<ParamRow> rows;
  if (!params.is_object()) return rows;
  std::vector<std::string> keys;
  add_rows(params, keys, rows);
  return rows;
}

std::string_view truncate_param_text(std::string_view text) {
  if (text.size() <= kMaxParamTextBytes) return text;
  std::size_t end = kMaxParamTextBytes;
  // Back up over continuation bytes (10xxxxxx) to the start of the character that would be cut.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace vigil::tracker::detail
