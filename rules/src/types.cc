#include "vigil/rules/types.h"

#include <array>
#include <string>
#include <utility>

#include "vigil/rules/errors.h"
#include "vigil/tracker/errors.h"

namespace vigil::rules {
namespace {

template <typename Enum, std::size_t N>
Enum parse_enum(std::string_view text,
                const std::array<std::pair<Enum, std::string_view>, N>& names,
                std::string_view what) {
  std::string accepted;
  for (const auto& [value, name] : names) {
    if (name == text) return value;
    if (!accepted.empty()) accepted += ", ";
    accepted += name;
  }
  throw InvalidArgument("invalid " + std::string(what) + " '" + std::string(text) +
                        "': expected one of " + accepted);
}

template <typename Enum, std::size_t N>
std::string_view name_of(Enum value,
                         const std::array<std::pair<Enum, std::string_view>, N>& names) noexcept {
  for (const auto& [candidate, name] : names) {
    if (candidate == value) return name;
  }
  return "unknown";
}

constexpr std::array<std::pair<Severity, std::string_view>, 4> kSeverityNames{{
    {Severity::kOff, "off"},
    {Severity::kInfo, "info"},
    {Severity::kWarning, "warning"},
    {Severity::kError, "error"},
}};
constexpr std::array<std::pair<Phase, std::string_view>, 4> kPhaseNames{{
    {Phase::kPre, "pre"},
    {Phase::kDuring, "during"},
    {Phase::kPost, "post"},
    {Phase::kAll, "all"},
}};
constexpr std::array<std::pair<Verdict, std::string_view>, 2> kVerdictNames{{
    {Verdict::kPass, "PASS"},
    {Verdict::kFail, "FAIL"},
}};
constexpr std::array<std::pair<Decision, std::string_view>, 3> kDecisionNames{{
    {Decision::kContinue, "continue"},
    {Decision::kStopGracefully, "stop_gracefully"},
    {Decision::kStopNow, "stop_now"},
}};
constexpr std::array<std::pair<Enforcement, std::string_view>, 2> kEnforcementNames{{
    {Enforcement::kEnforce, "enforce"},
    {Enforcement::kWarnOnly, "warn_only"},
}};

constexpr std::array<std::pair<RuleMode, std::string_view>, 2> kRuleModeNames{{
    {RuleMode::kEnforce, "enforce"},
    {RuleMode::kAudit, "audit"},
}};

tracker::Timestamp parse_report_time(const std::string& text, const char* what) {
  try {
    return tracker::parse_time(text);
  } catch (const tracker::InvalidArgument& e) {
    throw InvalidArgument(std::string(what) + ": " + e.what());
  }
}

}  // namespace

std::string_view to_string(Severity severity) noexcept { return name_of(severity, kSeverityNames); }
std::string_view to_string(Phase phase) noexcept { return name_of(phase, kPhaseNames); }
std::string_view to_string(Verdict verdict) noexcept { return name_of(verdict, kVerdictNames); }
std::string_view to_string(Decision decision) noexcept { return name_of(decision, kDecisionNames); }
std::string_view to_string(RuleMode mode) noexcept { return name_of(mode, kRuleModeNames); }

RuleMode parse_rule_mode(std::string_view text) {
  return parse_enum(text, kRuleModeNames, "rule mode");
}

std::string_view to_string(Enforcement enforcement) noexcept {
  return name_of(enforcement, kEnforcementNames);
}

Severity parse_severity(std::string_view text) {
  return parse_enum(text, kSeverityNames, "severity");
}
Phase parse_phase(std::string_view text) { return parse_enum(text, kPhaseNames, "phase"); }
Verdict parse_verdict(std::string_view text) { return parse_enum(text, kVerdictNames, "verdict"); }
Decision parse_decision(std::string_view text) {
  return parse_enum(text, kDecisionNames, "decision");
}
Enforcement parse_enforcement(std::string_view text) {
  return parse_enum(text, kEnforcementNames, "enforcement");
}

int SeverityCounts::of(Severity severity) const noexcept {
  switch (severity) {
    case Severity::kInfo:
      return info;
    case Severity::kWarning:
      return warning;
    case Severity::kError:
      return error;
    case Severity::kOff:
      break;
  }
  return 0;
}

void to_json(nlohmann::json& j, const Violation& violation) {
  j = nlohmann::json{
      {"rule_id", violation.rule_id},
      {"kind", violation.kind},
      {"phase", to_string(violation.phase)},
      {"severity", to_string(violation.severity)},
      {"path", violation.path},
      {"message", violation.message},
      {"actual", violation.actual},
      {"expected", violation.expected},
      {"not_evaluable", violation.not_evaluable},
      {"step", violation.step ? nlohmann::json(*violation.step) : nlohmann::json(nullptr)},
      {"decision", to_string(violation.decision)},
      {"enforcement", to_string(violation.mode)},
      {"waiver", violation.waiver ? nlohmann::json(*violation.waiver) : nlohmann::json(nullptr)},
  };
}

void to_json(nlohmann::json& j, const WaiverNote& note) {
  j = nlohmann::json{
      {"id", note.id},
      {"reason", note.reason},
      {"owner", note.owner},
      {"until",
       note.until ? nlohmann::json(tracker::format_time(*note.until)) : nlohmann::json(nullptr)},
      {"experiment_wide", note.experiment_wide},
  };
}

void from_json(const nlohmann::json& j, WaiverNote& note) {
  note.id = j.at("id").get<std::int64_t>();
  note.reason = j.at("reason").get<std::string>();
  note.owner = j.at("owner").get<std::string>();
  const auto& until = j.at("until");
  note.until.reset();
  if (!until.is_null()) note.until = parse_report_time(until.get<std::string>(), "waiver until");
  note.experiment_wide = j.at("experiment_wide").get<bool>();
}

void from_json(const nlohmann::json& j, Violation& violation) {
  violation.rule_id = j.at("rule_id").get<std::string>();
  violation.kind = j.at("kind").get<std::string>();
  violation.phase = parse_phase(j.at("phase").get<std::string>());
  violation.severity = parse_severity(j.at("severity").get<std::string>());
  violation.path = j.at("path").get<std::string>();
  violation.message = j.at("message").get<std::string>();
  violation.actual = j.at("actual");
  violation.expected = j.at("expected").get<std::string>();
  violation.not_evaluable = j.at("not_evaluable").get<bool>();
  const auto& step = j.at("step");
  violation.step =
      step.is_null() ? std::nullopt : std::optional<std::int64_t>(step.get<std::int64_t>());
  violation.decision = parse_decision(j.at("decision").get<std::string>());
  // Reports stored before rule modes and waivers (issue 12) lack these two keys.
  violation.mode = parse_rule_mode(j.value("enforcement", std::string("enforce")));
  violation.waiver.reset();
  if (auto it = j.find("waiver"); it != j.end() && !it->is_null()) {
    violation.waiver = it->get<WaiverNote>();
  }
}

void to_json(nlohmann::json& j, const SeverityCounts& counts) {
  j = nlohmann::json{{"info", counts.info}, {"warning", counts.warning}, {"error", counts.error}};
}

void from_json(const nlohmann::json& j, SeverityCounts& counts) {
  counts.info = j.at("info").get<int>();
  counts.warning = j.at("warning").get<int>();
  counts.error = j.at("error").get<int>();
}

void to_json(nlohmann::json& j, const Report& report) {
  j = nlohmann::json{
      {"run_id", report.run_id},
      {"run_name", report.run_name},
      {"rules_name", report.rules_name},
      {"rules_version", report.rules_version},
      {"rules_hash", report.rules_hash},
      {"phase", to_string(report.phase)},
      {"enforcement", to_string(report.enforcement)},
      {"violations", report.violations},
      {"counts", report.counts},
      {"waived", report.waived},
      {"audited", report.audited},
      {"rules_evaluated", report.rules_evaluated},
      {"passed_weight", report.passed_weight},
      {"total_weight", report.total_weight},
      {"score", report.score},
      {"verdict", to_string(report.verdict)},
      {"enforced_verdict", to_string(report.enforced_verdict)},
      {"created_at", tracker::format_time(report.created_at)},
  };
}

void from_json(const nlohmann::json& j, Report& report) {
  report.run_id = j.at("run_id").get<std::string>();
  report.run_name = j.at("run_name").get<std::string>();
  report.rules_name = j.at("rules_name").get<std::string>();
  report.rules_hash = j.at("rules_hash").get<std::string>();
  report.phase = parse_phase(j.at("phase").get<std::string>());
  report.enforcement = parse_enforcement(j.at("enforcement").get<std::string>());
  report.violations = j.at("violations").get<std::vector<Violation>>();
  report.counts = j.at("counts").get<SeverityCounts>();
  // Absent from reports stored before issue 12.
  report.rules_version = j.value("rules_version", std::string());
  report.waived = j.value("waived", 0);
  report.audited = j.value("audited", 0);
  report.rules_evaluated = j.at("rules_evaluated").get<int>();
  report.passed_weight = j.at("passed_weight").get<double>();
  report.total_weight = j.at("total_weight").get<double>();
  report.score = j.at("score").get<double>();
  report.verdict = parse_verdict(j.at("verdict").get<std::string>());
  report.enforced_verdict = parse_verdict(j.at("enforced_verdict").get<std::string>());
  report.created_at = parse_report_time(j.at("created_at").get<std::string>(), "report created_at");
}

}  // namespace vigil::rules
