#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "vigil/rules/path.h"
#include "vigil/rules/types.h"
#include "vigil/tracker/types.h"

namespace vigil::tracker {
class Store;
}  // namespace vigil::tracker

namespace vigil::rules {

class BaselineRuns;

namespace detail {
struct RuleAccess;
}  // namespace detail

/// Where during-training rules find a run's points when replayed after the fact (e.g. by
/// `vigil validate`). evaluate() uses a Store-backed source when given a Store; a live caller
/// (the plugin) may pass its own. Implementations must be safe to call from the evaluating thread.
class SeriesSource {
 public:
  virtual ~SeriesSource() = default;
  /// Points of the series in step order, or nullopt when the run has no such series.
  virtual std::optional<std::vector<tracker::MetricPoint>> points(
      const tracker::SeriesKey& series) const = 0;
};

/// What a pre/post rule sees: the run, and optionally a store (baselines) and series (replay).
/// Non-owning; everything referenced must outlive the context.
class RunContext {
 public:
  RunContext(const tracker::RunInfo& run, const tracker::Store* store, const SeriesSource* series,
             BaselineRuns* baselines = nullptr) noexcept
      : run_(run), store_(store), series_(series), baselines_(baselines) {}
  const tracker::RunInfo& run() const noexcept { return run_; }
  /// May be null: rules that need it report themselves not evaluable.
  const tracker::Store* store() const noexcept { return store_; }
  /// May be null.
  const SeriesSource* series() const noexcept { return series_; }
  /// The run baseline rules compare with, chosen by the caller (`vigil validate --baseline
  /// RUN`); null: they look for the best PASS run of the experiment themselves.
  const tracker::RunInfo* baseline_run() const noexcept { return baseline_run_; }
  /// When baseline rules search themselves: also among runs created after this one
  /// (`--baseline best`), not only earlier ones.
  bool baseline_any_time() const noexcept { return baseline_any_time_; }
  /// Sets the two above.
  void set_baseline(const tracker::RunInfo* run, bool any_time) noexcept {
    baseline_run_ = run;
    baseline_any_time_ = any_time;
  }
  /// May be null: baseline rules then list earlier PASS runs from store().
  BaselineRuns* baselines() const noexcept { return baselines_; }
  std::optional<ResolvedValue> resolve(const PathAlternatives& paths) const {
    return rules::resolve(paths, run_);
  }
  /// Every value of the first present alternative (several when it has a `*` segment).
  std::vector<ResolvedValue> resolve_all(const PathAlternatives& paths) const {
    return rules::resolve_all(paths, run_);
  }

 private:
  const tracker::RunInfo& run_;
  const tracker::Store* store_;
  const SeriesSource* series_;
  BaselineRuns* baselines_;

  const tracker::RunInfo* baseline_run_ = nullptr;
  bool baseline_any_time_ = false;
};

/// The result of one rule check. The engine turns a non-passed outcome into a Violation,
/// adding the rule's id, kind, phase and severity (for kMissing: the rule's when_missing).
struct Outcome {
  /// kMissing: the value (or series) the rule looks at does not exist in the run; the rule's
  /// RuleInfo::when_missing decides what that means. kNotEvaluable: it exists but cannot be
  /// checked (wrong type, no store, ...); that is a violation with the rule's severity.
  enum class Status { kPassed, kFailed, kNotEvaluable, kMissing };
  Status status = Status::kPassed;
  std::string path;       ///< what was looked at
  std::string message;    ///< one line, for people
  nlohmann::json actual;  ///< value found (null if none)
  std::string expected;   ///< condition, e.g. ">= 10"
  /// Replaces the rule's severity for this outcome (baseline's on_missing_baseline: warn).
  std::optional<Severity> severity;
  std::optional<std::int64_t> step;  ///< during training: step/epoch of the triggering point

  static Outcome passed() { return {}; }
  static Outcome failed(std::string path, std::string message, nlohmann::json actual,
                        std::string expected);
  static Outcome not_evaluable(std::string path, std::string message,
                               nlohmann::json actual = nullptr, std::string expected = {});
  static Outcome missing(std::string path, std::string message, std::string expected = {});
  bool ok() const noexcept { return status == Status::kPassed; }
};

/// One streamed metric value during training.
struct Observation {
  std::string_view metric;  ///< qualified series name ("loss", "accuracy{subset=val}")
  std::int64_t index = 0;   ///< step (per-step values) or epoch (per-epoch values)
  bool per_epoch = false;   ///< true for observe_epoch
  double value = 0.0;       ///< may be NaN/Inf
};

/// Per-run state of one during-training rule. Not thread-safe (owned by one TrainingMonitor).
class RuleMonitor {
 public:
  virtual ~RuleMonitor() = default;
  /// Called for every observation of a metric the rule watches (see Rule::watched_metrics).
  /// Returns a failed outcome when the rule fires; the monitor then stops feeding this rule.
  virtual Outcome observe(const Observation& observation) = 0;
};

/// Fields every rule has; filled by the loader from the rules file.
struct RuleInfo {
  std::string id;           ///< unique within the rules file
  std::string kind;         ///< registered kind name
  std::string description;  ///< free text ("" if none)
  Severity severity = Severity::kError;
  double weight = 1.0;  ///< >= 0; used by the weighted scoring model
  /// Severity of the note when the rule's value or series is missing (Outcome::kMissing);
  /// kOff means "skip" (nothing reported). Only warning/error missing notes are scored.
  /// Default kInfo: reported, not scored.
  Severity when_missing = Severity::kInfo;
  /// "enforcement": enforce (default) or audit (reported, never counted; see RuleMode).
  RuleMode mode = RuleMode::kEnforce;
};

/// A rule kind's implementation. Built by a RuleFactory from its JSON fields; immutable after
/// loading, so it is safe to evaluate concurrently.
///
/// Pre/post rules override evaluate(). During-training rules override watched_metrics(),
/// start_monitor() and (optionally) stop_decision(); the engine replays stored series through
/// start_monitor() for post-hoc validation, so they need no evaluate().
///
/// Example (a custom kind, usable from JSON as {"id": "...", "kind": "even", "path": "..."}):
///
///   class EvenRule : public vigil::rules::Rule {
///    public:
///     explicit EvenRule(vigil::rules::PathAlternatives p) : Rule(phase_of(p)), paths_(p) {}
///     Outcome evaluate(const RunContext& ctx) const override {
///       auto v = ctx.resolve(paths_);
///       if (!v) return Outcome::not_evaluable(describe(paths_), "missing");
///       if (!v->value.is_number_integer()) return Outcome::not_evaluable(v->path, "not an
///       integer", v->value); if (v->value.get<long>() % 2) return Outcome::failed(v->path, "odd",
///       v->value, "even"); return Outcome::passed();
///     }
///     std::string target() const override { return describe(paths_); }
///     std::string condition() const override { return "even"; }
///    private:
///     vigil::rules::PathAlternatives paths_;
///   };
///   vigil::rules::RuleRegistry::global().add("even", [](vigil::rules::RuleFields& f) {
///     return std::make_unique<EvenRule>(f.paths("path"));
///   });
class Rule {
 public:
  explicit Rule(Phase phase) noexcept : phase_(phase) {}
  virtual ~Rule() = default;
  Rule(const Rule&) = delete;
  Rule& operator=(const Rule&) = delete;

  Phase phase() const noexcept { return phase_; }
  const RuleInfo& info() const noexcept { return info_; }

  /// Checks a pre/post rule against a run. The default implementation (for during rules)
  /// replays the watched series from ctx.series() through start_monitor(): plain names as
  /// given, `*` patterns over the run's series (RunInfo::metrics). No source, or none of the
  /// watched series in the run, is a missing value (Outcome::kMissing, see when_missing).
  virtual Outcome evaluate(const RunContext& ctx) const;

  /// During-training rules: the qualified series names the rule observes; an entry with `*`
  /// is a pattern (`*` matches any run of characters, e.g. "*loss*"). Default: none.
  virtual std::vector<std::string> watched_metrics() const { return {}; }
  /// During-training rules: fresh per-run state. Default: nullptr (not a streaming rule).
  virtual std::unique_ptr<RuleMonitor> start_monitor() const { return nullptr; }
  /// During-training rules: what the loop should do when the rule fires. Default kStopNow.
  virtual Decision stop_decision() const { return Decision::kStopNow; }

  /// For the rule-set table: what the rule looks at ("params.lr | params.learning_rate").
  virtual std::string target() const = 0;
  /// For the rule-set table: the condition that must hold ("in [0.0001, 0.1]").
  virtual std::string condition() const = 0;

  /// kPost when any alternative needs results (results.* / metrics.*), else kPre.
  static Phase phase_of(const PathAlternatives& paths) noexcept;
  static Phase phase_of(const std::vector<PathAlternatives>& path_lists) noexcept;

 private:
  friend struct detail::RuleAccess;
  Phase phase_;
  RuleInfo info_;
};

}  // namespace vigil::rules
