#include "ci_output.h"

#include <cstdio>
#include <map>

#include "output.h"
#include "vigil/rules/format.h"

namespace vigil::cli {
namespace {

std::string hex_escape(unsigned char c) {
  char buffer[8];
  std::snprintf(buffer, sizeof(buffer), "\\x%02x", c);
  return buffer;
}

// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is not one.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  const std::size_t n = c < 0x80           ? 1
                        : (c >> 5) == 0x6  ? 2
                        : (c >> 4) == 0xe  ? 3
                        : (c >> 3) == 0x1e ? 4
                                           : 0;
  if (n == 0 || i + n > text.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return 0;
  }
  return n;
}

std::string policy_label(const rules::Report& report) {
  return report.rules_name + (report.rules_version.empty() ? "" : " " + report.rules_version);
}

std::string violation_line(const rules::Violation& v) {
  std::string line =
      v.rule_id + " (" + std::string(rules::to_string(v.severity)) + "): " + v.message;
  if (v.waiver) {
    line += " [waived #" + std::to_string(v.waiver->id) + " by " + v.waiver->owner + ": " +
            v.waiver->reason + "]";
  }
  if (v.mode == rules::RuleMode::kAudit) line += " [audit only]";
  return line;
}

void write_testcase(std::ostream& out, const ValidatedRun& item) {
  const rules::Report& report = item.report;
  out << "    <testcase classname=\"" << xml_escape("vigil." + item.run.experiment) << "\" name=\""
      << xml_escape(run_label(item.run)) << "\" time=\"0\">\n";
  std::string counted;
  std::string other;
  for (const auto& v : report.violations)
    (v.counts() ? counted : other) += violation_line(v) + "\n";
  if (!report.passed()) {
    out << "      <failure type=\"FAIL\" message=\""
        << xml_escape("score " + format_score(report.score) + "/100 under " + policy_label(report) +
                      ": " + std::to_string(report.counts.error) + " errors, " +
                      std::to_string(report.counts.warning) + " warnings")
        << "\">" << xml_escape(counted) << "</failure>\n";
  }
  out << "      <system-out>"
      << xml_escape("verdict " + std::string(rules::to_string(report.verdict)) + ", score " +
                    format_score(report.score) + ", policy " + policy_label(report) + " (" +
                    report.rules_hash + ")\n" + (report.passed() ? counted : "") + other)
      << "</system-out>\n";
  out << "    </testcase>\n";
}

}  // namespace

std::string run_label(const tracker::RunInfo& run) {
  const std::string id = run.id.substr(0, 8);
  return run.name.empty() ? id : run.name + " (" + id + ")";
}

std::string xml_escape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t n = utf8_length(text, i);
    if (n == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      out += hex_escape(c);
      ++i;
      continue;
    }
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::string markdown_escape(std::string_view text) {
  static constexpr std::string_view kSpecials = "\\`*_{}[]()<>#+-.!|~&";
  std::string out;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      out += hex_escape(c);
    } else if (kSpecials.find(ch) != std::string_view::npos) {
      out += '\\';
      out += ch;
    } else {
      out += ch;
    }
  }
  return out;
}

void write_junit(std::ostream& out, const std::vector<ValidatedRun>& runs) {
  std::map<std::string, std::vector<const ValidatedRun*>> by_experiment;
  int failures = 0;
  for (const auto& item : runs) {
    by_experiment[item.run.experiment].push_back(&item);
    if (!item.report.passed()) ++failures;
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"vigil validate\" tests=\"" << runs.size() << "\" failures=\""
      << failures << "\" errors=\"0\" skipped=\"0\" time=\"0\">\n";
  for (const auto& [experiment, items] : by_experiment) {
    int suite_failures = 0;
    for (const auto* item : items) suite_failures += item->report.passed() ? 0 : 1;
    out << "  <testsuite name=\"" << xml_escape(experiment) << "\" tests=\"" << items.size()
        << "\" failures=\"" << suite_failures << "\" errors=\"0\" skipped=\"0\" time=\"0\" "
        << "timestamp=\"" << tracker::format_time(tracker::now()) << "\">\n";
    for (const auto* item : items) write_testcase(out, *item);
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
}

void write_markdown(std::ostream& out, const std::vector<ValidatedRun>& runs) {
  int failed = 0;
  for (const auto& item : runs) failed += item.report.passed() ? 0 : 1;
  out << "### vigil validate: " << (failed == 0 ? "PASS" : "FAIL") << "\n\n"
      << runs.size() << " runs validated: " << runs.size() - failed << " PASS, " << failed
      << " FAIL\n\n";
  out << "| Run | Experiment | Policy | Verdict | Score | Violations |\n"
      << "|---|---|---|---|---:|---|\n";
  for (const auto& item : runs) {
    const rules::Report& r = item.report;
    std::string violations = std::to_string(r.counts.error) + " errors, " +
                             std::to_string(r.counts.warning) + " warnings";
    if (r.waived > 0) violations += ", " + std::to_string(r.waived) + " waived";
    if (r.audited > 0) violations += ", " + std::to_string(r.audited) + " audit only";
    out << "| " << markdown_escape(run_label(item.run)) << " | "
        << markdown_escape(item.run.experiment) << " | " << markdown_escape(policy_label(r))
        << " | " << (r.passed() ? "✅ PASS" : "❌ FAIL") << " | " << format_score(r.score) << " | "
        << violations << " |\n";
  }
  for (const auto& item : runs) {
    if (item.report.violations.empty()) continue;
    out << "\n**" << markdown_escape(run_label(item.run)) << "**\n\n";
    for (const auto& v : item.report.violations)
      out << "- " << markdown_escape(violation_line(v)) << "\n";
  }
}

}  // namespace vigil::cli
