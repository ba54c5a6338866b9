#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "vigil/tracker/types.h"

namespace vigil::rules {

/// How much a violation of a rule matters. `kOff` disables a rule (it is never evaluated).
enum class Severity { kOff, kInfo, kWarning, kError };

/// When a rule applies. A rule's phase follows from its kind (see rule_set.h); `kAll` only
/// describes an evaluation that covered every phase.
enum class Phase {
  kPre,     ///< before training: params and run metadata; may refuse the run
  kDuring,  ///< while training: streamed metric values; may stop the run
  kPost,    ///< after training: results, metric summaries, baselines; scores the run
  kAll,     ///< an evaluation of every phase (only used in Report::phase)
};

/// PASS when no error-severity violation (and the optional minimum score is met), else FAIL.
enum class Verdict { kPass, kFail };

/// What a rule set asks the training loop to do after an observation.
enum class Decision {
  kContinue,        ///< nothing to do
  kStopGracefully,  ///< finish the current epoch/step cleanly, then stop (plateau, target)
  kStopNow,         ///< stop at once (NaN/Inf, divergence)
};

/// Whether violations have consequences.
///   kEnforce:  an error-severity violation (or a score below min_score) makes the verdict FAIL;
///              a FAIL before training refuses the run; during-training rules stop it.
///   kWarnOnly: violations are evaluated, counted, scored and reported exactly as with kEnforce,
///              but Report::verdict is always PASS (Report::enforced_verdict keeps what kEnforce
///              would have said) and TrainingMonitor always answers kContinue.
enum class Enforcement { kEnforce, kWarnOnly };

/// How one rule takes part in verdicts (a rule's "enforcement" in its rules file).
///   kEnforce: its violations count in the score and the verdict and may refuse or stop a run.
///   kAudit:   its violations are reported and stored (marked audit), never counted in the
///             score or the verdict, never refuse or stop a run: a new rule can be rolled out
///             and watched before it is enforced.
enum class RuleMode { kEnforce, kAudit };

/// A waiver that covers a violation (see tracker::Waiver), as recorded in the report.
struct WaiverNote {
  std::int64_t id = 0;
  std::string reason;
  std::string owner;
  std::optional<tracker::Timestamp> until;  ///< none: until revoked
  bool experiment_wide = false;             ///< granted for the run's whole experiment
};

/// Lower-case names ("off", "info", "warning", "error"; "pre", "during", "post", "all";
/// "continue", "stop_gracefully", "stop_now"; "enforce", "warn_only") and "PASS"/"FAIL".
std::string_view to_string(Severity severity) noexcept;
std::string_view to_string(Phase phase) noexcept;
std::string_view to_string(Verdict verdict) noexcept;
std::string_view to_string(Decision decision) noexcept;
std::string_view to_string(Enforcement enforcement) noexcept;
std::string_view to_string(RuleMode mode) noexcept;  ///< "enforce" / "audit"

/// Inverses of to_string. Throw InvalidArgument naming the text and the accepted names.
Severity parse_severity(std::string_view text);
Phase parse_phase(std::string_view text);
Verdict parse_verdict(std::string_view text);
Decision parse_decision(std::string_view text);
Enforcement parse_enforcement(std::string_view text);
RuleMode parse_rule_mode(std::string_view text);

/// One failed (or unevaluable) rule check.
struct Violation {
  std::string rule_id;  ///< id of the rule in its rules file
  std::string kind;     ///< rule kind ("range", "plateau", ...)
  Phase phase = Phase::kPre;
  Severity severity = Severity::kError;
  /// The path looked at: the candidate that resolved, or every candidate joined by " | " when
  /// none did; for metric rules the qualified series name.
  std::string path;
  std::string message;    ///< one line, for people
  nlohmann::json actual;  ///< the value found (null when missing); NaN/Inf as strings
  std::string expected;   ///< the condition the value had to meet, e.g. "in [0.0001, 0.1]"
  /// True when the rule could not be evaluated (value missing, wrong type, no store for a
  /// baseline, no series to replay). Such a rule counts as violated with its own severity.
  bool not_evaluable = false;
  std::optional<std::int64_t> step;  ///< during training: the step/epoch index that triggered
  Decision decision = Decision::kContinue;  ///< during training: what the rule asked for
  RuleMode mode = RuleMode::kEnforce;       ///< kAudit: reported only (not counted)
  std::optional<WaiverNote> waiver;         ///< set when a waiver in force covers it

  /// True when the violation counts in the score and the verdict: an enforced rule's, not
  /// waived.
  bool counts() const noexcept { return mode == RuleMode::kEnforce && !waiver; }
};

/// Number of violations per severity (kOff never occurs).
struct SeverityCounts {
  int info = 0;
  int warning = 0;
  int error = 0;
  int total() const noexcept { return info + warning + error; }
  int of(Severity severity) const noexcept;
};

/// The result of evaluating a rule set against a run. Plain value type.
struct Report {
  std::string run_id;         ///< RunInfo::id of the evaluated run ("" for an unstored run)
  std::string run_name;       ///< RunInfo::name
  std::string rules_name;     ///< RuleSet::name()
  std::string rules_version;  ///< RuleSet::version() ("" when the file has none)
  std::string rules_hash;     ///< RuleSet::hash(): FNV-1a 64 of the file bytes, 16 hex digits
  Phase phase = Phase::kAll;  ///< which phase(s) were evaluated
  Enforcement enforcement = Enforcement::kEnforce;
  std::vector<Violation> violations;  ///< in rule-file order (waived and audit ones included)
  SeverityCounts counts;              ///< of the violations that count (Violation::counts())
  int waived = 0;                     ///< violations covered by a waiver (not in `counts`)
  int audited = 0;                    ///< violations of audit-mode rules (not in `counts`)
  int rules_evaluated = 0;            ///< rules of the evaluated phase(s) with severity != off
  double passed_weight = 0.0;         ///< weight of the scored rules (warning/error) that passed
  double total_weight = 0.0;          ///< weight of all scored rules (warning/error)
  double score = 100.0;               ///< 0-100, see ScoringOptions
  Verdict verdict = Verdict::kPass;   ///< after enforcement (always PASS in warn_only)
  Verdict enforced_verdict = Verdict::kPass;  ///< what kEnforce would say
  tracker::Timestamp created_at = 0.0;        ///< when the report was made

  bool passed() const noexcept { return verdict == Verdict::kPass; }
};

/// JSON of a violation/report: keys as the field names; enums as their to_string names;
/// created_at as ISO-8601 text. from_json accepts what to_json writes (j.at: a missing key is
/// an error) and throws nlohmann::json::exception or InvalidArgument on malformed input.
void to_json(nlohmann::json& j, const WaiverNote& note);
void from_json(const nlohmann::json& j, WaiverNote& note);
void to_json(nlohmann::json& j, const Violation& violation);
void from_json(const nlohmann::json& j, Violation& violation);
void to_json(nlohmann::json& j, const SeverityCounts& counts);
void from_json(const nlohmann::json& j, SeverityCounts& counts);
void to_json(nlohmann::json& j, const Report& report);
void from_json(const nlohmann::json& j, Report& report);

}  // namespace vigil::rules
