#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "vigil/tracker/types.h"

namespace vigil::cli {

/// Output format of a command (--format).
enum class Format { kTable, kJson, kCsv, kJunit, kMarkdown, kHtml };

/// Registers `--format` on `command` accepting the names of `allowed` (case-insensitive);
/// anything else is a CLI11 validation error (exit code 2).
CLI::Option* add_format_option(CLI::App* command, Format* format,
                               const std::vector<Format>& allowed);

/// Column alignment in a Table.
enum class Align { kLeft, kRight };

/// A plain-text table sized to a terminal width. Columns marked shrinkable are truncated
/// (with "…") when the table is wider than the width, widest first, down to their minimum.
/// Widths count UTF-8 code points. Not thread-safe.
class Table {
 public:
  /// Adds a column. `min_width` > 0 makes it shrinkable down to that width.
  void add_column(std::string header, Align align = Align::kLeft, std::size_t min_width = 0);
  /// Adds a row; it must have one cell per column. Cells are escaped for the terminal
  /// (tracker::escape_for_terminal: `\x1b`, `\n`...), so each row stays one line and no
  /// stored text can drive the terminal.
  void add_row(std::vector<std::string> cells);
  /// Writes header and rows, columns separated by two spaces, lines at most `max_width`
  /// wide when the shrinkable columns allow it.
  void render(std::ostream& out, std::size_t max_width) const;

 private:
  struct Column {
    std::string header;
    Align align;
    std::size_t min_width;
  };
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

/// Writes RFC 4180 CSV rows: fields that contain a comma, quote, CR or LF (or start or end
/// with a space) are quoted, quotes doubled; lines end with "\n". Not thread-safe.
class CsvWriter {
 public:
  explicit CsvWriter(std::ostream& out) : out_(out) {}
  void write_row(const std::vector<std::string>& fields);

 private:
  std::ostream& out_;
};

/// Shortest text that reads back as the same double; "NaN", "Infinity", "-Infinity".
std::string format_number(double value);

/// A score for tables: one decimal ("87.5").
std::string format_score(double score);

/// "YYYY-MM-DD HH:MM" in the local time zone (TZ).
std::string format_local_time(tracker::Timestamp t);

/// A compact duration: "850ms", "12.3s", "4m05s", "1h02m", "3d04h"; "-" for negative.
std::string format_duration(double seconds);

/// Seconds a run has taken: until finished_at, now while running, the last heartbeat for a
/// crashed run. Negative when unknown.
double run_duration(const tracker::RunInfo& run);

/// Number of UTF-8 code points in `text` (its width in a terminal for non-wide scripts).
std::size_t display_width(std::string_view text);

/// `text` cut to at most `width` code points, the last one replaced by "…" when cut.
std::string truncate_display(std::string_view text, std::size_t width);

/// Width for tables: the terminal's columns (100 when it does not say) when stdout is a
/// terminal; unlimited (SIZE_MAX: nothing is cut) when it is not, e.g. a pipe read by a script.
std::size_t output_width();

/// `value` as table text: strings unquoted, numbers via format_number, the rest as JSON.
std::string json_scalar_text(const nlohmann::json& value);

/// `parts` joined with `separator` ("a, b").
std::string join(const std::vector<std::string>& parts, std::string_view separator);

/// `text` with ASCII letters in lower case.
std::string ascii_lower(std::string text);

/// Params flattened to dotted paths ("optimizer.lr"), in key order; arrays and scalars are
/// leaves. An empty object yields nothing.
std::vector<std::pair<std::string, nlohmann::json>> flatten_json(const nlohmann::json& value);

}  // namespace vigil::cli
