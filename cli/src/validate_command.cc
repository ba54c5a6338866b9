// `vigil validate`: evaluates stored runs against a rule set after the fact and stores each
// validation with its run.
#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "choice_option.h"
#include "ci_output.h"
#include "commands.h"
#include "errors.h"
#include "output.h"
#include "run_filter_options.h"
#include "store_access.h"
#include "validation_output.h"
#include "vigil/rules/baseline.h"
#include "vigil/rules/evaluate.h"
#include "vigil/rules/policy.h"
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
  std::string rules_file;  // empty = the policy governing each run's experiment
  std::string policy_dir;  // empty = $VIGIL_POLICY_DIR (then none: the default policy)
  std::string baseline;    // "", "best" or a run
  Format format = Format::kTable;
  FailOn fail_on = FailOn::kError;
};

bool fails_at(const rules::Report& report, FailOn level) {
  if (report.verdict == rules::Verdict::kFail) return true;
  return level == FailOn::kWarning && (report.counts.warning > 0 || report.counts.error > 0);
}

// The policy of each run: --rules for all, else the one bound to the run's experiment (read
// once per experiment).
class PolicyChoice {
 public:
  explicit PolicyChoice(const ValidateOptions& options)
      : directory_(rules::resolve_policy_dir(options.policy_dir)) {
    if (!options.rules_file.empty()) fixed_ = rules::RuleSet::load_file(options.rules_file);
  }
  const rules::RuleSet& for_run(const tracker::RunInfo& run) {
    if (fixed_) return *fixed_;
    auto it = by_experiment_.find(run.experiment);
    if (it == by_experiment_.end()) {
      it = by_experiment_
               .emplace(run.experiment, rules::policy_for_experiment(run.experiment, directory_))
               .first;
    }
    return it->second;
  }

 private:
  std::string directory_;
  std::optional<rules::RuleSet> fixed_;
  std::map<std::string, rules::RuleSet> by_experiment_;
};

bool has_baseline_rule(const rules::RuleSet& rule_set) {
  const auto& all = rule_set.rules();
  return std::any_of(all.begin(), all.end(), [](const auto& rule) {
    return rule->info().kind == "baseline" && rule->info().severity != rules::Severity::kOff;
  });
}

// The runs to validate, oldest first: a baseline rule compares a run with earlier PASS runs,
// so those must carry their verdict under this rule set before the later run is judged.
std::vector<tracker::RunInfo> select_runs(tracker::Store& store, const ValidateOptions& options,
                                          const std::optional<tracker::RunInfo>& baseline) {
  tracker::RunFilter filter = options.filter.to_filter();
  if (!options.runs.empty()) {
    // Resolve first so an unknown or ambiguous id is an error (exit 3), not an empty selection.
    for (const std::string& run : options.runs) filter.ids.push_back(store.resolve_run(run).id);
  } else if (filter.statuses.empty()) {
    // By default only runs that ended normally: others have no complete results to judge.
    filter.statuses.push_back(tracker::RunStatus::kFinished);
  }
  std::vector<tracker::RunInfo> runs = store.list_runs(filter);
  if (baseline) {  // the baseline is what the others are compared with, not a candidate
    runs.erase(std::remove_if(runs.begin(), runs.end(),
                              [&](const tracker::RunInfo& run) { return run.id == baseline->id; }),
               runs.end());
  }
  std::reverse(runs.begin(), runs.end());
  return runs;
}

void print_summary(const std::vector<ValidatedRun>& validated, const ValidateOptions& options,
                   int failing_at_level) {
  int passed = 0;
  nlohmann::json reports = nlohmann::json::array();
  for (const auto& item : validated) {
    passed += item.report.passed() ? 1 : 0;
    reports.push_back(item.report);
  }
  const int total = static_cast<int>(validated.size());
  const int failed = total - passed;
  switch (options.format) {
    case Format::kJunit:
      write_junit(std::cout, validated);
      return;
    case Format::kMarkdown:
      write_markdown(std::cout, validated);
      return;
    case Format::kJson:
      std::cout << nlohmann::json{{"reports", reports},
                                  {"summary",
                                   {{"validated", total},
                                    {"pass", passed},
                                    {"fail", failed},
                                    {"fail_on",
                                     options.fail_on == FailOn::kError ? "error" : "warning"},
                                    {"failing", failing_at_level}}}}
                       .dump(2)
                << '\n';
      return;
    default:
      std::cout << "validated " << total << (total == 1 ? " run: " : " runs: ") << passed
                << " PASS, " << failed << " FAIL";
      if (options.fail_on == FailOn::kWarning && failing_at_level > failed) {
        std::cout << " (" << failing_at_level - failed << " PASS with warnings)";
      }
      std::cout << '\n';
  }
}

void run_validate(Context& context, const ValidateOptions& options) {
  PolicyChoice policies(options);
  tracker::Store store = open_store(context.store_uri, StoreAccess::kWrite);
  std::optional<tracker::RunInfo> baseline;
  rules::EvaluationOptions evaluation;
  evaluation.store = &store;
  if (options.baseline == "best") {
    evaluation.baseline_any_time = true;
  } else if (!options.baseline.empty()) {
    baseline = store.get_run(store.resolve_run(options.baseline).id);
    evaluation.baseline_run = &*baseline;
  }
  // Each experiment's PASS runs read once for every baseline rule, not once per run.
  rules::BaselineRuns baselines(store);
  evaluation.baselines = &baselines;
  int failing_at_level = 0;
  std::vector<ValidatedRun> validated;
  for (const tracker::RunInfo& run : select_runs(store, options, baseline)) {
    const rules::RuleSet& rule_set = policies.for_run(run);
    if (!options.baseline.empty() && !has_baseline_rule(rule_set)) {
      throw UsageError("--baseline: rules '" + rule_set.name() +
                       "' have no baseline rule to compare with (add a 'baseline' rule, see "
                       "rules/README.md)");
    }
    rules::Report report = rules::evaluate(rule_set, run, evaluation);
    rules::store_report(store, report, rule_set);
    baselines.record(run, report.verdict == rules::Verdict::kPass);
    if (fails_at(report, options.fail_on)) ++failing_at_level;
    if (options.format == Format::kTable) {
      print_report(std::cout, report);
      std::cout << '\n';
    }
    validated.push_back({run, std::move(report)});
  }
  print_summary(validated, options, failing_at_level);
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
      "The policy text is kept in the store under its hash ('vigil rules show --hash H'); "
      "waivers in force ('vigil waive') are applied: their violations are reported, not "
      "counted. --format junit writes JUnit XML for CI, markdown a pull-request comment.\n"
      "Exit status: 0 when no run fails at the --fail-on level, 1 when one does, 2 usage "
      "error, 3 unknown or ambiguous RUN.");
  command->add_option("runs", options->runs,
                      "Run ids, unique id prefixes or unique run names (default: all)");
  add_run_filter_options(command, &options->filter);
  command->add_option("--rules", options->rules_file,
                      "Rules file (JSON) for every run; default: the policy bound to each run's "
                      "experiment in --policies, else the shipped default policy");
  command->add_option("--policies", options->policy_dir,
                      "Directory of policy files bound to experiments by their \"experiments\" "
                      "patterns (default: $VIGIL_POLICY_DIR)");
  command->add_option("--baseline", options->baseline,
                      "Compare with this run (id, prefix or name; not validated itself) or "
                      "'best' (best PASS run of the experiment) in the policy's baseline rules");
  add_format_option(command, &options->format,
                    {Format::kTable, Format::kJson, Format::kJunit, Format::kMarkdown});
  add_choice_option<FailOn>(command, "--fail-on", &options->fail_on,
                            {{"error", FailOn::kError}, {"warning", FailOn::kWarning}},
                            "Exit 1 when a run has a FAIL verdict (error) or any warning or "
                            "error violation (warning)");
  command->callback([context, options] { run_validate(*context, *options); });
}

}  // namespace vigil::cli
