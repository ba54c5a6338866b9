// `vigil rules check|show`: inspect rules files without touching a store.
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "errors.h"
#include "output.h"
#include "store_access.h"
#include "vigil/rules/format.h"
#include "vigil/rules/rule_set.h"
#include "vigil/tracker/store.h"
#include "vigil/tracker/text.h"

namespace vigil::cli {

namespace {

struct CheckOptions {
  std::vector<std::string> files;
};

struct RulesShowOptions {
  std::string file;  // empty = the default policy
  std::string hash;  // a policy kept in the store
  Format format = Format::kTable;
};

void run_check(Context& context, const CheckOptions& options) {
  for (const std::string& file : options.files) {
    std::vector<rules::Problem> problems = rules::RuleSet::check_file(file);
    if (problems.empty()) {
      std::size_t count = rules::RuleSet::load_file(file).rules().size();
      std::cout << tracker::escape_for_terminal(file) << ": ok, " << count
                << (count == 1 ? " rule" : " rules") << '\n';
      continue;
    }
    for (const rules::Problem& problem : problems) {
      std::cout << tracker::escape_for_terminal(problem.to_string()) << '\n';
    }
    std::cout << tracker::escape_for_terminal(file) << ": " << problems.size()
              << (problems.size() == 1 ? " problem" : " problems") << '\n';
    context.exit_code = 1;
  }
}

// A policy as the store kept it when it judged runs: exactly the text that produced verdicts.
void run_show_stored(Context& context, const RulesShowOptions& options) {
  if (!options.file.empty()) throw UsageError("rules show: give FILE or --hash, not both");
  tracker::Store store = open_store(context.store_uri, StoreAccess::kRead);
  const auto policy = store.policy(options.hash);
  if (!policy) {
    throw vigil::Error("no policy with hash '" + options.hash +
                           "' in the store: expected a rules_hash of a stored validation",
                       kExitNotFound);
  }
  if (options.format == Format::kJson) {
    std::cout << nlohmann::json(*policy).dump(2) << '\n';
    return;
  }
  std::cout << "policy " << tracker::escape_for_terminal(policy->name)
            << (policy->version.empty()
                    ? ""
                    : " version " + tracker::escape_for_terminal(policy->version))
            << ", hash " << policy->hash << ", first stored "
            << tracker::format_time(policy->stored_at) << "\n\n";
  std::string_view text = policy->text;  // line by line: the file's lines, nothing else
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    std::cout << tracker::escape_for_terminal(text.substr(0, end)) << '\n';
    text.remove_prefix(std::min(end + 1, text.size()));
  }
}

void run_show(Context& context, const RulesShowOptions& options) {
  if (!options.hash.empty()) {
    run_show_stored(context, options);
    return;
  }
  rules::RuleSet rule_set = options.file.empty() ? rules::RuleSet::default_rules()
                                                 : rules::RuleSet::load_file(options.file);
  if (options.format == Format::kJson) {
    std::cout << rule_set.document().dump(2) << '\n';
    return;
  }
  std::cout << rules::format_rule_set(rule_set);
}

}  // namespace

void add_rules_command(CLI::App& app, Context* context) {
  CLI::App* rules_app = app.add_subcommand("rules", "Check and show governance rules files");
  require_subcommand(rules_app);

  auto check_options = std::make_shared<CheckOptions>();
  CLI::App* check = rules_app->add_subcommand(
      "check", "Report every problem of rules files (exit 1 if any), else 'FILE: ok, N rules'");
  check->add_option("files", check_options->files, "Rules files (JSON)")->required();
  check->callback([context, check_options] { run_check(*context, *check_options); });

  auto show_options = std::make_shared<RulesShowOptions>();
  CLI::App* show = rules_app->add_subcommand(
      "show", "Print the effective rules of FILE (default: the shipped default policy)");
  show->add_option("file", show_options->file, "Rules file (JSON)");
  show->add_option("--hash", show_options->hash,
                   "A policy kept in the store: the rules_hash of a stored validation");
  add_format_option(show, &show_options->format, {Format::kTable, Format::kJson});
  show->callback([context, show_options] { run_show(*context, *show_options); });
}

}  // namespace vigil::cli
