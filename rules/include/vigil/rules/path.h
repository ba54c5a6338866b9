#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "vigil/tracker/types.h"

namespace vigil::rules {

/// Where a value of a run lives. Grammar (text form, as written in rules files):
///
///   params.A.B.C              nested hyperparameter (RunInfo::params["A"]["B"]["C"])
///   results.A.B               final result (RunInfo::results)
///   metrics.SERIES.STAT       summary of a metric series: SERIES is a qualified series name
///                             (`loss`, `accuracy{subset=val}`, see tracker::SeriesKey) and STAT
///                             one of last, min, max, count
///   run.name | run.experiment | run.id | run.status | run.host
///                             run metadata (strings; an empty name/experiment counts as missing)
///
/// A JSON null counts as missing. Only objects are traversed (no array indices).
/// Roots params/run describe the run before training; results/metrics only exist after it.
///
/// Thread safety: immutable after construction; safe to share.
class ValuePath {
 public:
  enum class Root { kParams, kResults, kMetrics, kRun };

  /// Parses the text form. Throws InvalidArgument naming the text and the accepted forms.
  static ValuePath parse(std::string_view text);

  const std::string& text() const noexcept { return text_; }
  Root root() const noexcept { return root_; }
  /// True for results.* and metrics.* (values that exist only after training).
  bool needs_results() const noexcept { return root_ == Root::kResults || root_ == Root::kMetrics; }

  /// The value at this path in `run`, or nullopt when absent (or null). Metric stats are
  /// numbers (NaN/Inf as the strings "NaN", "Infinity", "-Infinity"; count as an integer).
  std::optional<nlohmann::json> lookup(const tracker::RunInfo& run) const;

 private:
  std::string text_;
  Root root_ = Root::kParams;
  std::vector<std::string> keys_;  // object keys below the root (params/results), or
                                   // {qualified series name, stat} (metrics), or {field} (run)
};

/// A rule's `path`: one path or a list of alternatives (aliases) tried in order; the first
/// that is present is used, even if its value then has the wrong type for the rule.
using PathAlternatives = std::vector<ValuePath>;

/// The value found for a list of alternatives.
struct ResolvedValue {
  std::string path;      ///< text of the alternative that was present
  nlohmann::json value;  ///< its value
};

/// First present alternative, or nullopt when none is.
std::optional<ResolvedValue> resolve(const PathAlternatives& paths, const tracker::RunInfo& run);

/// "a" or "a | b | c": the texts of all alternatives, for messages.
std::string describe(const PathAlternatives& paths);

}  // namespace vigil::rules
