#include "vigil/rules/registry.h"

#include <utility>

#include "detail.h"
#include "vigil/tracker/json_limits.h"

namespace vigil::rules {

RuleFields::RuleFields(const nlohmann::json& object, std::string pointer, std::string source,
                       std::string id, std::string kind)
    : object_(object),
      pointer_(std::move(pointer)),
      source_(std::move(source)),
      id_(std::move(id)),
      kind_(std::move(kind)) {}

bool RuleFields::has(std::string_view key) const {
  return object_.is_object() && object_.find(std::string(key)) != object_.end();
}

const nlohmann::json* RuleFields::find(std::string_view key) {
  known_.insert(std::string(key));
  if (!object_.is_object()) return nullptr;
  auto it = object_.find(std::string(key));
  return it == object_.end() ? nullptr : &*it;
}

void RuleFields::problem(std::string_view key, std::string message) {
  add_problem(key.empty() ? pointer_ : pointer_ + "/" + tracker::pointer_escape(key),
              std::move(message));
}

void RuleFields::add_problem(std::string pointer, std::string message) {
  Problem p;
  p.source = source_;
  p.pointer = std::move(pointer);
  p.message = std::move(message);
  if (!id_.empty()) p.message += " (rule '" + id_ + "')";
  problems_.push_back(std::move(p));
}

namespace {
std::string missing(std::string_view key, std::string_view expected) {
  return "missing required field '" + std::string(key) + "': expected " + std::string(expected);
}
std::string wrong(std::string_view expected, const nlohmann::json& got) {
  return "expected " + std::string(expected) + ", got " + detail::describe_type(got);
}
}  // namespace

std::optional<double> RuleFields::optional_number(std::string_view key) {
  const auto* v = find(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number()) {
    problem(key, wrong("a number", *v));
    return 0.0;
  }
  return v->get<double>();
}

double RuleFields::number(std::string_view key) {
  if (!has(key)) {
    find(key);
    problem({}, missing(key, "a number"));
    return 0.0;
  }
  return *optional_number(key);
}

std::optional<std::int64_t> RuleFields::optional_integer(std::string_view key) {
  const auto* v = find(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_integer()) return v->get<std::int64_t>();
  if (v->is_number_float()) {
    double d = v->get<double>();
    if (d == static_cast<double>(static_cast<std::int64_t>(d))) return static_cast<std::int64_t>(d);
  }
  problem(key, wrong("an integer", *v));
  return 0;
}

std::int64_t RuleFields::integer(std::string_view key) {
  if (!has(key)) {
    find(key);
    problem({}, missing(key, "an integer"));
    return 0;
  }
  return *optional_integer(key);
}

std::optional<std::string> RuleFields::optional_string(std::string_view key) {
  const auto* v = find(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    problem(key, wrong("a string", *v));
    return std::string();
  }
  return v->get<std::string>();
}

std::string RuleFields::string(std::string_view key) {
  if (!has(key)) {
    find(key);
    problem({}, missing(key, "a string"));
    return {};
  }
  return *optional_string(key);
}

bool RuleFields::boolean(std::string_view key, bool default_value) {
  const auto* v = find(key);
  if (v == nullptr) return default_value;
  if (!v->is_boolean()) {
    problem(key, wrong("true or false", *v));
    return default_value;
  }
  return v->get<bool>();
}

std::string RuleFields::choice(std::string_view key, const std::vector<std::string>& allowed,
                               const std::string& default_value) {
  std::string names;
  for (const auto& name : allowed) names += (names.empty() ? "" : ", ") + name;
  const auto* v = find(key);
  if (v == nullptr) return default_value;
  if (!v->is_string()) {
    problem(key, wrong("one of " + names, *v));
    return default_value;
  }
  const auto& text = v->get_ref<const std::string&>();
  for (const auto& name : allowed) {
    if (name == text) return text;
  }
  problem(key, "unknown value '" + text + "': expected one of " + names);
  return default_value;
}

PathAlternatives RuleFields::paths(std::string_view key) {
  const auto* v = find(key);
  constexpr std::string_view kExpected = "a path string or a non-empty array of path strings";
  if (v == nullptr) {
    problem({}, missing(key, kExpected));
    return {};
  }
  PathAlternatives out;
  const std::string field_pointer = pointer_ + "/" + tracker::pointer_escape(key);
  auto parse_one = [&](const nlohmann::json& item, const std::string& item_pointer) {
    if (!item.is_string()) {
      add_problem(item_pointer, wrong("a path string", item));
      return;
    }
    try {
      out.push_back(ValuePath::parse(item.get<std::string>()));
    } catch (const InvalidArgument& e) {
      add_problem(item_pointer, e.what());
    }
  };
  if (v->is_string()) {
    parse_one(*v, field_pointer);
  } else if (v->is_array() && !v->empty()) {
    for (std::size_t i = 0; i < v->size(); ++i) {
      parse_one((*v)[i], field_pointer + "/" + std::to_string(i));
    }
  } else {
    problem(key, wrong(kExpected, *v));
  }
  return out;
}

std::optional<nlohmann::json> RuleFields::optional_value(std::string_view key) {
  const auto* v = find(key);
  if (v == nullptr) return std::nullopt;
  return *v;
}

nlohmann::json RuleFields::value(std::string_view key) {
  const auto* v = find(key);
  if (v == nullptr) {
    problem({}, missing(key, "a value"));
    return nullptr;
  }
  return *v;
}

RuleRegistry::RuleRegistry(const RuleRegistry& other) {
  std::lock_guard<std::mutex> lock(other.mu_);
  entries_ = other.entries_;
}

RuleRegistry& RuleRegistry::global() {
  static RuleRegistry registry = with_builtins();
  return registry;
}

RuleRegistry RuleRegistry::with_builtins() {
  RuleRegistry registry;
  detail::register_value_rules(registry);
  detail::register_training_rules(registry);
  detail::register_result_rules(registry);
  return registry;
}

void RuleRegistry::add(std::string kind, RuleFactory factory, Severity default_severity) {
  if (kind.empty()) throw InvalidArgument("rule kind must not be empty");
  if (!factory) throw InvalidArgument("rule kind '" + kind + "': factory must not be empty");
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.count(kind) != 0) {
    throw InvalidArgument("rule kind '" + kind + "' is already registered");
  }
  entries_.emplace(std::move(kind), Entry{std::move(factory), default_severity});
}

bool RuleRegistry::contains(std::string_view kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.find(kind) != entries_.end();
}

std::vector<std::string> RuleRegistry::kinds() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [kind, entry] : entries_) out.push_back(kind);
  return out;
}

std::optional<RuleRegistry::Entry> RuleRegistry::find(std::string_view kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(kind);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

}  // namespace vigil::rules
