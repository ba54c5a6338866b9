#include "run_details.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "validation_output.h"
#include "vigil/tracker/text.h"

namespace vigil::cli {

namespace {

constexpr int kLabelWidth = 12;

void field(std::ostream& out, const std::string& label, const std::string& value) {
  std::string padded = label;
  padded.resize(kLabelWidth, ' ');
  out << padded << tracker::escape_for_terminal(value) << '\n';
}

std::string time_text(tracker::Timestamp t) {
  return tracker::format_time(t) + " (" + format_local_time(t) + " local)";
}

void print_tree(std::ostream& out, const std::string& title, const nlohmann::json& object) {
  out << '\n' << title << '\n';
  auto leaves = flatten_json(object);
  if (leaves.empty()) {
    out << "  (none)\n";
    return;
  }
  Table table;
  table.add_column("  PATH");
  table.add_column("VALUE");
  std::vector<std::pair<std::string, std::string>> blocks;  // multi-line values, shown below
  for (const auto& [path, value] : leaves) {
    std::string text = json_scalar_text(value);
    if (text.find('\n') != std::string::npos) {
      blocks.emplace_back(path, text);
      text =
          "(" + std::to_string(std::count(text.begin(), text.end(), '\n') + 1) + " lines, below)";
    }
    table.add_row({"  " + path, text});
  }
  std::ostringstream rendered;
  // Values are never truncated here: `show` is where a reader goes for the full value.
  table.render(rendered, std::numeric_limits<std::size_t>::max());
  // Drop the header line: the section title says what the rows are.
  std::string text = rendered.str();
  out << text.substr(text.find('\n') + 1);
  for (const auto& [path, block] : blocks) {
    out << "  " << tracker::escape_for_terminal(path) << ":\n";
    std::istringstream lines(block);
    for (std::string line; std::getline(lines, line);) {
      out << "    " << tracker::escape_for_terminal(line) << '\n';
    }
  }
}

void print_series(std::ostream& out, const std::vector<tracker::SeriesSummary>& series) {
  out << "\nMetrics\n";
  if (series.empty()) {
    out << "  (none)\n";
    return;
  }
  Table table;
  table.add_column("  SERIES", Align::kLeft, 16);
  table.add_column("LAST", Align::kRight);
  table.add_column("MIN", Align::kRight);
  table.add_column("MAX", Align::kRight);
  table.add_column("COUNT", Align::kRight);
  table.add_column("LAST STEP", Align::kRight);
  for (const tracker::SeriesSummary& summary : series) {
    table.add_row({"  " + summary.key.qualified_name(), format_number(summary.last),
                   format_number(summary.min), format_number(summary.max),
                   std::to_string(summary.count), std::to_string(summary.last_step)});
  }
  table.render(out, output_width());
}

// A distributed job's ranks (nothing for a run of one process): where each ran, how it ended.
void print_ranks(std::ostream& out, const std::vector<tracker::RankInfo>& ranks) {
  if (ranks.empty()) return;
  out << "\nRanks (world size " << ranks.front().world_size << ")\n";
  Table table;
  table.add_column("  RANK", Align::kRight);
  table.add_column("LOCAL", Align::kRight);
  table.add_column("HOST");
  table.add_column("PID", Align::kRight);
  table.add_column("DEVICE");
  table.add_column("STATUS");
  table.add_column("LAST HEARTBEAT");
  table.add_column("FINISHED");
  table.add_column("ERROR", Align::kLeft, 16);
  for (const tracker::RankInfo& rank : ranks) {
    table.add_row({"  " + std::to_string(rank.rank), std::to_string(rank.local_rank), rank.host,
                   std::to_string(rank.pid), rank.device.empty() ? "-" : rank.device,
                   std::string(tracker::to_string(rank.status)),
                   tracker::format_time(rank.heartbeat_at),
                   rank.finished_at ? tracker::format_time(*rank.finished_at) : "-",
                   rank.error.empty() ? "-" : rank.error});
  }
  table.render(out, output_width());
}

void print_text(std::ostream& out, const tracker::Store& store, const tracker::RunInfo& run) {
  field(out, "Run", run.id);
  field(out, "Name", run.name.empty() ? "-" : run.name);
  field(out, "Experiment", run.experiment);
  field(out, "Status", std::string(tracker::to_string(run.status)));
  if (!run.error.empty()) field(out, "Error", run.error);
  field(out, "Created", time_text(run.created_at));
  field(out, "Started", time_text(run.started_at));
  field(out, "Finished", run.finished_at ? time_text(*run.finished_at) : "-");
  field(out, "Duration", format_duration(run_duration(run)));
  field(out, "Host", run.host.empty() ? "-" : run.host + " (pid " + std::to_string(run.pid) + ")");
  field(out, "Command", run.command.empty() ? "-" : run.command);
  field(out, "Tags", run.tags.empty() ? "-" : join(run.tags, ", "));
  field(out, "Verdict",
        run.verdict ? *run.verdict + (run.score ? " (score " + format_score(*run.score) + ")" : "")
                    : "not validated");
  print_tree(out, "Params", run.params);
  print_tree(out, "Results", run.results);
  print_series(out, run.metrics);
  print_ranks(out, store.ranks(run.id));
  if (std::optional<tracker::ValidationRecord> record = store.latest_validation(run.id)) {
    out << "\nLatest validation\n";
    print_validation_record(out, *record);
  }
}

}  // namespace

void print_run_details(std::ostream& out, const tracker::Store& store, const tracker::RunInfo& run,
                       Format format) {
  if (format == Format::kJson) {
    nlohmann::json j = run;
    std::optional<tracker::ValidationRecord> record = store.latest_validation(run.id);
    j["validation"] = record ? nlohmann::json(*record) : nlohmann::json(nullptr);
    j["ranks"] = store.ranks(run.id);  // [] for a run of one process
    out << j.dump(2) << '\n';
    return;
  }
  print_text(out, store, run);
}

}  // namespace vigil::cli
