// `vigil validate`: evaluates stored runs against a rule set after the fact and stores each
// validation with its run.
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "choice_option.h"
#include "commands.h"
#include "output.h"
#include "run_filter_options.h"
#include "store_access.h"
#include "validation_output.h"
#include "vigil/rules/baseline.h"
#include "vigil/rules/evaluate.h"
#include "vigil/rules/rule_set.h"
#include "vigil/rules/storage.h"
#include "vigil/tracker/store.h"

namespace vigil::cli {

namespace {

/// Which outcome makes `vigil validate` exit 1.
enum class FailOn { kError, kWarning };

struct ValidateOptions {
  std::vector<std::string> runs;  // ids, prefixes or names; empty = every run the filters select
  RunFilterOptions filter;
  std::string rules_file;  // empty = the shipped default policy
  Format format = Format::kTable;
  FailOn fail_on = FailOn::kError;
};

bool fails_at(const rules::Report& report, FailOn level) {
  if (report.verdict == rules::Verdict::kFail) return true;
  return level == FailOn::kWarning && (report.counts.warning > 0 || report.counts.error > 0);
}

void run_validate(Context& context, const ValidateOptions& options) {
  tracker::RunFilter filter = options.filter.to_filter();
  rules::RuleSet rule_set = options.rules_file.empty()
                                ? rules::RuleSet::default_rules()
                                : rules::RuleSet::load_file(options.rules_file);
  tracker::Store store = open_store(context.store_uri, StoreAccess::kWrite);
  if (!options.runs.empty()) {
    // Resolve first so an unknown or ambiguous id is an error (exit 3), not an empty selection.
    for (const std::string& run : options.runs) filter.ids.push_back(store.resolve_run(run).id);
  } else if (filter.statuses.empty()) {
    // By default only runs that ended normally: others have no complete results to judge.
    filter.statuses.push_back(tracker::RunStatus::kFinished);
  }

  rules::EvaluationOptions evaluation;
  evaluation.store = &store;
  // Each experiment's PASS runs read once for every baseline rule, not once per run.
  rules::BaselineRuns baselines(store);
  evaluation.baselines = &baselines;
  int passed = 0;
  int failed = 0;
  int failing_at_level = 0;
  nlohmann::json reports = nlohmann::json::array();
  std::vector<tracker::RunInfo> runs = store.list_runs(filter);
  // Oldest first: a baseline rule compares a run with earlier PASS runs, so those must carry
  // their verdict under this rule set before the later run is judged.
  std::reverse(runs.begin(), runs.end());
  for (const tracker::RunInfo& run : runs) {
    rules::Report report = rules::evaluate(rule_set, run, evaluation);
    rules::store_report(store, report);
    baselines.record(run, report.verdict == rules::Verdict::kPass);
    (report.passed() ? passed : failed) += 1;
    if (fails_at(report, options.fail_on)) ++failing_at_level;
    if (options.format == Format::kJson) {
      reports.push_back(report);
    } else {
      print_report(std::cout, report);
      std::cout << '\n';
    }
  }
  int total = passed + failed;
  if (options.format == Format::kJson) {
    nlohmann::json document = {
        {"reports", reports},
        {"summary",
         {{"validated", total},
          {"pass", passed},
          {"fail", failed},
          {"fail_on", options.fail_on == FailOn::kError ? "error" : "warning"},
          {"failing", failing_at_level}}}};
    std::cout << document.dump(2) << '\n';
  } else {
    std::cout << "validated " << total << (total == 1 ? " run: " : " runs: ") << passed << " PASS, "
              << failed << " FAIL";
    if (options.fail_on == FailOn::kWarning && failing_at_level > failed) {
      std::cout << " (" << failing_at_level - failed << " PASS with warnings)";
    }
    std::cout << '\n';
  }
  if (failing_at_level > 0) context.exit_code = 1;
}

}  // namespace

void add_validate_command(CLI::App& app, Context* context) {
  auto options = std::make_shared<ValidateOptions>();
  CLI::App* command =
      app.add_subcommand("validate", "Validate stored runs against a rule set and store verdicts");
  command->footer(
      "Evaluates every rule (pre, during via the stored series, post) against each selected "
      "run, stores the validation with the run (tags validated + PASS/FAIL, replacing earlier "
      "verdict tags) and prints a report per run, then 'validated N runs: X PASS, Y FAIL'. Runs "
      "are validated oldest first, so baseline rules see the fresh verdicts of earlier runs.\n"
      "Selects every finished run unless RUN arguments or --status are given; the run filters "
      "are those of 'runs ls'.\n"
      "Exit status: 0 when no run fails at the --fail-on level, 1 when one does, 2 usage "
      "error, 3 unknown or ambiguous RUN.");
  command->add_option("runs", options->runs,
                      "Run ids, unique id prefixes or unique run names (default: all)");
  add_run_filter_options(command, &options->filter);
  command->add_option("--rules", options->rules_file,
                      "Rules file (JSON); default: the shipped default policy");
  add_format_option(command, &options->format, {Format::kTable, Format::kJson});
  add_choice_option<FailOn>(command, "--fail-on", &options->fail_on,
                            {{"error", FailOn::kError}, {"warning", FailOn::kWarning}},
                            "Exit 1 when a run has a FAIL verdict (error) or any warning or "
                            "error violation (warning)");
  command->callback([context, options] { run_validate(*context, *options); });
}

}  // namespace vigil::cli
