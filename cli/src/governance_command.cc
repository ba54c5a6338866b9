// `vigil waive`, `vigil unwaive`, `vigil waivers ls` and `vigil audit`: exceptions to rules and
// the store's audit log.
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "errors.h"
#include "output.h"
#include "store_access.h"
#include "vigil/tracker/governance.h"
#include "vigil/tracker/store.h"
#include "vigil/tracker/text.h"

namespace vigil::cli {
namespace {

struct WaiveOptions {
  std::vector<std::string> targets;  // RUN RULE_ID, or RULE_ID with --experiment
  std::string experiment;
  std::string reason;
  std::string until;
  std::string by;
};

struct WaiversOptions {
  std::string run;
  std::string experiment;
  bool all = false;
  Format format = Format::kTable;
};

struct AuditOptions {
  std::string run;
  std::string since;
  std::size_t limit = 0;
  Format format = Format::kTable;
};

void run_waive(Context& context, const WaiveOptions& options) {
  tracker::Waiver waiver;
  const std::size_t wanted = options.experiment.empty() ? 2 : 1;
  if (options.targets.size() != wanted) {
    throw UsageError(options.experiment.empty()
                         ? "waive: expected RUN RULE_ID (or RULE_ID with --experiment E)"
                         : "waive: with --experiment, expected only RULE_ID");
  }
  if (wanted == 2) waiver.run_id = options.targets[0];
  waiver.experiment = options.experiment;
  waiver.rule_id = options.targets.back();
  waiver.reason = options.reason;
  waiver.owner = options.by;
  if (!options.until.empty()) {
    waiver.until = tracker::parse_time_bound(options.until, tracker::TimeBound::kEnd);
  }
  tracker::Store store = open_store(context.store_uri, StoreAccess::kWrite);
  const std::int64_t id = store.add_waiver(waiver);
  std::cout << "waiver " << id << ": rule " << tracker::escape_for_terminal(waiver.rule_id)
            << " waived for "
            << (waiver.run_id.empty()
                    ? "experiment " + tracker::escape_for_terminal(waiver.experiment)
                    : "run " + tracker::escape_for_terminal(waiver.run_id))
            << (waiver.until ? " until " + tracker::format_time(*waiver.until) : "") << '\n';
}

std::string time_or_dash(const std::optional<tracker::Timestamp>& t) {
  return t ? format_local_time(*t) : "-";
}

void print_waivers(const std::vector<tracker::Waiver>& waivers) {
  Table table;
  for (const char* header : {"ID", "TARGET", "RULE", "OWNER", "GRANTED", "UNTIL", "STATE"}) {
    table.add_column(header);
  }
  table.add_column("REASON", Align::kLeft, 10);
  const tracker::Timestamp now = tracker::now();
  for (const auto& w : waivers) {
    const std::string target =
        w.run_id.empty() ? "experiment " + w.experiment : "run " + w.run_id.substr(0, 8);
    const std::string state = w.revoked_at      ? "revoked by " + w.revoked_by
                              : w.in_force(now) ? "in force"
                                                : "expired";
    table.add_row({std::to_string(w.id), target, w.rule_id, w.owner,
                   format_local_time(w.created_at), time_or_dash(w.until), state, w.reason});
  }
  table.render(std::cout, output_width());
}

void run_waivers(Context& context, const WaiversOptions& options) {
  tracker::Store store = open_store(context.store_uri, StoreAccess::kRead);
  tracker::WaiverQuery query;
  if (!options.run.empty()) {
    const tracker::RunInfo run = store.get_run(store.resolve_run(options.run).id);
    query.run_id = run.id;
    query.experiment = run.experiment;  // the experiment's waivers cover the run too
  }
  if (!options.experiment.empty()) query.experiment = options.experiment;
  if (!options.all) query.in_force_at = tracker::now();
  const auto waivers = store.waivers(query);
  if (options.format == Format::kJson) {
    std::cout << nlohmann::json(waivers).dump(2) << '\n';
    return;
  }
  if (waivers.empty()) {
    std::cout << (options.all ? "no waivers\n" : "no waivers in force (--all lists every one)\n");
    return;
  }
  print_waivers(waivers);
}

void run_unwaive(Context& context, std::int64_t id, const std::string& by) {
  tracker::Store store = open_store(context.store_uri, StoreAccess::kWrite);
  store.revoke_waiver(id, by);
  std::cout << "waiver " << id << " revoked\n";
}

std::string details_text(const nlohmann::json& details) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : details.items()) {
    parts.push_back(key + "=" + json_scalar_text(value));
  }
  return join(parts, " ");
}

void run_audit(Context& context, const AuditOptions& options) {
  tracker::Store store = open_store(context.store_uri, StoreAccess::kRead);
  tracker::AuditQuery query;
  if (!options.run.empty()) query.run_id = options.run;
  if (!options.since.empty()) {
    query.since = tracker::parse_time_bound(options.since, tracker::TimeBound::kStart);
  }
  query.limit = options.limit;
  const auto events = store.audit_events(query);
  if (options.format == Format::kJson) {
    std::cout << nlohmann::json(events).dump(2) << '\n';
    return;
  }
  Table table;
  for (const char* header : {"ID", "TIME", "USER", "HOST", "ACTION", "RUN"}) {
    table.add_column(header);
  }
  table.add_column("DETAILS", Align::kLeft, 10);
  for (const auto& e : events) {
    table.add_row({std::to_string(e.id), format_local_time(e.at), e.user, e.host, e.action,
                   e.run_id.empty() ? "-" : e.run_id.substr(0, 8), details_text(e.details)});
  }
  table.render(std::cout, output_width());
}

}  // namespace

void add_governance_commands(CLI::App& app, Context* context) {
  auto waive = std::make_shared<WaiveOptions>();
  CLI::App* waive_app = app.add_subcommand(
      "waive",
      "Waive a rule for a run (RUN RULE_ID) or a whole experiment (--experiment E RULE_ID)");
  waive_app->footer(
      "A waived violation is still reported, marked waived with its reason, owner and expiry, "
      "and does not count in the score or the verdict while the waiver is in force (from the "
      "next 'vigil validate'). The owner is the OS user unless --by is given.");
  waive_app->add_option("targets", waive->targets, "RUN RULE_ID, or RULE_ID with --experiment")
      ->required()
      ->expected(1, 2);
  waive_app->add_option("--experiment", waive->experiment, "Waive for every run of experiment E");
  waive_app->add_option("--reason", waive->reason, "Why the exception is granted")->required();
  waive_app->add_option("--until", waive->until,
                        "Expiry: YYYY-MM-DD[THH:MM[:SS]] UTC (a date: its end); default none");
  waive_app->add_option("--by", waive->by, "Owner of the waiver (default: the OS user)");
  waive_app->callback([context, waive] { run_waive(*context, *waive); });

  auto unwaive_id = std::make_shared<std::int64_t>(0);
  auto unwaive_by = std::make_shared<std::string>();
  CLI::App* unwaive = app.add_subcommand("unwaive", "Revoke a waiver by its id (vigil waivers ls)");
  unwaive->add_option("id", *unwaive_id, "Waiver id")->required();
  unwaive->add_option("--by", *unwaive_by, "Who revokes it (default: the OS user)");
  unwaive->callback(
      [context, unwaive_id, unwaive_by] { run_unwaive(*context, *unwaive_id, *unwaive_by); });

  auto waivers = std::make_shared<WaiversOptions>();
  CLI::App* waivers_app = app.add_subcommand("waivers", "List waivers");
  require_subcommand(waivers_app);
  CLI::App* ls = waivers_app->add_subcommand("ls", "List the waivers in force (--all: every one)");
  ls->add_option("--run", waivers->run, "Waivers covering this run (its own and its experiment's)");
  ls->add_option("--experiment", waivers->experiment, "Waivers of this experiment");
  ls->add_flag("--all", waivers->all, "Include revoked and expired waivers");
  add_format_option(ls, &waivers->format, {Format::kTable, Format::kJson});
  ls->callback([context, waivers] { run_waivers(*context, *waivers); });

  auto audit = std::make_shared<AuditOptions>();
  CLI::App* audit_app = app.add_subcommand("audit", "Show the store's append-only audit log");
  audit_app->footer(
      "Runs started/finished/refused/aborted/deleted, validations (policy hash, verdict), "
      "waivers granted/revoked, tags added/removed and policies stored, with the OS user and "
      "host, oldest first. A deleted run's events stay: --run accepts its id or id prefix.");
  audit_app->add_option("--run", audit->run, "Events of this run (id, prefix or name)");
  audit_app->add_option("--since", audit->since, "Events at or after this date");
  audit_app->add_option("--limit", audit->limit, "Only the newest N events");
  add_format_option(audit_app, &audit->format, {Format::kTable, Format::kJson});
  audit_app->callback([context, audit] { run_audit(*context, *audit); });
}

}  // namespace vigil::cli
