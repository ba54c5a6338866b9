#include "run_filter_options.h"

#include "output.h"
#include "vigil/tracker/errors.h"
#include "vigil/tracker/types.h"

namespace vigil::cli {

tracker::RunFilter RunFilterOptions::to_filter() const {
  tracker::RunFilter filter;
  if (!experiment.empty()) filter.experiment = experiment;
  if (!name.empty()) filter.name_contains = name;
  filter.tags = tags;
  for (const std::string& status : statuses) {
    filter.statuses.push_back(tracker::parse_run_status(status));
  }
  if (!since.empty()) {
    filter.created_since = tracker::parse_time_bound(since, tracker::TimeBound::kStart);
  }
  if (!until.empty()) {
    filter.created_until = tracker::parse_time_bound(until, tracker::TimeBound::kEnd);
  }
  for (const std::string& expression : params) {
    filter.params.push_back(tracker::ParamCondition::parse(expression));
  }
  for (const std::string& expression : metrics) {
    filter.metrics.push_back(tracker::MetricCondition::parse(expression));
  }
  if (!verdict.empty()) {
    std::string lower = ascii_lower(verdict);
    if (lower != "pass" && lower != "fail") {
      throw tracker::InvalidArgument("--verdict '" + verdict + "': expected PASS or FAIL");
    }
    filter.verdict = lower == "pass" ? "PASS" : "FAIL";
  }
  filter.limit = limit;
  return filter;
}

void add_run_filter_options(CLI::App* command, RunFilterOptions* options,
                            const std::string& metric_option) {
  command->add_option("--experiment", options->experiment, "Only runs of this experiment")
      ->type_name("NAME");
  command->add_option("--name", options->name, "Only runs whose name contains TEXT (any case)");
  command->add_option("--tag", options->tags, "Only runs with this tag (repeatable: all)")
      ->type_name("TAG");
  command
      ->add_option("--status", options->statuses,
                   "Only runs with this status: running, finished, failed, killed, crashed, "
                   "rejected, aborted (repeatable or comma list: any)")
      ->type_name("STATUS")
      ->delimiter(',');
  command
      ->add_option("--since", options->since,
                   "Only runs created at or after DATE (YYYY-MM-DD[THH:MM[:SS]][Z], UTC)")
      ->type_name("DATE");
  command
      ->add_option("--until", options->until,
                   "Only runs created at or before DATE (a date alone: end of that day)")
      ->type_name("DATE");
  command
      ->add_option("--param", options->params,
                   "Param condition PATH OP VALUE, OP one of < <= > >= == !=, e.g. "
                   "\"optimizer.lr < 0.01\" (repeatable: all)")
      ->type_name("EXPR");
  command
      ->add_option(metric_option, options->metrics,
                   "Condition on a series' last value, e.g. \"loss{subset=val} < 0.5\" "
                   "(repeatable: all)")
      ->type_name("EXPR");
  command
      ->add_option("--verdict", options->verdict,
                   "Only runs whose latest validation is PASS or FAIL")
      ->type_name("PASS|FAIL");
  command->add_option("--limit", options->limit, "At most N runs, newest first (0 = all)")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber);
}

}  // namespace vigil::cli
