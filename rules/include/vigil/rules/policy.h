#pragma once

// Policies bound to experiments: a directory of rules files, each naming the experiments it
// governs ("experiments": ["mnist*"]), and the choice of the policy for a run's experiment.

#include <cstddef>
#include <string>
#include <string_view>

#include "vigil/rules/rule_set.h"

namespace vigil::tracker {
class Store;
}  // namespace vigil::tracker

namespace vigil::rules {

/// The most policy files a policy directory may hold (*.json files, not recursive); more is a
/// RulesError naming the directory.
inline constexpr std::size_t kMaxPolicyFiles = 256;

/// `explicit_dir` when not empty, else $VIGIL_POLICY_DIR (when set and not empty), else "".
std::string resolve_policy_dir(std::string_view explicit_dir);

/// The policy governing `experiment`: among the *.json files of `directory` (every one must be
/// a valid rules file: a broken team policy is an error, never skipped), the one with an
/// "experiments" pattern matching `experiment`; when several match, the one whose matching
/// pattern is the most specific (most characters other than `*`). No directory (""), or no
/// match: the shipped default policy. Throws RulesError naming the file or directory (not
/// readable, invalid, too many files) and when two files match equally specifically.
///
/// Example (what `vigil validate` does for a run without --rules):
///   RuleSet rules = policy_for_experiment(run.experiment, resolve_policy_dir({}));
RuleSet policy_for_experiment(std::string_view experiment, const std::string& directory);

/// Keeps the policy's text, name and version in `store` under its hash (once per hash), so a
/// verdict can be explained after the file changed (`vigil rules show --hash`). The shipped
/// default policy is stored like any other.
void store_policy(tracker::Store& store, const RuleSet& rules);

}  // namespace vigil::rules
