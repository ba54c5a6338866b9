#include "vigil/rules/format.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "detail.h"
#include "vigil/tracker/text.h"

namespace vigil::rules {
namespace {

constexpr const char* kReset = "\033[0m";
constexpr const char* kRed = "\033[31m";
constexpr const char* kYellow = "\033[33m";
constexpr const char* kCyan = "\033[36m";
constexpr const char* kGreen = "\033[32m";
constexpr const char* kBold = "\033[1m";

std::string paint(const FormatOptions& options, const char* color, const std::string& text) {
  return options.color ? std::string(color) + text + kReset : text;
}

const char* severity_color(Severity severity) {
  switch (severity) {
    case Severity::kError:
      return kRed;
    case Severity::kWarning:
      return kYellow;
    default:
      return kCyan;
  }
}

std::string score_text(double score) {
  std::ostringstream out;
  if (score == std::floor(score)) {
    out << static_cast<long long>(score);
  } else {
    out.precision(1);
    out << std::fixed << score;
  }
  return out.str();
}

// Stored and user-written strings (run names, messages, rule ids) as terminal text: this
// output is for people, and none of it may carry escapes of its own.
std::string terminal_text(std::string_view value) { return tracker::escape_for_terminal(value); }

std::string plural(int n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

void log_violation(const Violation& violation, std::string_view rules_name) {
  log_violation(*detail::logger(), violation, rules_name);
}

void log_violation(spdlog::logger& logger, const Violation& violation,
                   std::string_view rules_name) {
  const auto level = violation.severity == Severity::kError     ? spdlog::level::err
                     : violation.severity == Severity::kWarning ? spdlog::level::warn
                                                                : spdlog::level::info;
  logger.log(level, "vigil: rules '{}': {} ({}): {}", rules_name, violation.rule_id,
             to_string(violation.severity), violation.message);
}

std::string format_value(const nlohmann::json& value) {
  if (value.is_null()) return "missing";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) return detail::number_text(value.get<double>());  // 80, not 80.0
  return value.dump();
}

namespace {

// One violation: rule, kind and phase, message; then path, values and how it is handled.
void write_violation(std::ostream& out, const Violation& v, const FormatOptions& options) {
  out << "  " << paint(options, kBold, terminal_text(v.rule_id)) << " [" << terminal_text(v.kind)
      << ", " << to_string(v.phase) << "]: " << terminal_text(v.message) << "\n";
  out << "      path: " << terminal_text(v.path)
      << "  actual: " << terminal_text(format_value(v.actual));
  if (!v.expected.empty()) out << "  expected: " << terminal_text(v.expected);
  if (v.not_evaluable) out << "  (not evaluable)";
  if (v.step) out << "  at: " << *v.step;
  if (v.decision != Decision::kContinue) out << "  decision: " << to_string(v.decision);
  out << "\n";
  if (v.waiver) {
    out << "      waived #" << v.waiver->id << (v.waiver->experiment_wide ? " (experiment)" : "")
        << " by " << terminal_text(v.waiver->owner) << " until "
        << (v.waiver->until ? tracker::format_time(*v.waiver->until) : std::string("revoked"))
        << ": " << terminal_text(v.waiver->reason) << "\n";
  }
}

}  // namespace

std::string format_report(const Report& report, const FormatOptions& options) {
  std::ostringstream out;
  out << "Run "
      << (report.run_id.empty() ? std::string("(not stored)") : report.run_id.substr(0, 8));
  if (!report.run_name.empty()) out << " \"" << terminal_text(report.run_name) << "\"";
  out << " against rules '" << terminal_text(report.rules_name) << "'";
  if (!report.rules_version.empty()) out << " " << terminal_text(report.rules_version);
  out << " (" << terminal_text(report.rules_hash) << "), phase " << to_string(report.phase);
  if (report.enforcement == Enforcement::kWarnOnly) out << ", warn_only";
  out << "\n";

  constexpr std::array<std::pair<Severity, const char*>, 3> kGroups{{
      {Severity::kError, "Errors"},
      {Severity::kWarning, "Warnings"},
      {Severity::kInfo, "Info"},
  }};
  for (const auto& [severity, title] : kGroups) {
    const int count = report.counts.of(severity);
    if (count == 0) continue;
    out << "\n"
        << paint(options, severity_color(severity), std::string(title)) << " (" << count << "):\n";
    for (const auto& v : report.violations) {
      if (v.severity == severity && v.counts()) write_violation(out, v, options);
    }
  }
  if (report.waived > 0) {
    out << "\n" << paint(options, kBold, "Waived") << " (" << report.waived << ", not counted):\n";
    for (const auto& v : report.violations) {
      if (v.waiver && v.mode == RuleMode::kEnforce) write_violation(out, v, options);
    }
  }
  if (report.audited > 0) {
    out << "\n"
        << paint(options, kBold, "Audit only") << " (" << report.audited << ", not enforced):\n";
    for (const auto& v : report.violations) {
      if (v.mode == RuleMode::kAudit) write_violation(out, v, options);
    }
  }
  if (report.violations.empty()) out << "\nNo violations.\n";

  out << "\nScore: " << score_text(report.score) << "/100 (" << plural(report.counts.error, "error")
      << ", " << plural(report.counts.warning, "warning") << ", " << report.counts.info << " info; "
      << plural(report.rules_evaluated, "rule") << " checked";
  if (report.waived > 0) out << "; " << report.waived << " waived";
  if (report.audited > 0) out << "; " << report.audited << " audit only";
  out << ")\n";
  const bool pass = report.verdict == Verdict::kPass;
  out << "Verdict: "
      << paint(options, pass ? kGreen : kRed, std::string(to_string(report.verdict)));
  if (report.verdict != report.enforced_verdict) {
    out << " (warn_only; enforce would give " << to_string(report.enforced_verdict) << ")";
  }
  out << "\n";
  return out.str();
}

std::string format_rule_set(const RuleSet& rules, const FormatOptions& options) {
  std::ostringstream out;
  out << "Rules '" << terminal_text(rules.name()) << "'";
  if (!rules.version().empty()) out << " version " << terminal_text(rules.version());
  out << " (" << rules.hash() << ") from " << terminal_text(rules.source()) << "\n";
  if (!rules.experiments().empty()) {
    std::string patterns;
    for (const auto& p : rules.experiments()) patterns += (patterns.empty() ? "" : ", ") + p;
    out << "Governs experiments: " << terminal_text(patterns) << "\n";
  }
  if (!rules.description().empty()) out << terminal_text(rules.description()) << "\n";
  const auto& scoring = rules.scoring();
  out << "Enforcement: " << to_string(rules.enforcement())
      << "; scoring: " << to_string(scoring.model);
  if (scoring.model == ScoringModel::kPenalty) {
    out << " (error " << detail::number_text(scoring.error_penalty) << ", warning "
        << detail::number_text(scoring.warning_penalty) << ", info "
        << detail::number_text(scoring.info_penalty) << ")";
  }
  if (scoring.min_score) out << "; min score " << detail::number_text(*scoring.min_score);
  out << "\n\n";

  std::vector<std::array<std::string, 9>> rows;
  rows.push_back(
      {"ID", "KIND", "PHASE", "SEVERITY", "MODE", "MISSING", "WEIGHT", "TARGET", "CONDITION"});
  for (const auto& rule : rules.rules()) {
    const auto& info = rule->info();
    const std::string missing = info.kind == "required" ? "-"  // absence is its failure
                                : info.when_missing == Severity::kOff
                                    ? "skip"
                                    : std::string(to_string(info.when_missing));
    rows.push_back({terminal_text(info.id), terminal_text(info.kind),
                    std::string(to_string(rule->phase())), std::string(to_string(info.severity)),
                    std::string(to_string(info.mode)), missing, detail::number_text(info.weight),
                    terminal_text(rule->target()), terminal_text(rule->condition())});
  }
  std::array<std::size_t, 9> widths{};
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (std::size_t c = 0; c < rows[r].size(); ++c) {
      std::string cell = rows[r][c];
      if (c + 1 < rows[r].size()) cell.resize(widths[c] + 2, ' ');
      line += cell;
    }
    out << (r == 0 ? paint(options, kBold, line) : line) << "\n";
  }
  if (rules.rules().empty()) out << "(no rules)\n";
  return out.str();
}

}  // namespace vigil::rules
