// `vigil store copy|info|migrate`: whole-store operations, the same on every backend.
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "errors.h"
#include "output.h"
#include "run_filter_options.h"
#include "run_list.h"
#include "store_access.h"
#include "vigil/tracker/copy.h"
#include "vigil/tracker/store.h"

namespace vigil::cli {

namespace {

struct CopyCommandOptions {
  std::string source;
  std::string destination;
  RunFilterOptions filter;
  bool replace = false;
};

struct InfoOptions {
  std::string uri;
  Format format = Format::kTable;
};

std::string plural(std::int64_t count, const std::string& noun) {
  const bool invariant = noun == "series";  // one series, two series
  return std::to_string(count) + " " + noun + (count == 1 || invariant ? "" : "s");
}

void print_copied(const tracker::CopiedRun& run) {
  const std::string who = short_id(run.id) + "  " + run.name + " (" + run.experiment + ")";
  switch (run.outcome) {
    case tracker::CopyOutcome::kCopied:
    case tracker::CopyOutcome::kReplaced:
      std::cout << (run.outcome == tracker::CopyOutcome::kCopied ? "copied    " : "replaced  ")
                << who << ": " << plural(run.series, "series") << ", "
                << plural(run.points, "point") << ", " << plural(run.validations, "validation")
                << '\n';
      return;
    case tracker::CopyOutcome::kSkippedExisting:
      std::cout << "skipped   " << who
                << ": already in the destination (--replace copies it again)\n";
      return;
    case tracker::CopyOutcome::kSkippedRunning:
      std::cout << "skipped   " << who
                << ": still running (its process is writing; copy it once it has ended)\n";
      return;
  }
}

void run_copy(const Context& context, const CopyCommandOptions& options) {
  if (!context.store_uri.empty()) {
    throw UsageError("store copy takes the stores as SRC and DST; --store '" +
                     tracker::Store::redact_uri(context.store_uri) + "' is not used by it");
  }
  tracker::RunFilter filter = options.filter.to_filter();
  tracker::Store source = open_store(options.source, StoreAccess::kRead);
  tracker::StoreOptions destination_options;
  destination_options.handle_signals = false;
  // The destination is created when missing: copying into a new store is the point.
  tracker::Store destination(tracker::Store::resolve_uri(options.destination), destination_options);
  tracker::CopyOptions copy_options;
  copy_options.replace = options.replace;
  std::int64_t copied = 0, replaced = 0, skipped = 0, points = 0;
  tracker::copy_runs(source, destination, filter, copy_options, [&](const tracker::CopiedRun& run) {
    print_copied(run);
    switch (run.outcome) {
      case tracker::CopyOutcome::kCopied:
        ++copied;
        break;
      case tracker::CopyOutcome::kReplaced:
        ++replaced;
        break;
      default:
        ++skipped;
    }
    points += run.points;
  });
  std::cout << "copied " << plural(copied, "run") << ", replaced " << replaced << ", skipped "
            << skipped << "; " << plural(points, "point") << " written and verified\n";
}

void run_info(const Context& context, const InfoOptions& options) {
  if (!options.uri.empty() && !context.store_uri.empty() && options.uri != context.store_uri) {
    throw UsageError("store info: two stores given (URI '" +
                     tracker::Store::redact_uri(options.uri) + "' and --store '" +
                     tracker::Store::redact_uri(context.store_uri) + "'); expected one");
  }
  tracker::Store store =
      open_store(options.uri.empty() ? context.store_uri : options.uri, StoreAccess::kRead);
  const tracker::StoreInfo info = store.info();
  if (options.format == Format::kJson) {
    nlohmann::json out = {{"backend", info.backend},
                          {"location", info.location},
                          {"schema_version", info.schema_version},
                          {"runs", info.runs},
                          {"series", info.series},
                          {"points", info.points},
                          {"size_bytes", info.size_bytes ? nlohmann::json(*info.size_bytes)
                                                         : nlohmann::json(nullptr)}};
    std::cout << out.dump(2) << '\n';
    return;
  }
  std::cout << "backend         " << info.backend << '\n'
            << "location        " << info.location << '\n'
            << "schema version  " << info.schema_version << '\n'
            << "runs            " << info.runs << '\n'
            << "series          " << info.series << '\n'
            << "points          " << info.points << '\n'
            << "size on disk    "
            << (info.size_bytes ? std::to_string(*info.size_bytes) + " bytes" : "unknown") << '\n';
}

void run_migrate(const Context& context, const std::string& uri) {
  if (!uri.empty() && !context.store_uri.empty() && uri != context.store_uri) {
    throw UsageError("store migrate: two stores given (URI '" + tracker::Store::redact_uri(uri) +
                     "' and --store '" + tracker::Store::redact_uri(context.store_uri) +
                     "'); expected one");
  }
  tracker::Store store = open_store(uri.empty() ? context.store_uri : uri, StoreAccess::kWrite);
  const tracker::MigrationProgress done =
      store.migrate_chunks([](const tracker::MigrationProgress& progress) {
        std::cerr << "migrated " << progress.chunks_rewritten << " of " << progress.chunks_visited
                  << " chunks looked at\r" << std::flush;
      });
  std::cerr << '\n';
  std::cout << "rewrote " << plural(static_cast<std::int64_t>(done.chunks_rewritten), "chunk")
            << " in the current format; "
            << plural(static_cast<std::int64_t>(done.chunks_visited - done.chunks_rewritten),
                      "chunk")
            << " already were\n";
}

}  // namespace

void add_store_command(CLI::App& app, Context* context) {
  CLI::App* store =
      app.add_subcommand("store", "Whole-store operations: copy runs, show info, migrate");
  require_subcommand(store);

  auto copy_options = std::make_shared<CopyCommandOptions>();
  CLI::App* copy = store->add_subcommand("copy", "Copy runs from one store to another");
  copy->footer(
      "Copies each matching run with params, results, tags, status, every point (stored "
      "chunks byte for byte) and validations, oldest first, one transaction per run: readers "
      "of DST never see half a run. DST is created when missing. A run already in DST is "
      "skipped (--replace copies it again); running runs are skipped (their process is still "
      "writing). Point counts are read back from DST and compared (exit 1 on a difference). "
      "The runs' policies, waivers (also their experiments') and audit events go along, each "
      "added only when DST lacks it. SRC and DST must differ.");
  copy->add_option("source", copy_options->source, "Store to copy from (URI or path)")
      ->required()
      ->type_name("SRC");
  copy->add_option("destination", copy_options->destination, "Store to copy into (URI or path)")
      ->required()
      ->type_name("DST");
  add_run_filter_options(copy, &copy_options->filter);
  copy->add_flag("--replace", copy_options->replace,
                 "Replace runs already in DST instead of skipping them");
  copy->callback([context, copy_options] { run_copy(*context, *copy_options); });

  auto info_options = std::make_shared<InfoOptions>();
  CLI::App* info = store->add_subcommand("info", "Show a store's backend, size and counts");
  info->add_option("uri", info_options->uri, "Store (default: --store, $VIGIL_STORE, ...)")
      ->type_name("URI");
  add_format_option(info, &info_options->format, {Format::kTable, Format::kJson});
  info->callback([context, info_options] { run_info(*context, *info_options); });

  auto migrate_uri = std::make_shared<std::string>();
  CLI::App* migrate =
      store->add_subcommand("migrate", "Upgrade a store written by an older vigil version");
  migrate->footer(
      "Upgrades the store's schema to this version's (read-only commands such as `runs ls` "
      "refuse an older one), then rewrites every metric chunk stored in an older format (vigil "
      "0.1: 12 bytes a point) in "
      "the current one (about 4 bytes a point for float32 losses), in batches of one "
      "transaction each. Each chunk is checked to decode to the same points before it is "
      "stored. Safe to interrupt at any moment (kill -9 included) and to run again: it "
      "continues with the chunks still left. Training may write to the store meanwhile.");
  migrate->add_option("uri", *migrate_uri, "Store (default: --store, $VIGIL_STORE, ...)")
      ->type_name("URI");
  migrate->callback([context, migrate_uri] { run_migrate(*context, *migrate_uri); });
}

}  // namespace vigil::cli
