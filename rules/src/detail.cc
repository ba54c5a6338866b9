#include "detail.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "vigil/rules/errors.h"
#include "vigil/rules/evaluate.h"
#include "vigil/tracker/errors.h"

namespace vigil::rules::detail {

std::shared_ptr<spdlog::logger> logger() {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  if (auto existing = spdlog::get("vigil")) return existing;
  try {
    return spdlog::stderr_color_mt("vigil");
  } catch (const spdlog::spdlog_ex&) {  // registered meanwhile by another component
    return spdlog::get("vigil");
  }
}

nlohmann::json number_json(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  return value;
}

std::optional<double> as_number(const nlohmann::json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (text == "NaN") return std::nan("");
    if (text == "Infinity") return HUGE_VAL;
    if (text == "-Infinity") return -HUGE_VAL;
  }
  return std::nullopt;
}

std::string number_text(double value) {
  if (!std::isfinite(value)) return number_json(value).get<std::string>();
  if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));  // "10", not "10.0"
  }
  return nlohmann::json(value).dump();  // shortest round-trip form
}

std::string describe_type(const nlohmann::json& value) {
  std::string text = value.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  switch (value.type()) {
    case nlohmann::json::value_t::string:
      return "a string (" + text + ")";
    case nlohmann::json::value_t::boolean:
      return "a boolean (" + text + ")";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return "a number (" + text + ")";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::null:
      return "null";
    default:
      return "a " + std::string(value.type_name());
  }
}

std::string normalize_series(std::string_view qualified_name) {
  try {
    return tracker::SeriesKey::parse(qualified_name).qualified_name();
  } catch (const tracker::InvalidArgument& e) {
    throw InvalidArgument(e.what());
  }
}

const tracker::SeriesSummary* find_series(const tracker::RunInfo& run, std::string_view name) {
  for (const auto& summary : run.metrics) {
    if (summary.key.qualified_name() == name) return &summary;
  }
  return nullptr;
}

bool is_series_pattern(std::string_view metric) noexcept {
  return metric.find('*') != std::string_view::npos;
}

bool series_matches(std::string_view pattern, std::string_view name) noexcept {
  // Iterative glob with backtracking to the last '*': linear in practice, no recursion.
  std::size_t p = 0;
  std::size_t n = 0;
  std::size_t star = std::string_view::npos;
  std::size_t resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool matches_any(const std::vector<std::string>& patterns, std::string_view name) noexcept {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& pattern) { return series_matches(pattern, name); });
}

std::vector<std::string> replay_series(const tracker::RunInfo& run,
                                       const std::vector<std::string>& metrics) {
  std::vector<std::string> out;
  auto add = [&](std::string name) {
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  };
  for (const auto& metric : metrics) {
    if (!is_series_pattern(metric)) {
      add(metric);
      continue;
    }
    for (const auto& summary : run.metrics) {
      std::string name = summary.key.qualified_name();
      if (series_matches(metric, name)) add(std::move(name));
    }
  }
  return out;
}

void finalize(Report& report, const RuleSet& rules) {
  report.counts = {};
  report.waived = 0;
  report.audited = 0;
  for (const auto& violation : report.violations) {
    if (violation.mode == RuleMode::kAudit) {
      ++report.audited;
      continue;
    }
    if (violation.waiver) {
      ++report.waived;
      continue;
    }
    switch (violation.severity) {
      case Severity::kInfo:
        ++report.counts.info;
        break;
      case Severity::kWarning:
        ++report.counts.warning;
        break;
      case Severity::kError:
        ++report.counts.error;
        break;
      case Severity::kOff:
        break;
    }
  }
  const auto& scoring = rules.scoring();
  report.score = compute_score(scoring, report.counts, report.passed_weight, report.total_weight);
  const bool fails =
      report.counts.error > 0 || (scoring.min_score && report.score < *scoring.min_score);
  report.enforced_verdict = fails ? Verdict::kFail : Verdict::kPass;
  report.enforcement = rules.enforcement();
  report.verdict =
      report.enforcement == Enforcement::kWarnOnly ? Verdict::kPass : report.enforced_verdict;
  report.rules_name = rules.name();
  report.rules_version = rules.version();
  report.rules_hash = rules.hash();
}

Severity outcome_severity(const Rule& rule, const Outcome& outcome) noexcept {
  if (outcome.severity) return *outcome.severity;
  return outcome.status == Outcome::Status::kMissing ? rule.info().when_missing
                                                     : rule.info().severity;
}

Violation make_violation(const Rule& rule, Outcome outcome) {
  Violation v;
  v.rule_id = rule.info().id;
  v.kind = rule.info().kind;
  v.phase = rule.phase();
  v.severity = outcome_severity(rule, outcome);
  v.path = std::move(outcome.path);
  v.message = std::move(outcome.message);
  v.actual = std::move(outcome.actual);
  v.expected = std::move(outcome.expected);
  v.not_evaluable = outcome.status == Outcome::Status::kNotEvaluable ||
                    outcome.status == Outcome::Status::kMissing;
  v.step = outcome.step;
  v.mode = rule.info().mode;
  // An audit rule reports; it never asks the loop to stop.
  v.decision = rule.phase() == Phase::kDuring && v.mode == RuleMode::kEnforce ? rule.stop_decision()
                                                                              : Decision::kContinue;
  return v;
}

}  // namespace vigil::rules::detail
