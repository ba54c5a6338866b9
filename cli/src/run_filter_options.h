#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "vigil/tracker/query.h"

namespace vigil::cli {

/// The run-selection options shared by `runs ls`, `export` and `validate`, as typed.
struct RunFilterOptions {
  std::string experiment;             ///< --experiment: exact experiment name
  std::string name;                   ///< --name: case-insensitive substring of the run name
  std::vector<std::string> tags;      ///< --tag (repeatable): the run has all of them
  std::vector<std::string> statuses;  ///< --status (repeatable or comma list): any of them
  std::string since;                  ///< --since DATE: created at or after
  std::string until;                  ///< --until DATE: created at or before (a date = whole day)
  std::vector<std::string> params;    ///< --param "optimizer.lr < 0.01" (repeatable)
  std::vector<std::string> metrics;   ///< metric conditions "loss < 0.5" (repeatable)
  std::string verdict;                ///< --verdict PASS|FAIL (latest validation)
  std::size_t limit = 0;              ///< --limit N: newest N runs; 0 = all

  /// The tracker filter. Throws tracker::InvalidArgument for a malformed status, date or
  /// condition (the message names the input).
  tracker::RunFilter to_filter() const;
};

/// Registers the filter options on `command`. The metric condition is `--metric` unless
/// `metric_option` names another flag (export uses --metric to pick series, so it passes
/// "--where-metric").
void add_run_filter_options(CLI::App* command, RunFilterOptions* options,
                            const std::string& metric_option = "--metric");

}  // namespace vigil::cli
