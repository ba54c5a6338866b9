// `vigil runs ls|show|tag|untag|rm`.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "errors.h"
#include "output.h"
#include "run_details.h"
#include "run_filter_options.h"
#include "run_list.h"
#include "store_access.h"
#include "vigil/tracker/store.h"
#include "vigil/tracker/tags.h"
#include "vigil/tracker/text.h"

namespace vigil::cli {

namespace {

constexpr const char* kRunHelp = "Run id, unique id prefix or unique run name";

struct LsOptions {
  RunFilterOptions filter;
  Format format = Format::kTable;
};

struct ShowOptions {
  std::string run;
  Format format = Format::kTable;
};

struct TagOptions {
  std::string run;
  std::vector<std::string> tags;
};

struct RmOptions {
  std::vector<std::string> runs;
  bool yes = false;
};

void run_ls(const Context& context, const LsOptions& options) {
  tracker::RunFilter filter = options.filter.to_filter();
  tracker::Store store = open_store(context.store_uri, StoreAccess::kRead);
  print_runs(std::cout, store.list_runs(filter), options.format);
}

void run_show(const Context& context, const ShowOptions& options) {
  tracker::Store store = open_store(context.store_uri, StoreAccess::kRead);
  tracker::RunInfo run = store.get_run(store.resolve_run(options.run).id);
  print_run_details(std::cout, store, run, options.format);
}

void run_tag(const Context& context, const TagOptions& options, bool add) {
  // Before the store is opened for writing; the store applies the same rule again.
  for (const std::string& tag : options.tags) {
    tracker::check_tag(tag, add ? tracker::TagChange::kAdd : tracker::TagChange::kRemove);
  }
  tracker::Store store = open_store(context.store_uri, StoreAccess::kWrite);
  std::string id = store.resolve_run(options.run).id;
  if (add) {
    store.add_tags(id, options.tags);
  } else {
    store.remove_tags(id, options.tags);
  }
  tracker::RunInfo run = store.get_run(id);
  std::cout << short_id(id) << " tags: "
            << (run.tags.empty() ? "(none)" : tracker::escape_for_terminal(join(run.tags, ", ")))
            << '\n';
}

bool confirm_on_terminal(std::size_t count) {
  std::cerr << "Delete " << count << (count == 1 ? " run" : " runs") << "? [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  answer = ascii_lower(answer);
  return answer == "y" || answer == "yes";
}

void run_rm(Context& context, const RmOptions& options) {
  tracker::Store store = open_store(context.store_uri, StoreAccess::kWrite);
  // Resolve every argument first: one unknown id deletes nothing.
  std::vector<std::string> ids;
  for (const std::string& run : options.runs) {
    tracker::RunInfo info = store.get_run(store.resolve_run(run).id);
    // A live process would keep writing into a deleted run; a dead one shows as crashed.
    if (info.status == tracker::RunStatus::kRunning) {
      throw UsageError("run " + info.id + " is still running (pid " + std::to_string(info.pid) +
                       " on " + info.host + "); stop it before deleting it");
    }
    if (std::find(ids.begin(), ids.end(), info.id) == ids.end()) ids.push_back(info.id);
  }
  if (!options.yes) {
    if (!::isatty(STDIN_FILENO)) {
      throw UsageError("refusing to delete " + std::to_string(ids.size()) +
                       " run(s) without confirmation (stdin is not a terminal); pass --yes");
    }
    if (!confirm_on_terminal(ids.size())) {
      std::cerr << "Nothing deleted.\n";
      context.exit_code = 1;
      return;
    }
  }
  store.delete_runs(ids);
  for (const std::string& id : ids) std::cout << "deleted " << id << '\n';
}

}  // namespace

void add_runs_command(CLI::App& app, Context* context) {
  CLI::App* runs = app.add_subcommand("runs", "List, inspect, tag and delete runs");
  require_subcommand(runs);

  auto ls_options = std::make_shared<LsOptions>();
  CLI::App* ls = runs->add_subcommand("ls", "List runs, newest first");
  ls->footer(
      "table: short id, name, experiment, status, created (local time), duration, verdict, "
      "score, tags (verdict tags omitted), sized to the terminal; nothing is cut when stdout is "
      "not a terminal.\n"
      "json: an array of run objects (id, name, experiment, status, times, params, results, "
      "tags, metrics {series: {last, min, max, count, last_step}}, verdict, score, ...).\n"
      "csv: id, name, experiment, status, created_at, started_at, finished_at, duration_s, "
      "verdict, score, tags (';'-joined), then param.PATH, result.PATH and metric.SERIES (last "
      "value) columns over all listed runs.");
  add_run_filter_options(ls, &ls_options->filter);
  add_format_option(ls, &ls_options->format, {Format::kTable, Format::kJson, Format::kCsv});
  ls->callback([context, ls_options] { run_ls(*context, *ls_options); });

  auto show_options = std::make_shared<ShowOptions>();
  CLI::App* show = runs->add_subcommand("show", "Show everything about one run");
  show->add_option("run", show_options->run, kRunHelp)->required();
  add_format_option(show, &show_options->format, {Format::kTable, Format::kJson});
  show->callback([context, show_options] { run_show(*context, *show_options); });

  for (bool add : {true, false}) {
    auto tag_options = std::make_shared<TagOptions>();
    CLI::App* tag = runs->add_subcommand(add ? "tag" : "untag",
                                         add ? "Add tags to a run" : "Remove tags from a run");
    tag->add_option("run", tag_options->run, kRunHelp)->required();
    tag->add_option("tags", tag_options->tags, "Tags")->required();
    tag->callback([context, tag_options, add] { run_tag(*context, *tag_options, add); });
  }

  auto rm_options = std::make_shared<RmOptions>();
  CLI::App* rm = runs->add_subcommand("rm", "Delete runs with all their data");
  rm->footer(
      "Asks 'Delete N runs? [y/N]' when stdin is a terminal (declining exits 1, nothing "
      "deleted); without a terminal --yes is required (else exit 2). Every RUN is resolved "
      "before anything is deleted; running runs are refused (exit 2).");
  rm->add_option("runs", rm_options->runs, "Run ids, unique id prefixes or unique run names")
      ->required();
  rm->add_flag("-y,--yes", rm_options->yes, "Delete without asking");
  rm->callback([context, rm_options] { run_rm(*context, *rm_options); });
}

}  // namespace vigil::cli
