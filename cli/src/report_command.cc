// `vigil report`: a self-contained compliance report of the selected runs (HTML or Markdown).
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "compliance_report.h"
#include "errors.h"
#include "output.h"
#include "output_file.h"
#include "run_filter_options.h"
#include "store_access.h"
#include "vigil/tracker/store.h"
#include "vigil/tracker/text.h"

namespace vigil::cli {
namespace {

struct ReportOptions {
  RunFilterOptions filter;
  Format format = Format::kHtml;
  std::string output;  // empty = stdout
  std::string title = "vigil compliance report";
};

// The selection in words, for the report's subtitle.
std::string scope_text(const RunFilterOptions& f) {
  std::vector<std::string> parts;
  if (!f.experiment.empty()) parts.push_back("experiment " + f.experiment);
  if (!f.name.empty()) parts.push_back("name contains " + f.name);
  for (const auto& tag : f.tags) parts.push_back("tag " + tag);
  for (const auto& status : f.statuses) parts.push_back("status " + status);
  if (!f.since.empty()) parts.push_back("since " + f.since);
  if (!f.until.empty()) parts.push_back("until " + f.until);
  for (const auto& p : f.params) parts.push_back(p);
  for (const auto& m : f.metrics) parts.push_back(m);
  if (!f.verdict.empty()) parts.push_back("verdict " + f.verdict);
  if (f.limit != 0) parts.push_back("newest " + std::to_string(f.limit));
  return parts.empty() ? "all runs" : "runs: " + join(parts, ", ");
}

void run_report(const Context& context, const ReportOptions& options) {
  const tracker::RunFilter filter = options.filter.to_filter();
  tracker::Store store = open_store(context.store_uri, StoreAccess::kRead);
  if (!options.output.empty() && store.is_store_file(options.output)) {
    throw UsageError("--output '" + options.output + "' is the store " + store.uri() +
                     " or one of its files; choose another file");
  }
  ComplianceData data =
      gather_compliance(store, store.list_runs(filter), scope_text(options.filter));
  data.title = options.title;
  std::unique_ptr<OutputFile> file;
  if (!options.output.empty()) file = std::make_unique<OutputFile>(options.output);
  std::ostream& out = file ? file->stream() : std::cout;
  if (options.format == Format::kHtml) {
    write_html_report(out, data);
  } else {
    write_markdown_report(out, data);
  }
  out.flush();
  if (!out) throw vigil::Error("writing the report failed");
  if (!file) return;
  file->commit();
  std::cerr << "report of " << data.runs << " runs (" << data.validated << " validated) written to "
            << tracker::escape_for_terminal(options.output) << '\n';
}

}  // namespace

void add_report_command(CLI::App& app, Context* context) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* command =
      app.add_subcommand("report", "Write a compliance report of the selected runs");
  command->footer(
      "One self-contained file (HTML: inline CSS and SVG charts, no script, nothing fetched "
      "from the network): PASS rate and mean score per day, score distribution, counted "
      "violations per rule, the worst runs with their violations, the waivers in force and "
      "the policies used, from each run's latest validation (run 'vigil validate' first). The "
      "run filters are those of 'runs ls'.");
  add_run_filter_options(command, &options->filter);
  add_format_option(command, &options->format, {Format::kHtml, Format::kMarkdown});
  command->add_option("-o,--output", options->output, "Write to FILE (default: stdout)");
  command->add_option("--title", options->title, "Title of the report");
  command->callback([context, options] { run_report(*context, *options); });
}

}  // namespace vigil::cli
