#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "vigil/rules/errors.h"
#include "vigil/rules/registry.h"
#include "vigil/rules/rule.h"
#include "vigil/rules/types.h"

namespace vigil::rules {

/// How a report's score is computed.
enum class ScoringModel {
  kPenalty,   ///< 100 - sum of per-severity penalties over the violations, floored at 0
  kWeighted,  ///< 100 x passed weight / total weight of the scored (warning/error) rules
};

/// "penalty" / "weighted", and back (InvalidArgument on other text).
std::string_view to_string(ScoringModel model) noexcept;
ScoringModel parse_scoring_model(std::string_view text);

/// The `scoring` and `verdict` sections of a rules file.
struct ScoringOptions {
  ScoringModel model = ScoringModel::kPenalty;  ///< "scoring.model"; default penalty
  double error_penalty = 20.0;                  ///< "scoring.penalties.error"; >= 0; default 20
  double warning_penalty = 10.0;                ///< "scoring.penalties.warning"; >= 0; default 10
  double info_penalty = 0.0;                    ///< "scoring.penalties.info"; >= 0; default 0
  /// "verdict.min_score": FAIL when the score is below it (0-100); default none.
  std::optional<double> min_score;
};

/// A parsed, validated rules file: policy settings plus rules in file order.
///
/// File format (JSON object; every key is checked, unknown keys are errors):
///
///   {
///     "version": "2026.12",              // optional: the policy's version (a string of 1-64
///                                        // printable characters; the integer 1 is accepted)
///     "experiments": ["mnist*"],         // optional: experiments this policy governs
///                                        // (`*` patterns, 1-64 of 1-256 bytes each)
///     "name": "default",                 // optional; default: file stem / parse() name
///     "description": "...",              // optional
///     "enforcement": "enforce",          // optional: enforce | warn_only (see Enforcement)
///     "scoring": {"model": "penalty",    // optional: penalty | weighted
///                 "penalties": {"error": 20, "warning": 10, "info": 0}},
///     "verdict": {"min_score": 70},      // optional
///     "rules": [ {"id": "lr-range", "kind": "range", "severity": "error", "weight": 1,
///                 "when_missing": "info", "enforcement": "enforce", "description": "...",
///                 ...kind fields...}, ... ]
///   }
///
/// Rule kinds (fields in brackets are optional). PATH is a path string or an array of
/// alternative paths (see ValuePath); METRIC a qualified series name.
///   range      path, min, max, [min_inclusive=true], [max_inclusive=true]   value numeric
///   min        path, min, [inclusive=true]        value >= min (> when not inclusive)
///   max        path, max, [inclusive=true]        value <= max (< when not inclusive)
///   required   path                               some alternative is present (not null)
///   enum       path, values (non-empty array)     value equals one of them (JSON equality,
///                                                 numbers numerically)
///   pattern    path, pattern, [match=full|search] string value matches the RE2 regex (full:
///                                                 whole value; search: some part). RE2 runs in
///                                                 time linear in the value; no backreferences or
///                                                 lookaround (a pattern RE2 rejects is a problem
///                                                 at /rules/N/pattern)
///   compare    left, op (< <= > >= == !=), right  numeric left OP right (== / != also strings)
///   non_finite metric (name, `*` pattern or array)  fires (stop now) on a NaN/Inf value
///   divergence metric (as non_finite), min and/or max  fires (stop now) when value > max or < min
///   plateau    metric, patience (>=1), [mode=min|max], [min_delta=0]
///                 fires (stop gracefully) after `patience` observations in a row without an
///                 improvement of more than min_delta over the best value so far
///   target     metric, value, [mode=max|min]      fires (stop gracefully) once value >= goal
///                                                 (max) or <= goal (min); default severity info
///   metric_threshold metric, threshold, [stat=last|best|min|max], [direction=max|min],
///                 [inclusive=true]   stat (best = max for direction max, min for min) must be
///                 >= threshold (direction max) or <= threshold (direction min)
///   baseline   path, [direction=max|min], [min_improvement=0], [min_relative_improvement=0],
///                 [on_missing_baseline=pass|warn|fail]   compared with the best value among
///                 earlier (created_at before this run) PASS runs of the same experiment
///
/// Phases: range..compare are pre-training when all their paths are params.*/run.*, else
/// post-training; non_finite..target are during-training; metric_threshold and baseline are
/// post-training. A wrongly typed value is a violation (not_evaluable), never a pass.
///
/// Every rule also takes "when_missing": skip | info | warning | error (default info): how a
/// missing value (no path alternative present, no watched series) is reported; info and skip
/// are not scored (see RuleInfo::when_missing). Not allowed on `required` rules.
/// Every rule also takes "enforcement": enforce (default) | audit: an audit rule's violations
/// are reported and stored but never counted, never refuse or stop a run (see RuleMode).
/// A path key may be `*` (params/results only): the rule checks every match (see ValuePath).
/// non_finite and divergence accept a list of metrics and `*` patterns ("*loss*").
///
/// Thread safety: immutable after loading (except set_enforcement); const methods are safe to
/// call concurrently. Copies share the rules.
class RuleSet {
 public:
  /// An empty rule set named "empty" (every evaluation passes with score 100).
  RuleSet();

  /// Reads and parses a rules file. name() is the file's "name" or else the file stem.
  /// Throws RulesError (naming the file) when it cannot be read or has any problem.
  static RuleSet load_file(const std::string& path,
                           const RuleRegistry& registry = RuleRegistry::global());
  /// Parses rules text; `name` labels problems and is the default name().
  /// Throws RulesError listing every problem.
  static RuleSet parse(std::string_view text, std::string_view name,
                       const RuleRegistry& registry = RuleRegistry::global());
  /// The shipped default policy (rules/default.json, embedded at build time).
  static RuleSet default_rules();
  /// The bytes of rules/default.json.
  static std::string_view default_rules_text() noexcept;

  /// Every problem of a rules file (empty when valid). Never throws for bad content; an
  /// unreadable file is one problem.
  static std::vector<Problem> check_file(const std::string& path,
                                         const RuleRegistry& registry = RuleRegistry::global());
  static std::vector<Problem> check(std::string_view text, std::string_view name,
                                    const RuleRegistry& registry = RuleRegistry::global());

  const std::string& name() const noexcept { return name_; }
  const std::string& description() const noexcept { return description_; }
  /// The file path, or the name given to parse().
  const std::string& source() const noexcept { return source_; }
  /// FNV-1a 64-bit hash of the file bytes, 16 lower-case hex digits.
  const std::string& hash() const noexcept { return hash_; }
  Enforcement enforcement() const noexcept { return enforcement_; }
  const ScoringOptions& scoring() const noexcept { return scoring_; }
  /// The parsed document, as written.
  const nlohmann::json& document() const noexcept { return document_; }
  /// The policy's version: the file's "version" string ("2026.12"); "1" for the legacy
  /// integer 1; "" when absent.
  const std::string& version() const noexcept { return version_; }
  /// The file's "experiments": name patterns (`*` matches any run of characters) of the
  /// experiments this policy governs; empty = no binding (used only when given explicitly).
  const std::vector<std::string>& experiments() const noexcept { return experiments_; }
  /// Whether `experiment` matches one of experiments().
  bool governs(std::string_view experiment) const noexcept;
  /// The exact bytes the rule set was parsed from (what the store keeps under hash()).
  const std::string& text() const noexcept { return text_; }

  /// All rules in file order, including those with severity off.
  const std::vector<std::shared_ptr<const Rule>>& rules() const noexcept { return rules_; }
  /// Rules of one phase (kAll: every rule) with severity != off, in file order.
  std::vector<std::shared_ptr<const Rule>> active_rules(Phase phase) const;
  /// The rule with this id, or nullptr.
  std::shared_ptr<const Rule> find(std::string_view id) const;

  /// Overrides the file's enforcement (e.g. a CLI --warn-only flag).
  void set_enforcement(Enforcement enforcement) noexcept { enforcement_ = enforcement; }

 private:
  friend struct detail::RuleAccess;
  std::string name_;
  std::string description_;
  std::string source_;
  std::string hash_;
  std::string version_;
  std::vector<std::string> experiments_;
  std::string text_;
  Enforcement enforcement_ = Enforcement::kEnforce;
  ScoringOptions scoring_;
  nlohmann::json document_;
  std::vector<std::shared_ptr<const Rule>> rules_;
};

/// The largest rules file (or text given to RuleSet::parse/check) vigil reads: 1 MiB. Larger
/// input, /dev/zero included, is one problem "larger than the limit"; at most this many bytes
/// plus one are read. Nesting is bounded by tracker::kMaxJsonDepth.
inline constexpr std::size_t kMaxRulesFileBytes = std::size_t{1} << 20;

/// FNV-1a 64 of `bytes` as 16 lower-case hex digits.
std::string content_hash(std::string_view bytes);

}  // namespace vigil::rules
