#include "validation_output.h"

#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <string>

#include <nlohmann/json.hpp>

#include "output.h"
#include "vigil/rules/format.h"
#include "vigil/rules/storage.h"
#include "vigil/tracker/text.h"

namespace vigil::cli {

namespace {

rules::FormatOptions format_options() {
  rules::FormatOptions options;
  // Colors only for people: a terminal, and not when NO_COLOR is set (no-color.org).
  const char* no_color = std::getenv("NO_COLOR");
  options.color = ::isatty(STDOUT_FILENO) && (no_color == nullptr || *no_color == '\0');
  return options;
}

/// A record whose report JSON does not parse (written by another tool or an older vigil):
/// show what the record itself holds.
void print_raw_record(std::ostream& out, const tracker::ValidationRecord& record) {
  using tracker::escape_for_terminal;
  out << "rules " << escape_for_terminal(record.rules_name) << " ("
      << escape_for_terminal(record.rules_hash) << "), phase " << escape_for_terminal(record.phase)
      << ", validated " << tracker::format_time(record.created_at) << '\n';
  if (record.violations.is_array()) {
    for (const nlohmann::json& violation : record.violations) {
      auto text = [&](const char* key) {
        return violation.contains(key) ? escape_for_terminal(json_scalar_text(violation[key]))
                                       : std::string("?");
      };
      out << "  " << text("severity") << "  " << text("rule_id") << ": " << text("message") << '\n';
    }
  }
  out << "score " << format_score(record.score) << ", verdict "
      << escape_for_terminal(record.verdict) << '\n';
}

}  // namespace

void print_report(std::ostream& out, const rules::Report& report) {
  out << rules::format_report(report, format_options());
}

void print_validation_record(std::ostream& out, const tracker::ValidationRecord& record) {
  rules::Report report;
  try {
    report = rules::report_from_record(record);
  } catch (const std::exception&) {
    print_raw_record(out, record);
    return;
  }
  print_report(out, report);
}

}  // namespace vigil::cli
