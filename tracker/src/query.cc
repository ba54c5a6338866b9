#include "vigil/tracker/query.h"

#include <cmath>
#include <cstdlib>

#include "vigil/tracker/errors.h"

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
                           expected_form + " with OP one of < <= > >= == !=");
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

}  // namespace

ParamCondition ParamCondition::parse(std::string_view expression) {
  auto parts = split(expression, "PATH OP VALUE (e.g. optimizer.lr < 0.01)");
  ParamCondition condition;
  condition.path = std::string(parts.left);
  condition.op = parts.op;
  auto literal = nlohmann::json::parse(parts.right, nullptr, false);
  if (!literal.is_discarded() &&
      (literal.is_number() || literal.is_string() || literal.is_boolean())) {
    condition.value = std::move(literal);
  } else {
    condition.value = std::string(parts.right);
  }
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
  auto parts = split(expression, "SERIES OP NUMBER (e.g. loss{subset=val} < 0.5)");
  MetricCondition condition;
  condition.series = SeriesKey::parse(parts.left);
  condition.op = parts.op;
  std::string number(parts.right);
  char* end = nullptr;
  condition.value = std::strtod(number.c_str(), &end);
  if (end == number.c_str() || *end != '\0') {
    throw InvalidArgument("invalid condition '" + std::string(expression) +
                          "': expected a number after the operator, got '" + number + "'");
  }
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
