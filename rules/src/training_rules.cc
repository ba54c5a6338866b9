// During-training rules: non_finite, divergence, plateau, target. Each watches one series and
// keeps its state in a RuleMonitor, so the same code serves live monitoring and post-hoc replay.
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "detail.h"

namespace vigil::rules::detail {
namespace {

std::string at(const Observation& o) {
  return (o.per_epoch ? " at epoch " : " at step ") + std::to_string(o.index);
}

Outcome fired(const Observation& o, std::string message, std::string expected) {
  auto outcome = Outcome::failed(std::string(o.metric),
                                 std::string(o.metric) + " " + std::move(message) + at(o),
                                 number_json(o.value), std::move(expected));
  outcome.step = o.index;
  return outcome;
}

/// Base of the built-in streaming rules: the watched series (names or `*` patterns).
class SeriesRule : public Rule {
 public:
  explicit SeriesRule(std::vector<std::string> metrics)
      : Rule(Phase::kDuring), metrics_(std::move(metrics)) {}
  std::vector<std::string> watched_metrics() const override { return metrics_; }
  std::string target() const override {
    std::string text;
    for (const auto& metric : metrics_) text += (text.empty() ? "" : " | ") + metric;
    return text;
  }

 protected:
  std::vector<std::string> metrics_;
};

/// A monitor with no state of its own, delegating to a function of the observation.
template <typename Check>
class StatelessMonitor : public RuleMonitor {
 public:
  explicit StatelessMonitor(Check check) : check_(std::move(check)) {}
  Outcome observe(const Observation& o) override { return check_(o); }

 private:
  Check check_;
};
template <typename Check>
std::unique_ptr<RuleMonitor> stateless(Check check) {
  return std::make_unique<StatelessMonitor<Check>>(std::move(check));
}

class NonFiniteRule : public SeriesRule {
 public:
  using SeriesRule::SeriesRule;
  std::unique_ptr<RuleMonitor> start_monitor() const override {
    return stateless([](const Observation& o) {
      if (std::isfinite(o.value)) return Outcome::passed();
      return fired(o, "is " + number_text(o.value), "finite");
    });
  }
  Decision stop_decision() const override { return Decision::kStopNow; }
  std::string condition() const override { return "finite (stop now)"; }
};

class DivergenceRule : public SeriesRule {
 public:
  DivergenceRule(std::vector<std::string> metrics, std::optional<double> min,
                 std::optional<double> max)
      : SeriesRule(std::move(metrics)), min_(min), max_(max) {}
  std::unique_ptr<RuleMonitor> start_monitor() const override {
    return stateless([this](const Observation& o) {
      // NaN crosses no bound: non_finite is the rule for it.
      if ((max_ && o.value > *max_) || (min_ && o.value < *min_)) {
        return fired(o, "= " + number_text(o.value) + " crossed its bound", bound_text());
      }
      return Outcome::passed();
    });
  }
  Decision stop_decision() const override { return Decision::kStopNow; }
  std::string condition() const override { return bound_text() + " (stop now)"; }

 private:
  std::string bound_text() const {
    if (min_ && max_) return "in [" + number_text(*min_) + ", " + number_text(*max_) + "]";
    if (min_) return ">= " + number_text(*min_);
    return "<= " + number_text(*max_);
  }
  std::optional<double> min_;
  std::optional<double> max_;
};

class PlateauRule : public SeriesRule {
 public:
  PlateauRule(std::string metric, bool minimize, std::int64_t patience, double min_delta)
      : SeriesRule({std::move(metric)}),
        minimize_(minimize),
        patience_(patience),
        min_delta_(min_delta) {}

  std::unique_ptr<RuleMonitor> start_monitor() const override {
    return std::make_unique<Monitor>(*this);
  }
  Decision stop_decision() const override { return Decision::kStopGracefully; }
  std::string condition() const override {
    return std::string(minimize_ ? "decreases" : "increases") + " by more than " +
           number_text(min_delta_) + " within " + std::to_string(patience_) +
           " observations (stop gracefully)";
  }

 private:
  class Monitor : public RuleMonitor {
   public:
    explicit Monitor(const PlateauRule& rule) : rule_(rule) {}
    Outcome observe(const Observation& o) override {
      if (!best_) {
        if (std::isfinite(o.value)) {
          best_ = o.value;
          return Outcome::passed();
        }
      } else if (improves(o.value)) {
        best_ = o.value;
        waits_ = 0;
        return Outcome::passed();
      }
      if (++waits_ < rule_.patience_) return Outcome::passed();
      return fired(o,
                   "did not improve by more than " + number_text(rule_.min_delta_) + " for " +
                       std::to_string(waits_) + " observations (best " +
                       (best_ ? number_text(*best_) : std::string("none")) + ")",
                   rule_.condition());
    }

   private:
    // Strictly more than min_delta better than the best so far; NaN never improves.
    bool improves(double v) const {
      return rule_.minimize_ ? v < *best_ - rule_.min_delta_ : v > *best_ + rule_.min_delta_;
    }
    const PlateauRule& rule_;
    std::optional<double> best_;
    std::int64_t waits_ = 0;
  };

  bool minimize_;
  std::int64_t patience_;
  double min_delta_;
};

class TargetRule : public SeriesRule {
 public:
  TargetRule(std::string metric, bool maximize, double goal)
      : SeriesRule({std::move(metric)}), maximize_(maximize), goal_(goal) {}
  std::unique_ptr<RuleMonitor> start_monitor() const override {
    return stateless([this](const Observation& o) {
      const bool reached = maximize_ ? o.value >= goal_ : o.value <= goal_;
      if (!reached) return Outcome::passed();
      return fired(o, "reached its target " + goal_text() + " (" + number_text(o.value) + ")",
                   goal_text());
    });
  }
  Decision stop_decision() const override { return Decision::kStopGracefully; }
  std::string condition() const override { return "reaches " + goal_text() + " (stop gracefully)"; }

 private:
  std::string goal_text() const { return (maximize_ ? ">= " : "<= ") + number_text(goal_); }
  bool maximize_;
  double goal_;
};

/// One series name of field `metric` (`label`, e.g. "metric[1]: ", prefixes messages about an
/// array item), canonical; `pattern_ok` also accepts a `*` pattern (kept as written).
std::string series_name(RuleFields& f, const std::string& label, std::string metric,
                        bool pattern_ok) {
  if (metric.empty()) {
    f.problem("metric", label + "expected a non-empty qualified series name");
    return metric;
  }
  if (is_series_pattern(metric)) {
    if (!pattern_ok) {
      f.problem("metric", label + "'" + metric +
                              "': a * pattern is allowed only for non_finite and divergence "
                              "rules: expected one qualified series name");
    }
    return metric;
  }
  try {
    return normalize_series(metric);
  } catch (const InvalidArgument& e) {
    f.problem("metric", label + e.what());
    return metric;
  }
}

/// `metric` of plateau and target: one series (their state follows one sequence of values).
std::string metric_field(RuleFields& f) {
  auto metric = f.string("metric");
  if (!f.has("metric")) return metric;
  return series_name(f, "", std::move(metric), false);
}

/// `metric` of the stateless kinds: a series name or `*` pattern, or a non-empty array of them.
std::vector<std::string> metrics_field(RuleFields& f) {
  auto value = f.value("metric");
  std::vector<std::string> metrics;
  if (value.is_string()) {
    metrics.push_back(series_name(f, "", value.get<std::string>(), true));
  } else if (value.is_array() && !value.empty()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      const std::string label = "metric[" + std::to_string(i) + "]: ";
      if (!value[i].is_string()) {
        f.problem("metric",
                  label + "expected a qualified series name, got " + describe_type(value[i]));
        continue;
      }
      metrics.push_back(series_name(f, label, value[i].get<std::string>(), true));
    }
  } else if (f.has("metric")) {
    f.problem("metric", "expected a series name or a non-empty array of series names, got " +
                            describe_type(value));
  }
  return metrics;
}

}  // namespace

void register_training_rules(RuleRegistry& registry) {
  registry.add("non_finite", [](RuleFields& f) -> std::unique_ptr<Rule> {
    return std::make_unique<NonFiniteRule>(metrics_field(f));
  });
  registry.add("divergence", [](RuleFields& f) -> std::unique_ptr<Rule> {
    auto metrics = metrics_field(f);
    auto min = f.optional_number("min");
    auto max = f.optional_number("max");
    if (!min && !max) f.problem({}, "expected at least one of 'min' or 'max'");
    if (min && max && *min > *max) f.problem("max", "expected min <= max");
    return std::make_unique<DivergenceRule>(std::move(metrics), min, max);
  });
  registry.add("plateau", [](RuleFields& f) -> std::unique_ptr<Rule> {
    auto metric = metric_field(f);
    const bool minimize = f.choice("mode", {"min", "max"}, "min") == "min";
    auto patience = f.integer("patience");
    if (f.has("patience") && patience < 1) f.problem("patience", "expected an integer >= 1");
    auto min_delta = f.optional_number("min_delta").value_or(0.0);
    if (min_delta < 0) f.problem("min_delta", "expected a number >= 0");
    return std::make_unique<PlateauRule>(std::move(metric), minimize, patience, min_delta);
  });
  registry.add(
      "target",
      [](RuleFields& f) -> std::unique_ptr<Rule> {
        auto metric = metric_field(f);
        const bool maximize = f.choice("mode", {"max", "min"}, "max") == "max";
        return std::make_unique<TargetRule>(std::move(metric), maximize, f.number("value"));
      },
      Severity::kInfo);
}

}  // namespace vigil::rules::detail
