#include "vigil/tracker/query.h"

#include <cmath>
#include <cstdlib>

#include "vigil/tracker/errors.h"
#include "vigil/tracker/json_limits.h"

namespace vigil::tracker {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

struct SplitExpression {
  std::string_view left;
  CompareOp op;
  std::string_view right;
};

// Splits "LEFT OP RIGHT" at the first operator outside {...} and "...".
SplitExpression split(std::string_view expression, const char* expected_form) {
  auto fail = [&] {
    return InvalidArgument("invalid condition '" + std::string(expression) + "': expected " +
                           expected_form);
  };
  int depth = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < expression.size(); ++i) {
    char c = expression[i];
    if (quoted) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        quoted = false;
      continue;
    }
    if (c == '"')
      quoted = true;
    else if (c == '{')
      ++depth;
    else if (c == '}')
      --depth;
    if (depth != 0) continue;
    if (c != '<' && c != '>' && c != '=' && c != '!') continue;
    bool has_eq = i + 1 < expression.size() && expression[i + 1] == '=';
    CompareOp op;
    if (c == '<')
      op = has_eq ? CompareOp::kLessEqual : CompareOp::kLess;
    else if (c == '>')
      op = has_eq ? CompareOp::kGreaterEqual : CompareOp::kGreater;
    else if (c == '=' && has_eq)
      op = CompareOp::kEqual;
    else if (c == '!' && has_eq)
      op = CompareOp::kNotEqual;
    else
      throw fail();
    std::size_t op_len = (c == '=' || c == '!' || has_eq) ? 2 : 1;
    SplitExpression out{trim(expression.substr(0, i)), op, trim(expression.substr(i + op_len))};
    if (out.left.empty() || out.right.empty()) throw fail();
    return out;
  }
  throw fail();
}

template <typename T>
bool compare(const T& a, CompareOp op, const T& b) {
  switch (op) {
    case CompareOp::kLess:
      return a < b;
    case CompareOp::kLessEqual:
      return a <= b;
    case CompareOp::kGreater:
      return a > b;
    case CompareOp::kGreaterEqual:
      return a >= b;
    case CompareOp::kEqual:
      return a == b;
    case CompareOp::kNotEqual:
      return a != b;
  }
  return false;
}

const nlohmann::json* find_path(const nlohmann::json& root, std::string_view path) {
  const nlohmann::json* node = &root;
  while (true) {
    if (!node->is_object()) return nullptr;
    auto dot = path.find('.');
    std::string part(path.substr(0, dot));
    auto it = node->find(part);
    if (it == node->end()) return nullptr;
    node = &*it;
    if (dot == std::string_view::npos) return node;
    path.remove_prefix(dot + 1);
  }
}

constexpr const char* kParamForm =
    "PATH OP VALUE with OP one of < <= > >= == != (e.g. optimizer.lr < 0.01 or "
    "optimizer.name == adam)";
constexpr const char* kMetricForm =
    "SERIES OP NUMBER with OP one of < <= > >= == != (e.g. loss{subset=val} < 0.5)";

InvalidArgument bad_condition(std::string_view expression, const std::string& why,
                              const char* expected_form) {
  return InvalidArgument("invalid condition '" + std::string(expression) + "': " + why +
                         "; expected " + expected_form);
}

// NUMBER: [+-] (DIGITS [. [DIGITS]] | . DIGITS) [(e|E) [+-] DIGITS]. So 0.5, .5, +1, 1. and
// 1e-3 are numbers; inf, nan, hex and anything with trailing text are not.
bool is_number_syntax(std::string_view text) {
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return i - start;
  };
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  std::size_t mantissa = digits();
  if (i < text.size() && text[i] == '.') {
    ++i;
    mantissa += digits();
  }
  if (mantissa == 0) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == text.size();
}

// The finite double `text` denotes, or an error naming the expression and the expected form.
double finite_number(std::string_view expression, std::string_view text, const char* form) {
  if (!is_number_syntax(text)) {
    throw bad_condition(expression, "'" + std::string(text) + "' is not a number", form);
  }
  const std::string number(text);
  const double value = std::strtod(number.c_str(), nullptr);
  if (!std::isfinite(value)) {
    throw bad_condition(expression, "number " + number + " is out of range", form);
  }
  return value;
}

void check_path(std::string_view expression, std::string_view path) {
  if (path.front() == '.' || path.back() == '.' || path.find("..") != std::string_view::npos) {
    throw bad_condition(expression, "path '" + std::string(path) + "' has an empty segment",
                        kParamForm);
  }
}

// VALUE: a NUMBER (any operator); for == and != also true, false, a JSON "string" or a bare
// word without spaces, quotes or operator characters. Anything else is an error, never a
// condition that silently matches nothing.
nlohmann::json parse_param_value(std::string_view expression, const SplitExpression& parts) {
  const std::string_view text = parts.right;
  if (is_number_syntax(text)) return finite_number(expression, text, kParamForm);
  if (parts.op != CompareOp::kEqual && parts.op != CompareOp::kNotEqual) {
    throw bad_condition(expression, "'" + std::string(text) + "' is not a number",
                        "PATH OP NUMBER for OP one of < <= > >= (e.g. optimizer.lr < 0.01): "
                        "ordering compares finite numbers only");
  }
  if (text == "true" || text == "false") return text == "true";
  if (text.front() == '"') {
    try {
      auto literal = parse_json_bounded(text, "quoted value");
      if (literal.is_string()) return literal;
    } catch (const JsonError&) {
    }
    throw bad_condition(expression, "malformed quoted value " + std::string(text), kParamForm);
  }
  if (text.find_first_of(" \t\"<>=!") != std::string_view::npos) {
    throw bad_condition(expression,
                        "unexpected text in value '" + std::string(text) +
                            "' (quote a value that holds spaces or operators: \"a b\")",
                        kParamForm);
  }
  return std::string(text);  // a bare word: adam, 1.2.3
}

}  // namespace

ParamCondition ParamCondition::parse(std::string_view expression) {
  auto parts = split(expression, kParamForm);
  check_path(expression, parts.left);
  ParamCondition condition;
  condition.path = std::string(parts.left);
  condition.op = parts.op;
  condition.value = parse_param_value(expression, parts);
  return condition;
}

bool ParamCondition::matches(const nlohmann::json& params) const {
  const nlohmann::json* found = find_path(params, path);
  if (!found) return false;
  if (found->is_number() && value.is_number()) {
    return compare(found->get<double>(), op, value.get<double>());
  }
  if (found->is_string() && value.is_string()) {
    return compare(found->get_ref<const std::string&>(), op, value.get_ref<const std::string&>());
  }
  if (op == CompareOp::kEqual) return *found == value;
  if (op == CompareOp::kNotEqual) return *found != value;
  return false;  // ordering between different kinds (or booleans) is undefined: no match
}

MetricCondition MetricCondition::parse(std::string_view expression) {
  auto parts = split(expression, kMetricForm);
  MetricCondition condition;
  condition.series = SeriesKey::parse(parts.left);
  condition.op = parts.op;
  condition.value = finite_number(expression, parts.right, kMetricForm);
  return condition;
}

bool MetricCondition::matches(const std::vector<SeriesSummary>& metrics) const {
  for (const auto& summary : metrics) {
    if (summary.key == series || (summary.key.name == series.name && summary.key.context.empty() &&
                                  (series.context.is_null() || series.context.empty()))) {
      if (summary.count == 0) return false;
      return compare(summary.last, op, value);
    }
  }
  return false;
}

void to_json(nlohmann::json& j, const ValidationRecord& record) {
  j = nlohmann::json{{"id", record.id},
                     {"run_id", record.run_id},
                     {"rules_name", record.rules_name},
                     {"rules_hash", record.rules_hash},
                     {"phase", record.phase},
                     {"verdict", record.verdict},
                     {"score", finite_or_string(record.score)},
                     {"violations", record.violations},
                     {"report", record.report},
                     {"created_at", format_time(record.created_at)}};
}

bool is_verdict_tag(std::string_view tag) noexcept {
  for (std::string_view verdict_tag : kVerdictTags) {
    if (tag == verdict_tag) return true;
  }
  return false;
}

}  // namespace vigil::tracker
