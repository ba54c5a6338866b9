#include "vigil/rules/policy.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <system_error>
#include <vector>

#include "detail.h"
#include "vigil/rules/errors.h"
#include "vigil/tracker/store.h"

namespace vigil::rules {
namespace {

[[noreturn]] void fail(const std::string& source, const std::string& message) {
  throw RulesError({Problem{source, "", 0, 0, message}});
}

// The *.json files of `directory`, sorted, at most kMaxPolicyFiles.
std::vector<std::string> policy_files(const std::string& directory) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) {
    fail(directory, "policy directory not found: expected a directory of rules files (*.json)");
  }
  std::vector<std::string> files;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".json" || it->is_directory(ec)) continue;
    files.push_back(it->path().string());
    if (files.size() > kMaxPolicyFiles) {
      fail(directory, "more than " + std::to_string(kMaxPolicyFiles) +
                          " policy files: expected at most that many *.json files");
    }
  }
  if (ec) fail(directory, "cannot list the policy directory: " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

// Characters other than `*` of the most specific pattern of `rules` matching `experiment`, or
// nullopt when none matches.
std::optional<std::size_t> specificity(const RuleSet& rules, std::string_view experiment) {
  std::optional<std::size_t> best;
  for (const auto& pattern : rules.experiments()) {
    if (!detail::series_matches(pattern, experiment)) continue;
    const auto literal = static_cast<std::size_t>(
        std::count_if(pattern.begin(), pattern.end(), [](char c) { return c != '*'; }));
    if (!best || literal > *best) best = literal;
  }
  return best;
}

}  // namespace

std::string resolve_policy_dir(std::string_view explicit_dir) {
  if (!explicit_dir.empty()) return std::string(explicit_dir);
  const char* env = std::getenv("VIGIL_POLICY_DIR");
  return env != nullptr ? std::string(env) : std::string();
}

RuleSet policy_for_experiment(std::string_view experiment, const std::string& directory) {
  if (directory.empty()) return RuleSet::default_rules();
  std::optional<RuleSet> chosen;
  std::optional<std::string> rival;  // a file as specific as `chosen`
  std::size_t chosen_specificity = 0;
  for (const auto& file : policy_files(directory)) {
    RuleSet rules = RuleSet::load_file(file);
    const auto match = specificity(rules, experiment);
    if (!match) continue;
    if (chosen && *match == chosen_specificity) {
      rival = file;
    } else if (!chosen || *match > chosen_specificity) {
      chosen_specificity = *match;
      chosen = std::move(rules);
      rival.reset();
    }
  }
  if (rival) {
    fail(*rival, "governs experiment '" + std::string(experiment) + "' as specifically as " +
                     chosen->source() + ": expected one policy per experiment");
  }
  return chosen ? *chosen : RuleSet::default_rules();
}

void store_policy(tracker::Store& store, const RuleSet& rules) {
  store.put_policy({rules.hash(), rules.name(), rules.version(), rules.text(), 0.0});
}

}  // namespace vigil::rules
