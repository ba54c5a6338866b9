#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "vigil/tracker/types.h"

namespace vigil::tracker {

enum class CompareOp { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual, kNotEqual };

/// A condition on a run's params, e.g. "optimizer.lr < 0.01" or "optimizer.name == adam".
/// Numbers compare numerically; ==/!= also compare strings and booleans. A run that lacks the
/// path never matches. This is the one filter grammar of vigil: the CLI (--param, --metric)
/// and the dashboard (/api/runs?param=...) both hand their text to these parsers.
struct ParamCondition {
  std::string path;  ///< dotted path into the params object
  CompareOp op = CompareOp::kEqual;
  nlohmann::json value;  ///< number, string or bool

  /// Parses "PATH OP VALUE" with OP one of < <= > >= == != (spaces optional):
  ///   PATH   dot-separated keys, no empty segment
  ///   NUMBER [+-] (DIGITS [. [DIGITS]] | . DIGITS) [(e|E) [+-] DIGITS], finite: 0.5 .5 +1 1. 1e-3
  ///   VALUE  NUMBER for < <= > >=; for == and != also true, false, a JSON "string" or a bare
  ///          word without spaces, quotes or < > = ! (adam, 1.2.3)
  /// Throws InvalidArgument naming the expression and the expected form for anything else
  /// ("lr < abc", "lr << 1", "lr < 1e309", "lr < 0.01 AND 1=1"), so that no filter silently
  /// matches nothing.
  static ParamCondition parse(std::string_view expression);
  bool matches(const nlohmann::json& params) const;
};

/// A condition on the last value of a metric series, e.g. "loss{subset=val} < 0.5" or
/// "accuracy >= 0.9" (qualified series name, see SeriesKey::qualified_name).
struct MetricCondition {
  SeriesKey series;
  CompareOp op = CompareOp::kLess;
  double value = 0.0;

  /// "SERIES OP NUMBER": the SERIES grammar of SeriesKey::parse, NUMBER as in
  /// ParamCondition::parse (finite). Throws InvalidArgument like ParamCondition::parse.
  static MetricCondition parse(std::string_view expression);
  bool matches(const std::vector<SeriesSummary>& metrics) const;
};

/// The order of list_runs. Runs lacking the value (no score, no such series or a NaN last
/// value, no such param or a null one) come last in both directions; ties are newest first.
/// The database sorts, through an index where the key has one (created_at, name, score).
struct RunSort {
  enum class Key {
    kCreated,  ///< created_at (the default, newest first)
    kName,     ///< run name, bytewise
    kScore,    ///< score of the latest validation
    kMetric,   ///< last value of `metric`
    kParam,    ///< value at dotted `param`: numbers and booleans (0/1) numerically, before
               ///< strings (bytewise), before other JSON (by its stored text)
  };
  Key key = Key::kCreated;
  bool descending = true;
  SeriesKey metric;   ///< kMetric: the series
  std::string param;  ///< kParam: dotted path into the params object
};

/// Which runs list_runs returns. Every set field must match (logical AND).
struct RunFilter {
  std::vector<std::string> ids;              ///< exact ids or unique prefixes; empty = any
  std::optional<std::string> experiment;     ///< exact experiment name
  std::optional<std::string> name_contains;  ///< case-insensitive substring of the run name
  std::vector<std::string> tags;             ///< the run carries every one of these tags
  std::vector<RunStatus> statuses;           ///< any of these (after crash detection); empty = any
  std::optional<Timestamp> created_since;    ///< created_at >= this
  std::optional<Timestamp> created_until;    ///< created_at <= this
  std::vector<ParamCondition> params;
  std::vector<MetricCondition> metrics;
  std::optional<std::string> verdict;  ///< "PASS" or "FAIL" (latest validation)
  RunSort sort;                        ///< order of the runs (default: newest first)
  std::size_t offset = 0;              ///< matching runs skipped, in `sort` order (paging)
  std::size_t limit = 0;               ///< at most this many runs after `offset`; 0 = all
};

/// One stored validation of a run against a rule set (written by vigil::rules).
struct ValidationRecord {
  std::int64_t id = 0;  ///< assigned by the store
  std::string run_id;
  std::string rules_name;                               ///< rules file name (or "default")
  std::string rules_hash;                               ///< content hash of the rules file
  std::string phase;                                    ///< "pre", "during", "post" or "all"
  std::string verdict;                                  ///< "PASS" or "FAIL"
  double score = 0.0;                                   ///< 0-100
  nlohmann::json violations = nlohmann::json::array();  ///< as produced by vigil::rules
  nlohmann::json report = nlohmann::json::object();     ///< full report (rules-defined)
  Timestamp created_at = 0.0;
};

void to_json(nlohmann::json& j, const ValidationRecord& record);

/// The verdicts a validation may have.
inline constexpr std::string_view kPassVerdict = "PASS";
inline constexpr std::string_view kFailVerdict = "FAIL";

/// Tag of every run that has at least one stored validation.
inline constexpr std::string_view kValidatedTag = "validated";

/// The tags Store::add_validation manages: kValidatedTag plus the latest verdict (PASS or
/// FAIL, the other one removed). Users and tools must not set or remove them by hand, or the
/// tags would contradict the stored validations. The one list of them: the CLI and the
/// dashboard (and through its API, the browser) use this constant.
inline constexpr std::array<std::string_view, 3> kVerdictTags = {kValidatedTag, kPassVerdict,
                                                                 kFailVerdict};

/// True when `tag` is one of kVerdictTags.
bool is_verdict_tag(std::string_view tag) noexcept;

}  // namespace vigil::tracker
