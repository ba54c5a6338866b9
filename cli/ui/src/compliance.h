#pragma once

// Compliance of a set of runs, judged by each run's latest validation: what the dashboard's
// Governance page shows (GET /api/governance/summary). Pure computation over records read by
// the caller; no store access.

#include <array>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "vigil/tracker/query.h"
#include "vigil/tracker/types.h"

namespace vigil::tracker {
class Store;
}  // namespace vigil::tracker

namespace vigil::ui {

/// Most runs listed per rule in a summary (the count of all of them is given beside).
inline constexpr std::size_t kMaxRuleRuns = 100;

/// The period runs are grouped by over time.
enum class Bucket { kDay, kWeek };

/// "day" / "week".
std::string_view to_string(Bucket bucket) noexcept;

/// The UTC start of the bucket holding `t`: its day, or the Monday of its (ISO) week.
tracker::Timestamp bucket_start(tracker::Timestamp t, Bucket bucket);

/// How one stored violation took part in its verdict.
enum class ViolationOutcome {
  kCounted,  ///< an enforced warning or error without a waiver: lowered the score
  kInfo,     ///< an enforced info note: costs nothing
  kWaived,   ///< covered by a waiver in force at validation time
  kAudited,  ///< of an audit-mode rule: reported only
};

/// "counted", "info", "waived", "audited".
std::string_view to_string(ViolationOutcome outcome) noexcept;

/// The outcome of a violation object as stored in ValidationRecord::violations (the rule
/// engine's rules::Violation JSON, judged by rules::Violation::counts()). An object the rule
/// engine cannot read (written by another tool, or before rule modes and waivers existed)
/// counts as enforced and unwaived, by its "severity" when it has one.
ViolationOutcome violation_outcome(const nlohmann::json& violation);

/// Validated runs and how many passed, with the sum of their scores.
struct ComplianceTally {
  int validated = 0;
  int passed = 0;
  double score_sum = 0.0;  ///< of the finite scores
  void add(bool pass, double score);
  double pass_rate() const { return validated == 0 ? 0.0 : 100.0 * passed / validated; }
  double mean_score() const { return validated == 0 ? 0.0 : score_sum / validated; }
  /// {"validated", "passed", "pass_rate", "mean_score"}; the rates null when none validated.
  nlohmann::json to_json() const;
};

/// The violations of one rule in the latest validations.
struct RuleCompliance {
  std::string rule_id;
  std::array<int, 4> outcomes{};     ///< violations by ViolationOutcome
  std::size_t run_count = 0;         ///< runs with a violation of the rule
  std::vector<nlohmann::json> runs;  ///< the first kMaxRuleRuns of them (see to_json)
  int count(ViolationOutcome outcome) const { return outcomes[static_cast<std::size_t>(outcome)]; }
};

/// Compliance of a selection of runs, each judged by its latest validation and counted in the
/// bucket of its creation time (UTC). The one place these counting rules live: the dashboard's
/// Governance page and `vigil report` both use it.
///
/// Thread safety: not thread-safe; one summary per request.
class ComplianceSummary {
 public:
  explicit ComplianceSummary(Bucket bucket) : bucket_(bucket) {}

  /// A run of the selection that was never validated (counted in runs() only).
  void add_unvalidated() { ++runs_; }
  /// A validated run and its latest validation record.
  void add(const tracker::RunInfo& run, const tracker::ValidationRecord& latest);

  int runs() const { return runs_; }
  const ComplianceTally& total() const { return total_; }
  /// By bucket start, oldest first.
  const std::map<tracker::Timestamp, ComplianceTally>& over_time() const { return over_time_; }
  /// Runs per score range [0,10), [10,20), ..., [90,100].
  const std::array<int, 10>& histogram() const { return histogram_; }
  /// Every rule violated, the most counted violations first (then by rule id).
  std::vector<RuleCompliance> rules() const;
  /// By experiment name.
  const std::map<std::string, ComplianceTally>& experiments() const { return experiments_; }

  /// {"runs", "validated", "passed", "pass_rate", "mean_score", "over_time": [{"start",
  /// "time", "validated", "passed", "pass_rate", "mean_score"}], "histogram": [{"from", "to",
  /// "runs"}], "rules": [{"rule_id", "counted", "info", "waived", "audited", "run_count",
  /// "runs": [{"id", "name", "experiment", "verdict", "score", "outcome"}]}], "experiments":
  /// [{"name", "validated", "passed", "pass_rate", "mean_score"}]}; see cli/ui/API.md.
  nlohmann::json to_json() const;

 private:
  void add_violations(const tracker::RunInfo& run, const tracker::ValidationRecord& latest);

  Bucket bucket_;
  int runs_ = 0;
  ComplianceTally total_;
  std::map<tracker::Timestamp, ComplianceTally> over_time_;
  std::array<int, 10> histogram_{};
  std::map<std::string, RuleCompliance> rules_;
  std::map<std::string, ComplianceTally> experiments_;
};

/// The latest validation of each of `runs`, element i being runs[i]'s: read in one query for
/// the runs with a verdict; nullopt for the others (never validated).
std::vector<std::optional<tracker::ValidationRecord>> latest_validations(
    const tracker::Store& store, const std::vector<tracker::RunInfo>& runs);

}  // namespace vigil::ui
