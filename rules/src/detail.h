#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/logger.h>
#include <nlohmann/json.hpp>

#include "vigil/rules/registry.h"
#include "vigil/rules/rule.h"
#include "vigil/rules/rule_set.h"
#include "vigil/rules/types.h"
#include "vigil/tracker/types.h"

namespace vigil::rules::detail {

/// Writes the loader-owned parts of rules and rule sets.
struct RuleAccess {
  static void set_info(Rule& rule, RuleInfo info) { rule.info_ = std::move(info); }
  static void set_name(RuleSet& set, std::string name) { set.name_ = std::move(name); }
  static void set_description(RuleSet& set, std::string text) {
    set.description_ = std::move(text);
  }
  static void set_source(RuleSet& set, std::string source) { set.source_ = std::move(source); }
  static void set_hash(RuleSet& set, std::string hash) { set.hash_ = std::move(hash); }
  static void set_enforcement(RuleSet& set, Enforcement e) { set.enforcement_ = e; }
  static void set_scoring(RuleSet& set, ScoringOptions s) { set.scoring_ = s; }
  static void set_document(RuleSet& set, nlohmann::json d) { set.document_ = std::move(d); }
  static void set_version(RuleSet& set, std::string v) { set.version_ = std::move(v); }
  static void set_experiments(RuleSet& set, std::vector<std::string> e) {
    set.experiments_ = std::move(e);
  }
  static void set_text(RuleSet& set, std::string text) { set.text_ = std::move(text); }
  static void add_rule(RuleSet& set, std::shared_ptr<const Rule> rule) {
    set.rules_.push_back(std::move(rule));
  }
};

/// The named logger "vigil" (the host's if registered, else a new stderr logger).
std::shared_ptr<spdlog::logger> logger();

/// A double as JSON: a number, or "NaN" / "Infinity" / "-Infinity".
nlohmann::json number_json(double value);
/// A number (booleans excluded) or one of the strings "NaN", "Infinity", "-Infinity".
std::optional<double> as_number(const nlohmann::json& value);
/// Shortest text that reads back as `value` ("0.0001", "10", "NaN").
std::string number_text(double value);
/// 'a string ("abc")', 'a boolean (true)', ... for messages about wrong types.
std::string describe_type(const nlohmann::json& value);

/// Canonical qualified series name (SeriesKey::parse + qualified_name). Throws InvalidArgument.
std::string normalize_series(std::string_view qualified_name);
/// The summary of the series with this canonical name in `run`, or nullptr.
const tracker::SeriesSummary* find_series(const tracker::RunInfo& run, std::string_view name);

/// True when `metric` is a series pattern: a `*` in it matches any run of characters.
bool is_series_pattern(std::string_view metric) noexcept;
/// Whether the qualified series name `name` matches `pattern` (exact text, or `*` globs).
bool series_matches(std::string_view pattern, std::string_view name) noexcept;
/// Whether `name` matches any of `patterns`.
bool matches_any(const std::vector<std::string>& patterns, std::string_view name) noexcept;
/// The series a during-training rule watching `metrics` replays for `run`: plain names as
/// given, patterns expanded over the run's series; in order, without duplicates.
std::vector<std::string> replay_series(const tracker::RunInfo& run,
                                       const std::vector<std::string>& metrics);

/// Counts, score, verdicts of a report whose violations and weights are filled in.
void finalize(Report& report, const RuleSet& rules);

/// The severity a non-passed outcome of `rule` is reported with: the outcome's override, else
/// the rule's when_missing for a missing value (kOff: not reported), else the rule's severity.
Severity outcome_severity(const Rule& rule, const Outcome& outcome) noexcept;

/// Turns a non-passed outcome of `rule` into a violation.
Violation make_violation(const Rule& rule, Outcome outcome);

/// Built-in kinds, by file.
void register_value_rules(RuleRegistry& registry);
void register_training_rules(RuleRegistry& registry);
void register_result_rules(RuleRegistry& registry);

}  // namespace vigil::rules::detail
