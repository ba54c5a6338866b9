#include "vigil/tracker/json_limits.h"

#include <optional>
#include <utility>
#include <vector>

namespace vigil::tracker {
namespace {

using nlohmann::json;

std::pair<int, int> line_column(std::string_view text, std::size_t offset) {
  int line = 1;
  int column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

JsonError error_at(std::string_view text, std::string_view what, std::string reason,
                   std::size_t offset) {
  auto [line, column] = line_column(text, offset);
  return JsonError(what, std::move(reason), offset, line, column);
}

// Offset of the first '[' or '{' that opens a level deeper than `max_depth`, outside strings;
// npos when there is none. Up to the first syntax error this sees what nlohmann's parser sees,
// and the parser stops there, so no value deeper than the limit is ever built.
std::size_t find_too_deep(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return std::string_view::npos;
}

// Builds the document from nlohmann's SAX events with an explicit stack (nlohmann's own DOM
// builders cannot report duplicate keys with their pointer and throw without a position).
class DomBuilder {
 public:
  DomBuilder(int max_depth, const DuplicateKeyHandler& on_duplicate_key)
      : max_depth_(max_depth), on_duplicate_key_(on_duplicate_key) {}

  json& result() { return root_; }
  const std::optional<std::pair<std::size_t, std::string>>& error() const { return error_; }

  bool null() { return put(nullptr); }
  bool boolean(bool value) { return put(value); }
  bool number_integer(json::number_integer_t value) { return put(value); }
  bool number_unsigned(json::number_unsigned_t value) { return put(value); }
  bool number_float(json::number_float_t value, const json::string_t& /*text*/) {
    return put(value);
  }
  bool string(json::string_t& value) { return put(std::move(value)); }
  bool binary(json::binary_t& value) { return put(json::binary(std::move(value))); }
  bool start_object(std::size_t /*elements*/) { return open(json::object()); }
  bool start_array(std::size_t /*elements*/) { return open(json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(json::string_t& key) {
    Frame& top = stack_.back();
    if (on_duplicate_key_ && top.node->contains(key)) {
      on_duplicate_key_(pointer() + "/" + pointer_escape(key), key);
    }
    top.key = std::move(key);
    return true;
  }
  bool parse_error(std::size_t position, const std::string& last_token, const json::exception& ex) {
    // position counts the bytes read, the offending one included.
    const std::size_t offset = position == 0 ? 0 : position - 1;
    if (ex.id == 406) {  // out_of_range: number overflow
      const std::size_t start = offset >= last_token.size() ? offset + 1 - last_token.size() : 0;
      error_.emplace(start, "number out of range: '" + last_token + "' (expected a finite number)");
    } else {
      error_.emplace(offset, strip_prefix(ex.what()));
    }
    return false;
  }

 private:
  struct Frame {
    json* node;
    std::string key;  // current key (objects)
  };

  static std::string strip_prefix(const std::string& message) {
    // "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..."
    const auto colon = message.find(": ", message.find(']'));
    return colon == std::string::npos ? message : message.substr(colon + 2);
  }

  // The pointer of the innermost open container.
  std::string pointer() const {
    std::string p;
    for (std::size_t i = 0; i + 1 < stack_.size(); ++i) {
      const Frame& frame = stack_[i];
      p += "/";
      p += frame.node->is_object() ? pointer_escape(frame.key)
                                   : std::to_string(frame.node->size() - 1);
    }
    return p;
  }

  template <typename Value>
  json* place(Value&& value) {
    if (stack_.empty()) {
      root_ = json(std::forward<Value>(value));
      return &root_;
    }
    Frame& top = stack_.back();
    if (top.node->is_array()) {
      top.node->push_back(json(std::forward<Value>(value)));
      return &top.node->back();
    }
    json& slot = (*top.node)[top.key];
    slot = json(std::forward<Value>(value));
    return &slot;
  }
  template <typename Value>
  bool put(Value&& value) {
    place(std::forward<Value>(value));
    return true;
  }
  bool open(json container) {
    if (static_cast<int>(stack_.size()) >= max_depth_) {
      return false;  // unreachable after find_too_deep; kept so the bound never depends on it
    }
    stack_.push_back(Frame{place(std::move(container)), {}});
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  int max_depth_;
  const DuplicateKeyHandler& on_duplicate_key_;
  json root_;
  std::vector<Frame> stack_;
  std::optional<std::pair<std::size_t, std::string>> error_;
};

std::string depth_reason(int max_depth) {
  return "nested deeper than the limit of " + std::to_string(max_depth) +
         " levels of arrays/objects";
}

}  // namespace

JsonError::JsonError(std::string_view what, std::string reason, std::size_t offset, int line,
                     int column)
    : InvalidArgument(std::string(what) + ": " + reason + " at line " + std::to_string(line) +
                      ", column " + std::to_string(column)),
      reason_(std::move(reason)),
      offset_(offset),
      line_(line),
      column_(column) {}

json parse_json_bounded(std::string_view text, std::string_view what, const JsonLimits& limits,
                        const DuplicateKeyHandler& on_duplicate_key) {
  if (text.size() > limits.max_bytes) {
    throw error_at(text, what,
                   "larger than the limit of " + std::to_string(limits.max_bytes) + " bytes",
                   limits.max_bytes);
  }
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    throw error_at(text, what, "unexpected NUL byte: expected JSON text only", nul);
  }
  if (const auto deep = find_too_deep(text, limits.max_depth); deep != std::string_view::npos) {
    throw error_at(text, what, depth_reason(limits.max_depth), deep);
  }
  DomBuilder builder(limits.max_depth, on_duplicate_key);
  const bool ok = json::sax_parse(text.begin(), text.end(), &builder, json::input_format_t::json,
                                  /*strict=*/true, /*ignore_comments=*/false);
  if (ok) return std::move(builder.result());
  if (builder.error()) throw error_at(text, what, builder.error()->second, builder.error()->first);
  throw error_at(text, what, depth_reason(limits.max_depth), 0);
}

int json_depth(const json& value, int stop_after) {
  std::vector<std::pair<const json*, int>> pending{{&value, value.is_structured() ? 1 : 0}};
  int deepest = 0;
  while (!pending.empty()) {
    const auto [node, depth] = pending.back();
    pending.pop_back();
    if (depth > deepest) deepest = depth;
    if (deepest > stop_after) return deepest;
    for (const json& child : *node) {
      if (child.is_structured()) pending.emplace_back(&child, depth + 1);
    }
  }
  return deepest;
}

void check_json_limits(const json& value, std::string_view what, const JsonLimits& limits) {
  if (json_depth(value, limits.max_depth) > limits.max_depth) {
    throw InvalidArgument(std::string(what) + ": " + depth_reason(limits.max_depth));
  }
  const std::size_t size = value.dump(-1, ' ', false, json::error_handler_t::replace).size();
  if (size > limits.max_bytes) {
    throw InvalidArgument(std::string(what) + ": " + std::to_string(size) +
                          " bytes of JSON, larger than the limit of " +
                          std::to_string(limits.max_bytes) + " bytes");
  }
}

std::string pointer_escape(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace vigil::tracker
