#pragma once

// Validation results for CI systems and pull requests: JUnit XML and Markdown.

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/rules/types.h"
#include "vigil/tracker/types.h"

namespace vigil::cli {

/// One validated run: the run and its fresh report.
struct ValidatedRun {
  tracker::RunInfo run;
  rules::Report report;
};

/// "NAME (ID8)", or "ID8" for a run without a name: how reports name a run.
std::string run_label(const tracker::RunInfo& run);

/// `text` for XML character data and attribute values: & < > " ' escaped, characters XML 1.0
/// forbids (control characters but tab, LF, CR) and invalid UTF-8 written as "\xNN".
std::string xml_escape(std::string_view text);

/// `text` for a Markdown table cell or line: Markdown and HTML specials backslash-escaped,
/// line breaks and control characters as "\xNN" (one line; no HTML reaches the page).
std::string markdown_escape(std::string_view text);

/// JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test reporters): <testsuites> with
/// tests/failures/errors counts, one <testsuite> per experiment, one <testcase> per run
/// (classname "vigil.EXPERIMENT", name "RUN_NAME (ID8)"), a <failure> for a FAIL verdict whose
/// text lists every counted violation; waived and audit-only violations in <system-out>.
void write_junit(std::ostream& out, const std::vector<ValidatedRun>& runs);

/// A Markdown summary for a pull-request comment: counts, a table (run, experiment, policy,
/// verdict, score, violations) and the violations of each failing run.
void write_markdown(std::ostream& out, const std::vector<ValidatedRun>& runs);

}  // namespace vigil::cli
