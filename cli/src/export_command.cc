// `vigil export`: metric points of the selected runs in long format, streamed.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "errors.h"
#include "output.h"
#include "output_file.h"
#include "run_filter_options.h"
#include "store_access.h"
#include "vigil/error.h"
#include "vigil/tracker/errors.h"
#include "vigil/tracker/store.h"
#include "vigil/tracker/text.h"

namespace vigil::cli {

namespace {

struct ExportOptions {
  RunFilterOptions filter;
  Format format = Format::kCsv;
  std::string output;                // empty = stdout
  std::vector<std::string> metrics;  // series selectors; empty = all series
};

/// One exported point with the run and series it belongs to.
struct PointRow {
  const tracker::RunInfo* run;
  const tracker::SeriesKey* series;
  std::string context_text;  // "subset=val", the braces' content of the qualified name
  const tracker::MetricPoint* point;
};

/// Writes rows as they come; finish() closes the document.
class RowWriter {
 public:
  virtual ~RowWriter() = default;
  virtual void write(const PointRow& row) = 0;
  virtual void finish() = 0;
};

class CsvRowWriter : public RowWriter {
 public:
  explicit CsvRowWriter(std::ostream& out) : csv_(out) {
    csv_.write_row({"run_id", "run_name", "experiment", "metric", "context", "step", "epoch",
                    "value", "time"});
  }
  void write(const PointRow& row) override {
    csv_.write_row({row.run->id, row.run->name, row.run->experiment, row.series->name,
                    row.context_text, std::to_string(row.point->step),
                    row.point->epoch ? std::to_string(*row.point->epoch) : "",
                    format_number(row.point->value), tracker::format_time(row.point->time)});
  }
  void finish() override {}

 private:
  CsvWriter csv_;
};

class JsonRowWriter : public RowWriter {
 public:
  explicit JsonRowWriter(std::ostream& out) : out_(out) { out_ << '['; }
  void write(const PointRow& row) override {
    // ordered_json: keys in column order, like the CSV header.
    nlohmann::ordered_json j = {
        {"run_id", row.run->id},
        {"run_name", row.run->name},
        {"experiment", row.run->experiment},
        {"metric", row.series->name},
        {"context",
         row.series->context.is_object() ? row.series->context : nlohmann::json::object()},
        {"step", row.point->step},
        {"epoch", row.point->epoch ? nlohmann::ordered_json(*row.point->epoch)
                                   : nlohmann::ordered_json(nullptr)},
        {"value", nlohmann::ordered_json(tracker::finite_or_string(row.point->value))},
        {"time", tracker::format_time(row.point->time)}};
    out_ << (first_ ? "\n" : ",\n") << j.dump();
    first_ = false;
  }
  void finish() override { out_ << (first_ ? "]\n" : "\n]\n"); }

 private:
  std::ostream& out_;
  bool first_ = true;
};

/// Which series to export: every series, or those named by --metric (a bare name selects all
/// contexts of that metric; a qualified name "loss{subset=val}" exactly that series).
class SeriesSelector {
 public:
  explicit SeriesSelector(const std::vector<std::string>& selectors) {
    for (const std::string& text : selectors) {
      if (text.find('{') == std::string::npos) {
        names_.insert(text);
      } else {
        qualified_.insert(tracker::SeriesKey::parse(text).qualified_name());
      }
    }
    selectors_ = selectors;
  }
  bool matches(const tracker::SeriesKey& key) {
    if (names_.empty() && qualified_.empty()) return true;
    bool by_name = names_.count(key.name) > 0;
    std::string qualified = key.qualified_name();
    bool by_qualified = qualified_.count(qualified) > 0;
    if (by_name) used_.insert(key.name);
    if (by_qualified) used_.insert(qualified);
    return by_name || by_qualified;
  }
  /// Selectors that matched no series of any exported run.
  std::vector<std::string> unused() const {
    std::vector<std::string> result;
    for (const std::string& text : selectors_) {
      std::string normalized = text.find('{') == std::string::npos
                                   ? text
                                   : tracker::SeriesKey::parse(text).qualified_name();
      if (used_.count(normalized) == 0) result.push_back(text);
    }
    return result;
  }

 private:
  std::vector<std::string> selectors_;
  std::set<std::string> names_;
  std::set<std::string> qualified_;
  std::set<std::string> used_;
};

std::string context_text(const tracker::SeriesKey& key) {
  std::string qualified = key.qualified_name();
  if (qualified.size() <= key.name.size() + 2) return {};
  return qualified.substr(key.name.size() + 1, qualified.size() - key.name.size() - 2);
}

void run_export(const Context& context, const ExportOptions& options) {
  tracker::RunFilter filter = options.filter.to_filter();
  SeriesSelector selector(options.metrics);
  tracker::Store store = open_store(context.store_uri, StoreAccess::kRead);
  if (!options.output.empty() && store.is_store_file(options.output)) {
    throw UsageError("--output '" + options.output + "' is the store " + store.display_uri() +
                     " or one of its files; choose another file");
  }
  std::vector<tracker::RunInfo> runs = store.list_runs(filter);

  std::unique_ptr<OutputFile> file;
  if (!options.output.empty()) file = std::make_unique<OutputFile>(options.output);
  std::ostream& out = file ? file->stream() : std::cout;
  std::unique_ptr<RowWriter> writer;
  if (options.format == Format::kJson) {
    writer = std::make_unique<JsonRowWriter>(out);
  } else {
    writer = std::make_unique<CsvRowWriter>(out);
  }
  std::size_t rows = 0;
  for (const tracker::RunInfo& run : runs) {
    for (const tracker::SeriesSummary& summary : run.metrics) {
      if (!selector.matches(summary.key)) continue;
      std::string context_column = context_text(summary.key);
      // One series at a time: memory stays bounded by the largest series, not the export.
      for (const tracker::MetricPoint& point : store.points(run.id, summary.key)) {
        writer->write({&run, &summary.key, context_column, &point});
        ++rows;
      }
    }
  }
  writer->finish();
  out.flush();
  if (!out) {
    throw vigil::Error(file ? "writing --output '" + options.output + "' failed"
                            : std::string("writing to stdout failed"));
  }
  if (file) file->commit();
  for (const std::string& unused : selector.unused()) {
    std::cerr << "vigil: warning: --metric '" << tracker::escape_for_terminal(unused)
              << "' matched no series\n";
  }
  if (file) {
    std::cerr << "exported " << rows << " points of " << runs.size() << " runs to "
              << tracker::escape_for_terminal(options.output) << '\n';
  }
}

}  // namespace

void add_export_command(CLI::App& app, Context* context) {
  auto options = std::make_shared<ExportOptions>();
  CLI::App* command =
      app.add_subcommand("export", "Export metric points of the selected runs (long format)");
  command->footer(
      "Columns: run_id, run_name, experiment, metric, context, step, epoch, value, time "
      "(ISO-8601 UTC), one row per point, runs newest first, series by name, points by step.\n"
      "CSV: header row; context as k=v[,k=v] (empty without context); epoch empty when none; "
      "NaN/Infinity/-Infinity as text.\n"
      "JSON: one array of objects; context as an object; epoch null when none; non-finite "
      "values as the strings \"NaN\", \"Infinity\", \"-Infinity\".\n"
      "Run filters are those of 'runs ls', except that the metric condition is --where-metric "
      "(--metric picks series).");
  add_run_filter_options(command, &options->filter, "--where-metric");
  add_format_option(command, &options->format, {Format::kCsv, Format::kJson});
  command->add_option("-o,--output", options->output,
                      "Write to FILE (replaced only when the export succeeds) instead of stdout");
  command->add_option("--metric", options->metrics,
                      "Export only this series (repeatable): NAME = every context of the metric, "
                      "NAME{k=v} = that series");
  command->callback([context, options] { run_export(*context, *options); });
}

}  // namespace vigil::cli
