#pragma once

// The compliance report of `vigil report`: what it shows (ComplianceData, gathered from a store)
// and its two renderings, a self-contained HTML page (inline CSS and SVG charts, no script, no
// network) and Markdown.

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "vigil/rules/types.h"
#include "vigil/tracker/governance.h"
#include "vigil/tracker/query.h"
#include "vigil/tracker/store.h"

namespace vigil::cli {

/// One day of compliance: runs created that day (UTC) with a validation.
struct ComplianceDay {
  std::string date;  ///< YYYY-MM-DD
  int validated = 0;
  int passed = 0;
  double score_sum = 0.0;
  double pass_rate() const { return validated == 0 ? 0.0 : 100.0 * passed / validated; }
  double mean_score() const { return validated == 0 ? 0.0 : score_sum / validated; }
};

/// A validated run with its latest report.
struct ReportedRun {
  tracker::RunInfo run;
  rules::Report report;
};

/// Everything the report shows.
struct ComplianceData {
  std::string title;  ///< "vigil compliance report"
  std::string scope;  ///< which runs (the filters, in words)
  tracker::Timestamp generated_at = 0.0;
  int runs = 0;       ///< runs selected
  int validated = 0;  ///< of those, with a validation
  int passed = 0;
  double mean_score = 0.0;                ///< over validated runs
  std::vector<ComplianceDay> days;        ///< oldest first
  std::array<int, 10> score_histogram{};  ///< [0,10), ..., [90,100]
  std::vector<std::pair<std::string, int>>
      violations_per_rule;               ///< counted warnings and errors, most first
  std::vector<ReportedRun> worst;        ///< FAIL or below 100, lowest scores first, at most 10
  std::vector<tracker::Waiver> waivers;  ///< in force now
  std::vector<tracker::PolicyRecord> policies;  ///< used by the latest validations
  std::map<std::string, int> policy_runs;       ///< hash -> runs judged by it
};

/// Reads `runs`' latest validations, the waivers in force and the policies used from `store`.
ComplianceData gather_compliance(const tracker::Store& store,
                                 const std::vector<tracker::RunInfo>& runs, std::string scope);

/// A whole HTML document (UTF-8), every stored text escaped.
void write_html_report(std::ostream& out, const ComplianceData& data);
/// The same sections in Markdown (charts as tables).
void write_markdown_report(std::ostream& out, const ComplianceData& data);

}  // namespace vigil::cli
