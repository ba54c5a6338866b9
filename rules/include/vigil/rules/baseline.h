#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "vigil/tracker/store.h"
#include "vigil/tracker/types.h"

namespace vigil::rules {

/// The PASS runs that `baseline` rules compare with, for a caller that validates many runs of
/// one store in turn (`vigil validate`): each experiment's PASS runs are read once, kept up to
/// date through record() as verdicts are stored, and the best earlier value of each rule is
/// found by a binary search over a prefix maximum. A changed verdict moves only the prefix
/// maxima after the run, so validating runs oldest first costs about O(N log N) instead of
/// one listing of every PASS run per run (O(N^2)).
///
/// Pass it as EvaluationOptions::baselines; without one, a baseline rule lists the PASS runs
/// itself. Not thread-safe.
class BaselineRuns {
 public:
  /// `store` must outlive this object.
  explicit BaselineRuns(const tracker::Store& store) : store_(store) {}

  /// The best earlier PASS value of a rule: its value and "ID8 NAME" of the run that has it.
  struct Best {
    double value = 0.0;
    std::string run;
  };
  /// The number a rule reads from a run (nullopt: the run has none, it is no candidate).
  using ValueOf = std::function<std::optional<double>(const tracker::RunInfo&)>;

  /// The best value (the largest with `maximize`, else the smallest) that `value_of` gives
  /// among the PASS runs of `run.experiment` created before `run` (all other PASS runs when
  /// `run.created_at` is 0). `rule_key` names the rule (e.g. its paths): runs' values are
  /// cached per key. On ties, the newest run is named.
  std::optional<Best> best_before(const tracker::RunInfo& run, const std::string& rule_key,
                                  bool maximize, const ValueOf& value_of);

  /// Tells that `run` now has the latest verdict `pass` (after storing a report).
  void record(const tracker::RunInfo& run, bool pass);

 private:
  struct Entry {
    tracker::Timestamp created_at = 0.0;
    double value = 0.0;
    std::string id;
    std::string label;
  };
  struct Index {
    ValueOf value_of;
    std::vector<Entry> entries;     // oldest first
    std::vector<std::size_t> best;  // best[i]: entry of the best value among entries[0..i]
  };
  using IndexKey = std::tuple<std::string, std::string, bool>;  // experiment, rule, maximize

  std::vector<tracker::RunInfo>& pass_runs(const std::string& experiment);
  Index& index(const tracker::RunInfo& run, const std::string& rule_key, bool maximize,
               const ValueOf& value_of);
  /// Adds (`add`) or removes `run` in `index`, keeping it sorted and its prefix maxima right.
  static void update(Index& index, bool maximize, const tracker::RunInfo& run, bool add);

  const tracker::Store& store_;
  std::map<std::string, std::vector<tracker::RunInfo>> pass_;  // oldest first
  std::map<IndexKey, Index> indexes_;
};

}  // namespace vigil::rules
