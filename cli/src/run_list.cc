#include "run_list.h"

#include <cassert>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "vigil/tracker/query.h"

namespace vigil::cli {

namespace {

void print_table(std::ostream& out, const std::vector<tracker::RunInfo>& runs) {
  if (runs.empty()) {
    out << "No runs found.\n";
    return;
  }
  Table table;
  table.add_column("ID");
  table.add_column("NAME", Align::kLeft, 10);
  table.add_column("EXPERIMENT", Align::kLeft, 8);
  table.add_column("STATUS");
  table.add_column("CREATED");
  table.add_column("DURATION", Align::kRight);
  table.add_column("VERDICT");
  table.add_column("SCORE", Align::kRight);
  table.add_column("TAGS", Align::kLeft, 4);
  for (const tracker::RunInfo& run : runs) {
    std::vector<std::string> tags;
    for (const std::string& tag : run.tags) {
      if (!tracker::is_verdict_tag(tag)) tags.push_back(tag);
    }
    table.add_row({short_id(run.id), run.name.empty() ? "-" : run.name, run.experiment,
                   std::string(tracker::to_string(run.status)), format_local_time(run.created_at),
                   format_duration(run_duration(run)), run.verdict.value_or("-"),
                   run.score ? format_score(*run.score) : "-", join(tags, ",")});
  }
  table.render(out, output_width());
}

void print_json(std::ostream& out, const std::vector<tracker::RunInfo>& runs) {
  nlohmann::json array = nlohmann::json::array();
  for (const tracker::RunInfo& run : runs) array.push_back(run);
  out << array.dump(2) << '\n';
}

void print_csv(std::ostream& out, const std::vector<tracker::RunInfo>& runs) {
  // Flattened params/results per run, and the union of their paths for the header.
  std::vector<std::map<std::string, std::string>> params(runs.size());
  std::vector<std::map<std::string, std::string>> results(runs.size());
  std::vector<std::map<std::string, std::string>> metrics(runs.size());
  std::set<std::string> param_paths;
  std::set<std::string> result_paths;
  std::set<std::string> series_names;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    for (const auto& [path, value] : flatten_json(runs[i].params)) {
      params[i][path] = json_scalar_text(value);
      param_paths.insert(path);
    }
    for (const auto& [path, value] : flatten_json(runs[i].results)) {
      results[i][path] = json_scalar_text(value);
      result_paths.insert(path);
    }
    for (const tracker::SeriesSummary& summary : runs[i].metrics) {
      std::string name = summary.key.qualified_name();
      metrics[i][name] = format_number(summary.last);
      series_names.insert(name);
    }
  }
  CsvWriter csv(out);
  std::vector<std::string> header = {"id",         "name",       "experiment",  "status",
                                     "created_at", "started_at", "finished_at", "duration_s",
                                     "verdict",    "score",      "tags"};
  for (const std::string& path : param_paths) header.push_back("param." + path);
  for (const std::string& path : result_paths) header.push_back("result." + path);
  for (const std::string& name : series_names) header.push_back("metric." + name);
  csv.write_row(header);
  auto cell = [](const std::map<std::string, std::string>& values, const std::string& key) {
    auto found = values.find(key);
    return found == values.end() ? std::string() : found->second;
  };
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const tracker::RunInfo& run = runs[i];
    double duration = run_duration(run);
    std::vector<std::string> row = {run.id,
                                    run.name,
                                    run.experiment,
                                    std::string(tracker::to_string(run.status)),
                                    tracker::format_time(run.created_at),
                                    tracker::format_time(run.started_at),
                                    run.finished_at ? tracker::format_time(*run.finished_at) : "",
                                    duration >= 0 ? format_number(duration) : "",
                                    run.verdict.value_or(""),
                                    run.score ? format_number(*run.score) : "",
                                    join(run.tags, ";")};
    for (const std::string& path : param_paths) row.push_back(cell(params[i], path));
    for (const std::string& path : result_paths) row.push_back(cell(results[i], path));
    for (const std::string& name : series_names) row.push_back(cell(metrics[i], name));
    csv.write_row(row);
  }
}

}  // namespace

std::string short_id(const std::string& run_id) { return run_id.substr(0, 8); }

void print_runs(std::ostream& out, const std::vector<tracker::RunInfo>& runs, Format format) {
  switch (format) {
    case Format::kTable:
      print_table(out, runs);
      return;
    case Format::kJson:
      print_json(out, runs);
      return;
    case Format::kCsv:
      print_csv(out, runs);
      return;
    case Format::kJunit:  // not offered by `runs ls` (add_format_option refuses them)
    case Format::kMarkdown:
    case Format::kHtml:
      break;
  }
  assert(false && "print_runs: format not offered by runs ls");
}

}  // namespace vigil::cli
