#include "compliance.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "vigil/error.h"
#include "vigil/rules/types.h"
#include "vigil/tracker/store.h"

namespace vigil::ui {
namespace {

constexpr double kSecondsPerDay = 86400.0;

std::size_t histogram_bin(double score) {
  if (!std::isfinite(score)) return 0;
  return std::min<std::size_t>(9, static_cast<std::size_t>(std::max(0.0, score) / 10.0));
}

// A finite JSON number, else null (a record written by another tool may hold anything).
nlohmann::json number_or_null(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

}  // namespace

std::string_view to_string(Bucket bucket) noexcept {
  return bucket == Bucket::kDay ? "day" : "week";
}

tracker::Timestamp bucket_start(tracker::Timestamp t, Bucket bucket) {
  const double day = std::floor(t / kSecondsPerDay);
  if (bucket == Bucket::kDay) return day * kSecondsPerDay;
  // 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays.
  const double weekday = std::fmod(std::fmod(day + 3.0, 7.0) + 7.0, 7.0);
  return (day - weekday) * kSecondsPerDay;
}

std::string_view to_string(ViolationOutcome outcome) noexcept {
  switch (outcome) {
    case ViolationOutcome::kCounted:
      return "counted";
    case ViolationOutcome::kInfo:
      return "info";
    case ViolationOutcome::kWaived:
      return "waived";
    case ViolationOutcome::kAudited:
      return "audited";
  }
  return "counted";
}

ViolationOutcome violation_outcome(const nlohmann::json& violation) {
  rules::Violation parsed;
  try {
    parsed = violation.get<rules::Violation>();
  } catch (const std::exception&) {  // not the rule engine's object: enforced, not waived
    parsed = rules::Violation{};
    const auto severity = violation.is_object() ? violation.find("severity") : violation.end();
    if (violation.is_object() && severity != violation.end() && severity->is_string()) {
      try {
        parsed.severity = rules::parse_severity(severity->get<std::string>());
      } catch (const vigil::Error&) {  // an unknown severity counts as an error
      }
    }
  }
  if (parsed.waiver) return ViolationOutcome::kWaived;
  if (parsed.mode == rules::RuleMode::kAudit) return ViolationOutcome::kAudited;
  return parsed.severity == rules::Severity::kInfo ? ViolationOutcome::kInfo
                                                   : ViolationOutcome::kCounted;
}

void ComplianceTally::add(bool pass, double score) {
  ++validated;
  passed += pass ? 1 : 0;
  if (std::isfinite(score)) score_sum += score;
}

nlohmann::json ComplianceTally::to_json() const {
  const bool any = validated > 0;
  return {{"validated", validated},
          {"passed", passed},
          {"pass_rate", any ? number_or_null(100.0 * passed / validated) : nullptr},
          {"mean_score", any ? number_or_null(score_sum / validated) : nullptr}};
}

void ComplianceSummary::add(const tracker::RunInfo& run, const tracker::ValidationRecord& latest) {
  ++runs_;
  const bool pass = latest.verdict == tracker::kPassVerdict;
  total_.add(pass, latest.score);
  over_time_[bucket_start(run.created_at, bucket_)].add(pass, latest.score);
  experiments_[run.experiment].add(pass, latest.score);
  ++histogram_[histogram_bin(latest.score)];
  add_violations(run, latest);
}

void ComplianceSummary::add_violations(const tracker::RunInfo& run,
                                       const tracker::ValidationRecord& latest) {
  if (!latest.violations.is_array()) return;
  // A run is listed once per rule, under the outcome that weighs most (counted first).
  std::map<std::string, ViolationOutcome> per_rule;
  for (const auto& violation : latest.violations) {
    if (!violation.is_object() || !violation.contains("rule_id") ||
        !violation.at("rule_id").is_string()) {
      continue;
    }
    const auto rule = violation.at("rule_id").get<std::string>();
    const auto outcome = violation_outcome(violation);
    RuleCompliance& tally = rules_[rule];
    tally.rule_id = rule;
    ++tally.outcomes[static_cast<std::size_t>(outcome)];
    auto [it, inserted] = per_rule.emplace(rule, outcome);
    if (!inserted) it->second = std::min(it->second, outcome);
  }
  for (const auto& [rule, outcome] : per_rule) {
    RuleCompliance& tally = rules_[rule];
    ++tally.run_count;
    if (tally.runs.size() >= kMaxRuleRuns) continue;
    tally.runs.push_back({{"id", run.id},
                          {"name", run.name},
                          {"experiment", run.experiment},
                          {"verdict", latest.verdict},
                          {"score", number_or_null(latest.score)},
                          {"outcome", to_string(outcome)}});
  }
}

std::vector<RuleCompliance> ComplianceSummary::rules() const {
  std::vector<RuleCompliance> list;
  for (const auto& [id, rule] : rules_) list.push_back(rule);
  std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
    return a.count(ViolationOutcome::kCounted) > b.count(ViolationOutcome::kCounted);
  });
  return list;
}

nlohmann::json ComplianceSummary::to_json() const {
  nlohmann::json out = total_.to_json();
  out["runs"] = runs_;
  auto& over_time = out["over_time"] = nlohmann::json::array();
  for (const auto& [start, tally] : over_time_) {
    auto point = tally.to_json();
    point["start"] = tracker::format_time(start).substr(0, 10);
    point["time"] = start;
    over_time.push_back(std::move(point));
  }
  auto& histogram = out["histogram"] = nlohmann::json::array();
  for (std::size_t i = 0; i < histogram_.size(); ++i) {
    histogram.push_back({{"from", 10 * i}, {"to", 10 * (i + 1)}, {"runs", histogram_[i]}});
  }
  auto& rule_list = out["rules"] = nlohmann::json::array();
  for (const auto& rule : rules()) {
    nlohmann::json entry = {
        {"rule_id", rule.rule_id}, {"run_count", rule.run_count}, {"runs", rule.runs}};
    for (auto outcome : {ViolationOutcome::kCounted, ViolationOutcome::kInfo,
                         ViolationOutcome::kWaived, ViolationOutcome::kAudited}) {
      entry[std::string(to_string(outcome))] = rule.count(outcome);
    }
    rule_list.push_back(std::move(entry));
  }
  auto& experiments = out["experiments"] = nlohmann::json::array();
  for (const auto& [name, tally] : experiments_) {
    auto entry = tally.to_json();
    entry["name"] = name;
    experiments.push_back(std::move(entry));
  }
  return out;
}

std::vector<std::optional<tracker::ValidationRecord>> latest_validations(
    const tracker::Store& store, const std::vector<tracker::RunInfo>& runs) {
  // A run's verdict is its latest validation's: only runs with one have a record to read.
  std::vector<std::string> validated;
  for (const tracker::RunInfo& run : runs) {
    if (run.verdict) validated.push_back(run.id);
  }
  std::vector<std::optional<tracker::ValidationRecord>> records =
      store.latest_validations(validated);
  std::vector<std::optional<tracker::ValidationRecord>> out(runs.size());
  std::size_t next = 0;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (runs[i].verdict) out[i] = std::move(records[next++]);
  }
  return out;
}

}  // namespace vigil::ui
