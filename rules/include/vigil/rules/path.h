#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "vigil/tracker/types.h"

namespace vigil::rules {

/// A value found at a path (for a list of alternatives: at the one present).
struct ResolvedValue {
  std::string path;      ///< concrete path text (a `*` key replaced by the matched key)
  nlohmann::json value;  ///< its value
};

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
/// A `*` key below params/results (`params.optimizers.*.lr`) matches every key of the object
/// at that place: the path then has one value per match, each named by its concrete path
/// (`params.optimizers.generator.lr`), in key order. `*` is not allowed in metrics/run paths.
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
  /// True when a key is `*`.
  bool has_wildcard() const noexcept;

  /// The value at this path in `run`, or nullopt when absent (or null). Metric stats are
  /// numbers (NaN/Inf as the strings "NaN", "Infinity", "-Infinity"; count as an integer).
  /// With a `*` key: the first match (see lookup_all).
  std::optional<nlohmann::json> lookup(const tracker::RunInfo& run) const;
  /// Every value at this path with its concrete path text (one at most without a `*` key),
  /// in key order; empty when absent.
  std::vector<ResolvedValue> lookup_all(const tracker::RunInfo& run) const;

 private:
  std::optional<nlohmann::json> lookup_single(const tracker::RunInfo& run) const;
  void collect(const nlohmann::json& node, std::size_t depth, const std::string& prefix,
               std::vector<ResolvedValue>& out) const;
  std::string text_;
  Root root_ = Root::kParams;
  std::vector<std::string> keys_;  // object keys below the root (params/results), or
                                   // {qualified series name, stat} (metrics), or {field} (run)
};

/// A rule's `path`: one path or a list of alternatives (aliases) tried in order; the first
/// that is present is used, even if its value then has the wrong type for the rule.
using PathAlternatives = std::vector<ValuePath>;

/// First present alternative, or nullopt when none is.
std::optional<ResolvedValue> resolve(const PathAlternatives& paths, const tracker::RunInfo& run);
/// Every value of the first present alternative (several for a path with a `*` key), or none.
std::vector<ResolvedValue> resolve_all(const PathAlternatives& paths, const tracker::RunInfo& run);

/// "a" or "a | b | c": the texts of all alternatives, for messages.
std::string describe(const PathAlternatives& paths);

}  // namespace vigil::rules
