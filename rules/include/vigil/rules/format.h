#pragma once

#include <string>
#include <string_view>

#include "vigil/rules/rule_set.h"
#include "vigil/rules/types.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace vigil::rules {

/// Options of the text renderings.
struct FormatOptions {
  bool color = false;  ///< ANSI colors for severities and the verdict; default off
};

/// Multi-line text of a report: header (run, rules name + hash, phase), violations grouped by
/// severity (error, warning, info) with path, actual and expected values, then counts, score
/// and verdict. Ends with a newline. Thread safety: pure function.
std::string format_report(const Report& report, const FormatOptions& options = {});

/// Multi-line table of a rule set (id, kind, phase, severity, when_missing, weight, target,
/// condition),
/// preceded by its name, hash, enforcement and scoring. Ends with a newline.
std::string format_rule_set(const RuleSet& rules, const FormatOptions& options = {});

/// Logs one violation as "vigil: rules 'RULES_NAME': RULE_ID (SEVERITY): MESSAGE" at the level
/// of its severity: error -> spdlog error, warning -> spdlog warn, info -> spdlog info. The one
/// place that maps severities to log levels. The first form logs through the spdlog logger
/// "vigil" (the host's if registered); the second through `logger`. Thread safety: safe
/// (spdlog loggers are).
void log_violation(const Violation& violation, std::string_view rules_name);
void log_violation(spdlog::logger& logger, const Violation& violation, std::string_view rules_name);

/// Short form of a JSON value for messages: numbers in their shortest exact form ("0.0001",
/// "80" for 80.0, "NaN"),
/// strings unquoted, null as "missing", arrays/objects as compact JSON.
std::string format_value(const nlohmann::json& value);

}  // namespace vigil::rules
