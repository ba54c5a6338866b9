#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "vigil/rules/errors.h"
#include "vigil/rules/path.h"
#include "vigil/rules/rule.h"

namespace vigil::rules {

/// The JSON object of one rule, as seen by its kind's factory. Typed getters read a field and
/// record a Problem (with the field's JSON pointer, e.g. "/rules/2/min") instead of throwing
/// when it is missing or has the wrong type; they then return a neutral value and the loader
/// discards the rule. Every field a factory asks for (present or not) counts as known: fields
/// it never asks for are reported as unknown. The common fields (id, kind, description,
/// severity, weight) are handled by the loader; factories never read them.
///
/// Thread safety: not thread-safe; lives only during loading.
class RuleFields {
 public:
  RuleFields(const nlohmann::json& object, std::string pointer, std::string source, std::string id,
             std::string kind);

  const std::string& id() const noexcept { return id_; }
  const std::string& kind() const noexcept { return kind_; }
  /// JSON pointer of the rule object ("/rules/3").
  const std::string& pointer() const noexcept { return pointer_; }
  bool has(std::string_view key) const;

  /// Required number (integer or floating; booleans are not numbers).
  double number(std::string_view key);
  std::optional<double> optional_number(std::string_view key);
  /// Required integer.
  std::int64_t integer(std::string_view key);
  std::optional<std::int64_t> optional_integer(std::string_view key);
  std::string string(std::string_view key);
  std::optional<std::string> optional_string(std::string_view key);
  bool boolean(std::string_view key, bool default_value);
  /// Optional string that must be one of `allowed`; `default_value` when absent.
  std::string choice(std::string_view key, const std::vector<std::string>& allowed,
                     const std::string& default_value);
  /// Required path: a path string or a non-empty array of path strings (see ValuePath).
  PathAlternatives paths(std::string_view key);
  /// Required field of any JSON type.
  nlohmann::json value(std::string_view key);
  std::optional<nlohmann::json> optional_value(std::string_view key);

  /// Records a problem about `key` (pointer + "/" + key; the rule itself when `key` is empty).
  void problem(std::string_view key, std::string message);
  /// Problems recorded so far.
  const std::vector<Problem>& problems() const noexcept { return problems_; }
  /// Keys asked for so far, sorted.
  const std::set<std::string>& known_keys() const noexcept { return known_; }

 private:
  const nlohmann::json* find(std::string_view key);
  void add_problem(std::string pointer, std::string message);
  const nlohmann::json& object_;
  std::string pointer_;
  std::string source_;
  std::string id_;
  std::string kind_;
  std::set<std::string> known_;
  std::vector<Problem> problems_;
};

/// Builds a rule from its fields. Return nullptr only after recording a problem.
using RuleFactory = std::function<std::unique_ptr<Rule>(RuleFields& fields)>;

/// Maps rule kinds to factories. global() holds the built-in kinds (range, min, max, required,
/// enum, pattern, compare, non_finite, divergence, plateau, target, metric_threshold, baseline)
/// and whatever a program adds; RuleSet::parse/load_file use it unless given another registry.
///
/// Thread safety: all methods may be called concurrently (guarded by a mutex).
///
/// Example:
///   vigil::rules::RuleRegistry::global().add("even", [](vigil::rules::RuleFields& f) {
///     return std::make_unique<EvenRule>(f.paths("path"));
///   });
class RuleRegistry {
 public:
  /// An empty registry (no kinds). Use with_builtins() for one holding the built-in kinds.
  RuleRegistry() = default;
  RuleRegistry(const RuleRegistry& other);
  RuleRegistry& operator=(const RuleRegistry&) = delete;

  /// The process-wide registry, with the built-in kinds.
  static RuleRegistry& global();
  /// A fresh registry holding only the built-in kinds.
  static RuleRegistry with_builtins();

  /// Registers `kind`. `default_severity` applies when a rule omits "severity".
  /// Throws InvalidArgument when the kind is empty, is already registered, or the factory is
  /// empty.
  void add(std::string kind, RuleFactory factory, Severity default_severity = Severity::kError);
  bool contains(std::string_view kind) const;
  /// Registered kinds, sorted.
  std::vector<std::string> kinds() const;

  struct Entry {
    RuleFactory factory;
    Severity default_severity = Severity::kError;
  };
  /// The entry of `kind`, or nullopt.
  std::optional<Entry> find(std::string_view kind) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;  // guarded by mu_
};

}  // namespace vigil::rules
