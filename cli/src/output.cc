#include "output.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <map>
#include <utility>

#include "choice_option.h"
#include "vigil/tracker/text.h"

namespace vigil::cli {

namespace {

constexpr std::size_t kDefaultTerminalWidth = 100;  // a terminal that does not say its size
constexpr std::string_view kEllipsis = "\u2026";

bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

std::string pad(const std::string& text, std::size_t width, Align align) {
  std::size_t used = display_width(text);
  if (used >= width) return text;
  std::string spaces(width - used, ' ');
  return align == Align::kLeft ? text + spaces : spaces + text;
}

void flatten_into(const nlohmann::json& value, const std::string& prefix,
                  std::vector<std::pair<std::string, nlohmann::json>>& out) {
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      flatten_into(child, prefix.empty() ? key : prefix + "." + key, out);
    }
  } else {
    out.emplace_back(prefix, value);
  }
}

}  // namespace

CLI::Option* add_format_option(CLI::App* command, Format* format,
                               const std::vector<Format>& allowed) {
  static const std::map<Format, std::string> kNames = {
      {Format::kTable, "table"}, {Format::kJson, "json"},         {Format::kCsv, "csv"},
      {Format::kJunit, "junit"}, {Format::kMarkdown, "markdown"}, {Format::kHtml, "html"}};
  std::vector<std::pair<std::string, Format>> choices;
  for (Format f : allowed) choices.emplace_back(kNames.at(f), f);
  return add_choice_option(command, "--format", format, std::move(choices), "Output format");
}

void Table::add_column(std::string header, Align align, std::size_t min_width) {
  columns_.push_back({std::move(header), align, min_width});
}

void Table::add_row(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  for (std::string& cell : cells) cell = tracker::escape_for_terminal(cell);
  rows_.push_back(std::move(cells));
}

void Table::render(std::ostream& out, std::size_t max_width) const {
  constexpr std::size_t kGap = 2;
  std::vector<std::size_t> widths;
  for (const Column& column : columns_) widths.push_back(display_width(column.header));
  for (const auto& row : rows_) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  }
  std::size_t total = columns_.empty() ? 0 : kGap * (columns_.size() - 1);
  for (std::size_t w : widths) total += w;
  // Shrink the widest shrinkable column one step at a time: keeps narrow columns readable.
  while (total > max_width) {
    std::size_t widest = columns_.size();
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      if (columns_[i].min_width == 0 || widths[i] <= columns_[i].min_width) continue;
      if (widest == columns_.size() || widths[i] > widths[widest]) widest = i;
    }
    if (widest == columns_.size()) break;
    --widths[widest];
    --total;
  }
  auto write_line = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      if (i > 0) line += std::string(kGap, ' ');
      std::string cell = truncate_display(cells[i], widths[i]);
      // No padding after the last left-aligned column: no trailing spaces.
      bool last = i + 1 == columns_.size();
      line += last && columns_[i].align == Align::kLeft ? cell
                                                        : pad(cell, widths[i], columns_[i].align);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  };
  std::vector<std::string> headers;
  for (const Column& column : columns_) headers.push_back(column.header);
  write_line(headers);
  for (const auto& row : rows_) write_line(row);
}

void CsvWriter::write_row(const std::vector<std::string>& fields) {
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line += ',';
    const std::string& field = fields[i];
    bool quote = field.find_first_of(",\"\r\n") != std::string::npos ||
                 (!field.empty() && (field.front() == ' ' || field.back() == ' '));
    if (!quote) {
      line += field;
      continue;
    }
    line += '"';
    for (char c : field) {
      if (c == '"') line += '"';
      line += c;
    }
    line += '"';
  }
  line += '\n';
  out_ << line;
}

std::string format_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string format_score(double score) {
  if (!std::isfinite(score)) return format_number(score);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", score);
  return buffer;
}

std::string format_local_time(tracker::Timestamp t) {
  std::time_t seconds = static_cast<std::time_t>(std::floor(t));
  std::tm local{};
  if (localtime_r(&seconds, &local) == nullptr) return "-";
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M", &local);
  return buffer;
}

std::string format_duration(double seconds) {
  if (!(seconds >= 0)) return "-";
  char buffer[32];
  if (seconds < 1) {
    std::snprintf(buffer, sizeof buffer, "%dms", static_cast<int>(seconds * 1000));
  } else if (seconds < 60) {
    std::snprintf(buffer, sizeof buffer, "%.1fs", seconds);
  } else {
    auto total = static_cast<long long>(seconds);
    if (total < 3600) {
      std::snprintf(buffer, sizeof buffer, "%lldm%02llds", total / 60, total % 60);
    } else if (total < 86400) {
      std::snprintf(buffer, sizeof buffer, "%lldh%02lldm", total / 3600, total % 3600 / 60);
    } else {
      std::snprintf(buffer, sizeof buffer, "%lldd%02lldh", total / 86400, total % 86400 / 3600);
    }
  }
  return buffer;
}

double run_duration(const tracker::RunInfo& run) {
  double start = run.started_at > 0 ? run.started_at : run.created_at;
  if (run.finished_at) return *run.finished_at - start;
  if (run.status == tracker::RunStatus::kRunning) return tracker::now() - start;
  return run.heartbeat_at > 0 ? run.heartbeat_at - start : -1;
}

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (char c : text) width += is_continuation_byte(c) ? 0 : 1;
  return width;
}

std::string truncate_display(std::string_view text, std::size_t width) {
  if (display_width(text) <= width) return std::string(text);
  if (width == 0) return {};
  // Keep width - 1 code points, then the ellipsis.
  std::size_t kept = 0;
  std::size_t end = 0;
  while (end < text.size()) {
    if (!is_continuation_byte(text[end])) {
      if (kept == width - 1) break;
      ++kept;
    }
    ++end;
  }
  return std::string(text.substr(0, end)) + std::string(kEllipsis);
}

std::size_t output_width() {
  // Scripts read piped output: cutting a name there would lose data, so only a terminal limits.
  if (!::isatty(STDOUT_FILENO)) return std::numeric_limits<std::size_t>::max();
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col >= 40) return size.ws_col;
  return kDefaultTerminalWidth;
}

std::string json_scalar_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) return format_number(value.get<double>());
  return value.dump();
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

std::string ascii_lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::vector<std::pair<std::string, nlohmann::json>> flatten_json(const nlohmann::json& value) {
  std::vector<std::pair<std::string, nlohmann::json>> out;
  if (value.is_object()) flatten_into(value, "", out);
  return out;
}

}  // namespace vigil::cli
