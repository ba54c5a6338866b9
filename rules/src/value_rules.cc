// Pre-training (or post-training, when a path reads results/metrics) checks of single values:
// range, min, max, required, enum, pattern, compare.
#include <cmath>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "detail.h"
#include "pattern.h"

namespace vigil::rules::detail {
namespace {

Outcome missing_value(const PathAlternatives& paths) {
  return Outcome::missing(describe(paths),
                          (paths.size() == 1 ? describe(paths) + " is missing"
                                             : "none of " + describe(paths) + " is set"));
}

/// Applies `check` to every value of the first present alternative of `paths` (several when it
/// has a `*` key): the first failure decides, naming its concrete path; the message lists the
/// other paths that failed too.
template <typename Check>
Outcome check_each(const RunContext& ctx, const PathAlternatives& paths, Check check) {
  const auto found = ctx.resolve_all(paths);
  if (found.empty()) return missing_value(paths);
  std::optional<Outcome> first;
  std::string others;
  for (const auto& value : found) {
    Outcome outcome = check(value);
    if (outcome.ok()) continue;
    if (!first) {
      first = std::move(outcome);
    } else {
      others += (others.empty() ? "" : ", ") + value.path;
    }
  }
  if (!first) return Outcome::passed();
  if (!others.empty()) first->message += " (also failing: " + others + ")";
  return std::move(*first);
}

/// The number in `found`, or a not-evaluable outcome.
std::variant<double, Outcome> numeric_value(const ResolvedValue& found) {
  auto number = as_number(found.value);
  if (!number) {
    return Outcome::not_evaluable(
        found.path, found.path + " is " + describe_type(found.value) + ", expected a number",
        found.value);
  }
  return *number;
}

/// A one- or two-sided numeric bound. NaN never satisfies a bound.
struct Bounds {
  std::optional<double> min;
  std::optional<double> max;
  bool min_inclusive = true;
  bool max_inclusive = true;

  bool contains(double v) const {
    if (min && !(min_inclusive ? v >= *min : v > *min)) return false;
    if (max && !(max_inclusive ? v <= *max : v < *max)) return false;
    return true;
  }
  std::string text() const {
    if (min && max) {
      return std::string("in ") + (min_inclusive ? "[" : "(") + number_text(*min) + ", " +
             number_text(*max) + (max_inclusive ? "]" : ")");
    }
    if (min) return (min_inclusive ? ">= " : "> ") + number_text(*min);
    return (max_inclusive ? "<= " : "< ") + number_text(*max);
  }
};

class BoundsRule : public Rule {
 public:
  BoundsRule(PathAlternatives paths, Bounds bounds)
      : Rule(phase_of(paths)), paths_(std::move(paths)), bounds_(bounds) {}

  Outcome evaluate(const RunContext& ctx) const override {
    return check_each(ctx, paths_, [this](const ResolvedValue& found) {
      auto value = numeric_value(found);
      if (auto* outcome = std::get_if<Outcome>(&value)) return std::move(*outcome);
      const double v = std::get<double>(value);
      if (bounds_.contains(v)) return Outcome::passed();
      return Outcome::failed(found.path,
                             found.path + " = " + number_text(v) + ", expected " + bounds_.text(),
                             found.value, bounds_.text());
    });
  }
  std::string target() const override { return describe(paths_); }
  std::string condition() const override { return bounds_.text(); }

 private:
  PathAlternatives paths_;
  Bounds bounds_;
};

class RequiredRule : public Rule {
 public:
  explicit RequiredRule(PathAlternatives paths) : Rule(phase_of(paths)), paths_(std::move(paths)) {}
  Outcome evaluate(const RunContext& ctx) const override {
    if (ctx.resolve(paths_)) return Outcome::passed();
    auto outcome = missing_value(paths_);
    outcome.status = Outcome::Status::kFailed;  // being absent is what this rule checks
    outcome.expected = "present";
    return outcome;
  }
  std::string target() const override { return describe(paths_); }
  std::string condition() const override { return "present"; }

 private:
  PathAlternatives paths_;
};

class EnumRule : public Rule {
 public:
  EnumRule(PathAlternatives paths, nlohmann::json values)
      : Rule(phase_of(paths)), paths_(std::move(paths)), values_(std::move(values)) {}
  Outcome evaluate(const RunContext& ctx) const override {
    return check_each(ctx, paths_, [this](const ResolvedValue& found) {
      for (const auto& allowed : values_) {
        if (allowed == found.value) return Outcome::passed();
      }
      return Outcome::failed(found.path,
                             found.path + " = " + found.value.dump() + ", expected " + condition(),
                             found.value, condition());
    });
  }
  std::string target() const override { return describe(paths_); }
  std::string condition() const override { return "one of " + values_.dump(); }

 private:
  PathAlternatives paths_;
  nlohmann::json values_;
};

class PatternRule : public Rule {
 public:
  PatternRule(PathAlternatives paths, std::string pattern, Pattern compiled, bool full)
      : Rule(phase_of(paths)),
        paths_(std::move(paths)),
        pattern_(std::move(pattern)),
        compiled_(std::move(compiled)),
        full_(full) {}
  Outcome evaluate(const RunContext& ctx) const override {
    return check_each(ctx, paths_, [this](const ResolvedValue& found) {
      if (!found.value.is_string()) {
        return Outcome::not_evaluable(
            found.path, found.path + " is " + describe_type(found.value) + ", expected a string",
            found.value, condition());
      }
      const auto& text = found.value.get_ref<const std::string&>();
      const bool ok = full_ ? compiled_.full_match(text) : compiled_.partial_match(text);
      if (ok) return Outcome::passed();
      return Outcome::failed(found.path, found.path + " = \"" + text + "\" does not " + condition(),
                             found.value, condition());
    });
  }
  std::string target() const override { return describe(paths_); }
  std::string condition() const override {
    return (full_ ? "match /" : "contain /") + pattern_ + "/";
  }

 private:
  PathAlternatives paths_;
  std::string pattern_;
  Pattern compiled_;
  bool full_;
};

class CompareRule : public Rule {
 public:
  CompareRule(PathAlternatives left, std::string op, PathAlternatives right)
      : Rule(phase_of(std::vector<PathAlternatives>{left, right})),
        left_(std::move(left)),
        op_(std::move(op)),
        right_(std::move(right)) {}

  // With `*` keys on either side, every pair of values must satisfy the comparison.
  Outcome evaluate(const RunContext& ctx) const override {
    return check_each(ctx, left_, [&](const ResolvedValue& left) {
      return check_each(ctx, right_,
                        [&](const ResolvedValue& right) { return compare(left, right); });
    });
  }
  std::string target() const override { return describe(left_) + ", " + describe(right_); }
  std::string condition() const override {
    return "(" + describe(left_) + ") " + op_ + " (" + describe(right_) + ")";
  }

 private:
  Outcome compare(const ResolvedValue& left, const ResolvedValue& right) const {
    const std::string where = left.path + " " + op_ + " " + right.path;
    const nlohmann::json actual = {{left.path, left.value}, {right.path, right.value}};
    const auto a = as_number(left.value);
    const auto b = as_number(right.value);
    bool holds = false;
    if (a && b) {
      holds = compare(*a, *b);
    } else if (op_ == "==" || op_ == "!=") {
      holds = (left.value == right.value) == (op_ == "==");
    } else {
      return Outcome::not_evaluable(where,
                                    "cannot order " + describe_type(left.value) + " and " +
                                        describe_type(right.value) + ": expected two numbers",
                                    actual, where);
    }
    if (holds) return Outcome::passed();
    return Outcome::failed(
        where, where + " does not hold (" + left.value.dump() + " vs " + right.value.dump() + ")",
        actual, where);
  }
  bool compare(double a, double b) const {
    if (op_ == "<") return a < b;
    if (op_ == "<=") return a <= b;
    if (op_ == ">") return a > b;
    if (op_ == ">=") return a >= b;
    if (op_ == "==") return a == b;
    return a != b;  // "!=", validated at load
  }
  PathAlternatives left_;
  std::string op_;
  PathAlternatives right_;
};

}  // namespace

void register_value_rules(RuleRegistry& registry) {
  registry.add("range", [](RuleFields& f) -> std::unique_ptr<Rule> {
    auto paths = f.paths("path");
    Bounds bounds;
    bounds.min = f.number("min");
    bounds.max = f.number("max");
    bounds.min_inclusive = f.boolean("min_inclusive", true);
    bounds.max_inclusive = f.boolean("max_inclusive", true);
    const bool comparable = f.has("min") && f.has("max") && f.problems().empty();
    if (comparable &&
        (*bounds.min > *bounds.max ||
         (*bounds.min == *bounds.max && !(bounds.min_inclusive && bounds.max_inclusive)))) {
      f.problem("max", "empty range " + bounds.text() + ": expected min <= max");
    }
    return std::make_unique<BoundsRule>(std::move(paths), bounds);
  });
  registry.add("min", [](RuleFields& f) -> std::unique_ptr<Rule> {
    auto paths = f.paths("path");
    Bounds bounds;
    bounds.min = f.number("min");
    bounds.min_inclusive = f.boolean("inclusive", true);
    return std::make_unique<BoundsRule>(std::move(paths), bounds);
  });
  registry.add("max", [](RuleFields& f) -> std::unique_ptr<Rule> {
    auto paths = f.paths("path");
    Bounds bounds;
    bounds.max = f.number("max");
    bounds.max_inclusive = f.boolean("inclusive", true);
    return std::make_unique<BoundsRule>(std::move(paths), bounds);
  });
  registry.add("required", [](RuleFields& f) -> std::unique_ptr<Rule> {
    if (f.has("when_missing")) {
      f.problem("when_missing",
                "a 'required' rule fails with its severity when the value is missing: remove "
                "when_missing and set severity instead");
    }
    return std::make_unique<RequiredRule>(f.paths("path"));
  });
  registry.add("enum", [](RuleFields& f) -> std::unique_ptr<Rule> {
    auto paths = f.paths("path");
    auto values = f.value("values");
    if (f.has("values") && (!values.is_array() || values.empty())) {
      f.problem("values",
                "expected a non-empty array of allowed values, got " + describe_type(values));
    }
    return std::make_unique<EnumRule>(std::move(paths), std::move(values));
  });
  registry.add("pattern", [](RuleFields& f) -> std::unique_ptr<Rule> {
    auto paths = f.paths("path");
    auto pattern = f.string("pattern");
    const bool full = f.choice("match", {"full", "search"}, "full") == "full";
    Pattern compiled(pattern);
    if (f.has("pattern") && !compiled.error().empty()) {
      f.problem("pattern", "invalid regular expression /" + pattern + "/: " + compiled.error() +
                               " (expected RE2 syntax; no backreferences or lookaround)");
    }
    return std::make_unique<PatternRule>(std::move(paths), std::move(pattern), std::move(compiled),
                                         full);
  });
  registry.add("compare", [](RuleFields& f) -> std::unique_ptr<Rule> {
    auto left = f.paths("left");
    auto op = f.string("op");
    if (f.has("op") && op != "<" && op != "<=" && op != ">" && op != ">=" && op != "==" &&
        op != "!=") {
      f.problem("op", "unknown operator '" + op + "': expected one of <, <=, >, >=, ==, !=");
    }
    auto right = f.paths("right");
    return std::make_unique<CompareRule>(std::move(left), std::move(op), std::move(right));
  });
}

}  // namespace vigil::rules::detail
