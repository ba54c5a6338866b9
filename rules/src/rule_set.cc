#include "vigil/rules/rule_set.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <utility>

#include "detail.h"
#include "vigil/tracker/json_limits.h"

namespace vigil::rules {
namespace {

using nlohmann::json;

/// Parses JSON through the tracker's bounded parser (size, depth, NUL bytes, trailing bytes,
/// numbers out of range), recording a syntax error with line/column, and every duplicated object
/// key (nlohmann keeps the last one silently) with its JSON pointer.
std::optional<json> parse_json(std::string_view text, const std::string& source,
                               std::vector<Problem>& problems) {
  const tracker::DuplicateKeyHandler on_duplicate = [&](const std::string& pointer,
                                                        const std::string& key) {
    problems.push_back({source, pointer, 0, 0, "duplicate key '" + key + "': keys must be unique"});
  };
  try {
    return tracker::parse_json_bounded(text, source, {tracker::kMaxJsonDepth, kMaxRulesFileBytes},
                                       on_duplicate);
  } catch (const tracker::JsonError& e) {
    problems.push_back({source, "", e.line(), e.column(), "invalid JSON: " + e.reason()});
    return std::nullopt;
  }
}

// Bounds of the policy fields (README "Limits").
constexpr std::size_t kMaxVersionBytes = 64;
constexpr std::size_t kMaxExperimentPatterns = 64;
constexpr std::size_t kMaxPatternBytes = 256;

class Parser {
 public:
  Parser(std::string source, const RuleRegistry& registry)
      : source_(std::move(source)), registry_(registry) {}

  void problem(std::string pointer, std::string message) {
    problems_.push_back({source_, std::move(pointer), 0, 0, std::move(message)});
  }
  std::vector<Problem>& problems() { return problems_; }

  /// Reports every key of `object` at `pointer` that is not in `known`.
  void check_keys(const json& object, const std::string& pointer,
                  const std::set<std::string>& known, const std::string& what) {
    std::string names;
    for (const auto& k : known) names += (names.empty() ? "" : ", ") + k;
    for (auto it = object.begin(); it != object.end(); ++it) {
      if (known.count(it.key()) == 0) {
        problem(
            pointer + "/" + tracker::pointer_escape(it.key()),
            "unknown field '" + it.key() + "' in " + what + " (expected one of: " + names + ")");
      }
    }
  }

  void parse_document(const json& doc, RuleSet& set) {
    if (!doc.is_object()) {
      problem("", "expected a JSON object with a 'rules' array, got " + detail::describe_type(doc));
      return;
    }
    check_keys(doc, "",
               {"version", "name", "description", "enforcement", "experiments", "scoring",
                "verdict", "rules"},
               "the rules file");
    parse_version(doc, set);
    parse_experiments(doc, set);
    if (auto it = doc.find("name"); it != doc.end()) {
      if (it->is_string() && !it->get<std::string>().empty()) {
        detail::RuleAccess::set_name(set, it->get<std::string>());
      } else {
        problem("/name", "expected a non-empty string, got " + detail::describe_type(*it));
      }
    }
    if (auto it = doc.find("description"); it != doc.end()) {
      if (it->is_string()) {
        detail::RuleAccess::set_description(set, it->get<std::string>());
      } else {
        problem("/description", "expected a string, got " + detail::describe_type(*it));
      }
    }
    if (auto it = doc.find("enforcement"); it != doc.end()) {
      try {
        if (!it->is_string()) throw InvalidArgument("expected enforce or warn_only");
        detail::RuleAccess::set_enforcement(set, parse_enforcement(it->get<std::string>()));
      } catch (const InvalidArgument&) {
        problem("/enforcement",
                "expected \"enforce\" or \"warn_only\", got " + detail::describe_type(*it));
      }
    }
    ScoringOptions scoring;
    if (auto it = doc.find("scoring"); it != doc.end()) parse_scoring(*it, scoring);
    if (auto it = doc.find("verdict"); it != doc.end()) parse_verdict(*it, scoring);
    detail::RuleAccess::set_scoring(set, scoring);

    auto rules = doc.find("rules");
    if (rules == doc.end()) {
      problem("", "missing required field 'rules': expected an array of rule objects");
      return;
    }
    if (!rules->is_array()) {
      problem("/rules", "expected an array of rule objects, got " + detail::describe_type(*rules));
      return;
    }
    std::set<std::string> ids;
    for (std::size_t i = 0; i < rules->size(); ++i) {
      parse_rule((*rules)[i], "/rules/" + std::to_string(i), ids, set);
    }
  }

 private:
  std::optional<double> non_negative(const json& object, const std::string& key,
                                     const std::string& pointer) {
    auto it = object.find(key);
    if (it == object.end()) return std::nullopt;
    if (!it->is_number() || it->get<double>() < 0) {
      problem(pointer + "/" + key, "expected a number >= 0, got " + detail::describe_type(*it));
      return std::nullopt;
    }
    return it->get<double>();
  }

  static bool printable(const std::string& text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
  }

  // "version": the policy's own version string; the integer 1 of files written before.
  void parse_version(const json& doc, RuleSet& set) {
    auto it = doc.find("version");
    if (it == doc.end()) return;
    if (it->is_number_integer() && *it == 1) {
      detail::RuleAccess::set_version(set, "1");
      return;
    }
    const bool ok = it->is_string() && !it->get<std::string>().empty() &&
                    it->get<std::string>().size() <= kMaxVersionBytes &&
                    printable(it->get<std::string>());
    if (!ok) {
      problem("/version", "expected a version string of 1-" + std::to_string(kMaxVersionBytes) +
                              " printable characters (e.g. \"2026.12\"), got " +
                              detail::describe_type(*it));
      return;
    }
    detail::RuleAccess::set_version(set, it->get<std::string>());
  }

  // "experiments": the name patterns of the experiments the policy governs.
  void parse_experiments(const json& doc, RuleSet& set) {
    auto it = doc.find("experiments");
    if (it == doc.end()) return;
    if (!it->is_array() || it->empty() || it->size() > kMaxExperimentPatterns) {
      problem("/experiments", "expected an array of 1-" + std::to_string(kMaxExperimentPatterns) +
                                  " experiment name patterns, got " + detail::describe_type(*it));
      return;
    }
    std::vector<std::string> patterns;
    for (std::size_t i = 0; i < it->size(); ++i) {
      const json& item = (*it)[i];
      if (!item.is_string() || item.get<std::string>().empty() ||
          item.get<std::string>().size() > kMaxPatternBytes) {
        problem("/experiments/" + std::to_string(i),
                "expected a non-empty pattern of at most " + std::to_string(kMaxPatternBytes) +
                    " bytes (`*` matches any characters), got " + detail::describe_type(item));
        continue;
      }
      patterns.push_back(item.get<std::string>());
    }
    detail::RuleAccess::set_experiments(set, std::move(patterns));
  }

  void parse_scoring(const json& node, ScoringOptions& scoring) {
    if (!node.is_object()) {
      problem("/scoring", "expected an object, got " + detail::describe_type(node));
      return;
    }
    check_keys(node, "/scoring", {"model", "penalties"}, "scoring");
    if (auto it = node.find("model"); it != node.end()) {
      try {
        if (!it->is_string()) throw InvalidArgument("");
        scoring.model = parse_scoring_model(it->get<std::string>());
      } catch (const InvalidArgument&) {
        problem("/scoring/model",
                "expected \"penalty\" or \"weighted\", got " + detail::describe_type(*it));
      }
    }
    if (auto it = node.find("penalties"); it != node.end()) {
      if (!it->is_object()) {
        problem("/scoring/penalties", "expected an object, got " + detail::describe_type(*it));
        return;
      }
      check_keys(*it, "/scoring/penalties", {"error", "warning", "info"}, "penalties");
      if (auto v = non_negative(*it, "error", "/scoring/penalties")) scoring.error_penalty = *v;
      if (auto v = non_negative(*it, "warning", "/scoring/penalties")) scoring.warning_penalty = *v;
      if (auto v = non_negative(*it, "info", "/scoring/penalties")) scoring.info_penalty = *v;
    }
  }

  void parse_verdict(const json& node, ScoringOptions& scoring) {
    if (!node.is_object()) {
      problem("/verdict", "expected an object, got " + detail::describe_type(node));
      return;
    }
    check_keys(node, "/verdict", {"min_score"}, "verdict");
    if (auto it = node.find("min_score"); it != node.end()) {
      if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 100) {
        problem("/verdict/min_score",
                "expected a number in [0, 100], got " + detail::describe_type(*it));
      } else {
        scoring.min_score = it->get<double>();
      }
    }
  }

  void parse_rule(const json& node, const std::string& pointer, std::set<std::string>& ids,
                  RuleSet& set) {
    if (!node.is_object()) {
      problem(pointer, "expected a rule object, got " + detail::describe_type(node));
      return;
    }
    const std::size_t problems_before = problems_.size();
    RuleInfo info;
    auto id = node.find("id");
    if (id == node.end()) {
      problem(pointer, "missing required field 'id': expected a non-empty string");
    } else if (!id->is_string() || id->get<std::string>().empty()) {
      problem(pointer + "/id", "expected a non-empty string, got " + detail::describe_type(*id));
    } else {
      info.id = id->get<std::string>();
      if (!ids.insert(info.id).second) {
        problem(pointer + "/id", "duplicate rule id '" + info.id + "': ids must be unique");
      }
    }
    const std::string label = info.id.empty() ? "" : " (rule '" + info.id + "')";
    auto kind = node.find("kind");
    std::optional<RuleRegistry::Entry> entry;
    if (kind == node.end()) {
      problem(pointer, "missing required field 'kind'" + label + ": expected one of " + kinds());
    } else if (!kind->is_string()) {
      problem(pointer + "/kind", "expected a string, got " + detail::describe_type(*kind) + label);
    } else {
      info.kind = kind->get<std::string>();
      entry = registry_.find(info.kind);
      if (!entry) {
        problem(pointer + "/kind",
                "unknown rule kind '" + info.kind + "'" + label + ": expected one of " + kinds());
      }
    }
    if (auto it = node.find("description"); it != node.end()) {
      if (it->is_string()) {
        info.description = it->get<std::string>();
      } else {
        problem(pointer + "/description",
                "expected a string, got " + detail::describe_type(*it) + label);
      }
    }
    info.severity = entry ? entry->default_severity : Severity::kError;
    if (auto it = node.find("severity"); it != node.end()) {
      try {
        if (!it->is_string()) throw InvalidArgument("");
        info.severity = parse_severity(it->get<std::string>());
      } catch (const InvalidArgument&) {
        problem(pointer + "/severity", "expected one of off, info, warning, error, got " +
                                           detail::describe_type(*it) + label);
      }
    }
    if (auto it = node.find("weight"); it != node.end()) {
      if (!it->is_number() || it->get<double>() < 0) {
        problem(pointer + "/weight",
                "expected a number >= 0, got " + detail::describe_type(*it) + label);
      } else {
        info.weight = it->get<double>();
      }
    }
    parse_when_missing(node, pointer, label, info);
    if (auto it = node.find("enforcement"); it != node.end()) {
      try {
        if (!it->is_string()) throw InvalidArgument("");
        info.mode = parse_rule_mode(it->get<std::string>());
      } catch (const InvalidArgument&) {
        problem(pointer + "/enforcement",
                "expected \"enforce\" or \"audit\", got " + detail::describe_type(*it) + label);
      }
    }
    if (!entry) return;  // fields of an unknown kind cannot be checked

    RuleFields fields(node, pointer, source_, info.id, info.kind);
    std::unique_ptr<Rule> rule;
    try {
      rule = entry->factory(fields);
    } catch (const std::exception& e) {
      fields.problem({},
                     std::string("rule kind '") + info.kind + "' rejected its fields: " + e.what());
    }
    for (const auto& p : fields.problems()) problems_.push_back(p);
    std::set<std::string> known = fields.known_keys();
    known.insert(
        {"id", "kind", "description", "severity", "weight", "when_missing", "enforcement"});
    check_keys(node, pointer, known, "a '" + info.kind + "' rule" + label);
    if (!rule && problems_.size() == problems_before) {
      problem(pointer, "rule kind '" + info.kind + "' produced no rule" + label);
    }
    if (problems_.size() != problems_before || !rule) return;
    detail::RuleAccess::set_info(*rule, std::move(info));
    detail::RuleAccess::add_rule(set, std::shared_ptr<const Rule>(std::move(rule)));
  }

  /// "when_missing": skip | info | warning | error (default info).
  void parse_when_missing(const json& node, const std::string& pointer, const std::string& label,
                          RuleInfo& info) {
    auto it = node.find("when_missing");
    if (it == node.end()) return;
    try {
      if (!it->is_string()) throw InvalidArgument("");
      info.when_missing = parse_when_missing_text(it->get<std::string>());
    } catch (const InvalidArgument&) {
      problem(pointer + "/when_missing", "expected one of skip, info, warning, error, got " +
                                             detail::describe_type(*it) + label);
    }
  }

  static Severity parse_when_missing_text(const std::string& text) {
    if (text == "skip") return Severity::kOff;
    const Severity severity = parse_severity(text);
    if (severity == Severity::kOff) throw InvalidArgument("off");  // "skip" is the spelling
    return severity;
  }

  std::string kinds() const {
    std::string names;
    for (const auto& k : registry_.kinds()) names += (names.empty() ? "" : ", ") + k;
    return names;
  }

  std::string source_;
  const RuleRegistry& registry_;
  std::vector<Problem> problems_;
};

/// Parses `text` into `set`, returning every problem.
std::vector<Problem> parse_into(std::string_view text, const std::string& source,
                                const std::string& default_name, const RuleRegistry& registry,
                                RuleSet& set) {
  std::vector<Problem> problems;
  auto doc = parse_json(text, source, problems);
  if (!doc) return problems;
  detail::RuleAccess::set_source(set, source);
  detail::RuleAccess::set_name(set, default_name);
  detail::RuleAccess::set_hash(set, content_hash(text));
  detail::RuleAccess::set_text(set, std::string(text));
  Parser parser(source, registry);
  parser.parse_document(*doc, set);
  for (auto& p : parser.problems()) problems.push_back(std::move(p));
  detail::RuleAccess::set_document(set, std::move(*doc));
  return problems;
}

// Reads at most kMaxRulesFileBytes + 1 bytes, so /dev/zero or a huge file costs little and is
// reported as too large; pipes and /dev/stdin work (bounded the same way).
std::optional<std::string> read_file(const std::string& path, std::vector<Problem>& problems) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    problems.push_back({path, "", 0, 0, "cannot read rules file: is a directory"});
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problems.push_back({path, "", 0, 0, "cannot open rules file: expected a readable JSON file"});
    return std::nullopt;
  }
  std::string bytes(kMaxRulesFileBytes + 1, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (in.bad()) {
    problems.push_back({path, "", 0, 0, "cannot read rules file"});
    return std::nullopt;
  }
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  if (bytes.size() > kMaxRulesFileBytes) {
    problems.push_back({path, "", 0, 0,
                        "larger than the limit of " + std::to_string(kMaxRulesFileBytes) +
                            " bytes (1 MiB) for a rules file"});
    return std::nullopt;
  }
  return bytes;
}

}  // namespace

std::string_view to_string(ScoringModel model) noexcept {
  return model == ScoringModel::kPenalty ? "penalty" : "weighted";
}

ScoringModel parse_scoring_model(std::string_view text) {
  if (text == "penalty") return ScoringModel::kPenalty;
  if (text == "weighted") return ScoringModel::kWeighted;
  throw InvalidArgument("invalid scoring model '" + std::string(text) +
                        "': expected penalty or weighted");
}

std::string content_hash(std::string_view bytes) {
  std::uint64_t hash = 14695981039346656037ULL;  // FNV-1a 64 offset basis
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ULL;  // FNV prime
  }
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

RuleSet::RuleSet() : name_("empty"), hash_(content_hash("")), document_(json::object()) {}

RuleSet RuleSet::parse(std::string_view text, std::string_view name, const RuleRegistry& registry) {
  RuleSet set;
  auto problems = parse_into(text, std::string(name), std::string(name), registry, set);
  if (!problems.empty()) throw RulesError(std::move(problems));
  return set;
}

RuleSet RuleSet::load_file(const std::string& path, const RuleRegistry& registry) {
  std::vector<Problem> problems;
  auto text = read_file(path, problems);
  if (!text) throw RulesError(std::move(problems));
  RuleSet set;
  problems = parse_into(*text, path, std::filesystem::path(path).stem().string(), registry, set);
  if (!problems.empty()) throw RulesError(std::move(problems));
  return set;
}

RuleSet RuleSet::default_rules() {
  // Parsed once; copies share the rules. A broken default.json is a build defect (caught by
  // the test suite), not a user error.
  static const RuleSet rules = parse(default_rules_text(), "default");
  return rules;
}

std::vector<Problem> RuleSet::check(std::string_view text, std::string_view name,
                                    const RuleRegistry& registry) {
  RuleSet set;
  return parse_into(text, std::string(name), std::string(name), registry, set);
}

std::vector<Problem> RuleSet::check_file(const std::string& path, const RuleRegistry& registry) {
  std::vector<Problem> problems;
  auto text = read_file(path, problems);
  if (!text) return problems;
  RuleSet set;
  return parse_into(*text, path, std::filesystem::path(path).stem().string(), registry, set);
}

std::vector<std::shared_ptr<const Rule>> RuleSet::active_rules(Phase phase) const {
  std::vector<std::shared_ptr<const Rule>> out;
  for (const auto& rule : rules_) {
    if (rule->info().severity == Severity::kOff) continue;
    if (phase == Phase::kAll || rule->phase() == phase) out.push_back(rule);
  }
  return out;
}

bool RuleSet::governs(std::string_view experiment) const noexcept {
  return detail::matches_any(experiments_, experiment);
}

std::shared_ptr<const Rule> RuleSet::find(std::string_view id) const {
  for (const auto& rule : rules_) {
    if (rule->info().id == id) return rule;
  }
  return nullptr;
}

}  // namespace vigil::rules
