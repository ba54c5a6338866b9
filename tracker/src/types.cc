#include "vigil/tracker/types.h"

#include <time.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

#include "vigil/tracker/errors.h"
#include "vigil/tracker/json_limits.h"

namespace vigil::tracker {
namespace {

bool needs_quotes(const std::string& text) {
  if (text.empty()) return true;
  for (char c : text) {
    if (c == ',' || c == '{' || c == '}' || c == '=' || c == '"') return true;
  }
  // A bare value that reads back as a JSON literal (1, true, null) would change type.
  return nlohmann::json::accept(text);
}

std::string context_value_text(const nlohmann::json& value) {
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    return needs_quotes(text) ? value.dump() : text;
  }
  return value.dump();
}

std::optional<nlohmann::json> parse_literal(std::string_view text) {
  try {
    return parse_json_bounded(text, "series context value");
  } catch (const JsonError&) {
    return std::nullopt;
  }
}

nlohmann::json parse_context_value(std::string_view text, std::string_view whole) {
  auto parsed = parse_literal(text);
  if (!text.empty() && text.front() == '"') {
    if (!parsed || !parsed->is_string()) {
      throw InvalidArgument("malformed series name '" + std::string(whole) +
                            "': bad quoted value " + std::string(text));
    }
    return *parsed;
  }
  if (parsed && parsed->is_primitive()) return *parsed;
  return std::string(text);
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

constexpr std::size_t kDateOnlyLength = 10;  // "YYYY-MM-DD"
constexpr double kLastMillisecondOfDay = 86400.0 - 0.001;

}  // namespace

Timestamp now() noexcept {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string_view to_string(RunStatus status) noexcept {
  switch (status) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kFinished:
      return "finished";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kKilled:
      return "killed";
    case RunStatus::kCrashed:
      return "crashed";
    case RunStatus::kRejected:
      return "rejected";
    case RunStatus::kAborted:
      return "aborted";
  }
  return "unknown";
}

RunStatus parse_run_status(std::string_view text) {
  for (RunStatus status : kRunStatuses) {
    if (to_string(status) == text) return status;
  }
  throw InvalidArgument("unknown run status '" + std::string(text) +
                        "': expected one of running, finished, failed, killed, crashed, "
                        "rejected, aborted");
}

std::string SeriesKey::qualified_name() const {
  if (context.is_null() || !context.is_object() || context.empty()) return name;
  std::string out = name;
  out += '{';
  bool first = true;
  for (auto it = context.begin(); it != context.end(); ++it) {  // std::map: keys sorted
    if (!first) out += ',';
    first = false;
    out += it.key();
    out += '=';
    out += context_value_text(it.value());
  }
  out += '}';
  return out;
}

SeriesKey SeriesKey::parse(std::string_view text) {
  SeriesKey key;
  auto brace = text.find('{');
  if (brace == std::string_view::npos) {
    if (text.empty() || text.find('}') != std::string_view::npos) {
      throw InvalidArgument("malformed series name '" + std::string(text) +
                            "': expected NAME or NAME{key=value,...}");
    }
    key.name = std::string(text);
    return key;
  }
  if (brace == 0 || text.back() != '}') {
    throw InvalidArgument("malformed series name '" + std::string(text) +
                          "': expected NAME or NAME{key=value,...}");
  }
  key.name = std::string(text.substr(0, brace));
  std::string_view body = text.substr(brace + 1, text.size() - brace - 2);
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto eq = body.find('=', pos);
    if (eq == std::string_view::npos || eq == pos) {
      throw InvalidArgument("malformed series name '" + std::string(text) +
                            "': expected key=value pairs inside {}");
    }
    std::string field(body.substr(pos, eq - pos));
    std::size_t end = eq + 1;
    if (end < body.size() && body[end] == '"') {  // quoted: find the closing quote
      ++end;
      while (end < body.size() && body[end] != '"') end += body[end] == '\\' ? 2 : 1;
      ++end;
    } else {
      while (end < body.size() && body[end] != ',') ++end;
    }
    if (end > body.size()) {
      throw InvalidArgument("malformed series name '" + std::string(text) +
                            "': unterminated quoted value");
    }
    key.context[field] = parse_context_value(body.substr(eq + 1, end - eq - 1), text);
    pos = end;
    if (pos < body.size()) {
      if (body[pos] != ',') {
        throw InvalidArgument("malformed series name '" + std::string(text) +
                              "': expected ',' between key=value pairs");
      }
      ++pos;
    }
  }
  // A context is JSON: its keys and values must be UTF-8, or every later dump() (storing the
  // series, printing its name, answering the dashboard) throws nlohmann's type_error instead.
  try {
    (void)key.context.dump();
  } catch (const nlohmann::json::type_error&) {
    throw InvalidArgument("malformed series name " +
                          nlohmann::json(std::string(text))
                              .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                          ": expected UTF-8 text");
  }
  return key;
}

nlohmann::json finite_or_string(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  return value;
}

std::string format_time(Timestamp t) {
  if (!std::isfinite(t)) return "";
  double whole = std::floor(t);
  auto millis = static_cast<int>(std::llround((t - whole) * 1000.0));
  auto seconds = static_cast<time_t>(whole);
  if (millis == 1000) {
    millis = 0;
    ++seconds;
  }
  struct tm parts;
  gmtime_r(&seconds, &parts);
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, millis);
  return buffer;
}

Timestamp parse_time(std::string_view text) {
  auto fail = [&]() -> InvalidArgument {
    return InvalidArgument("invalid time '" + std::string(text) +
                           "': expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS[.fff]][Z]");
  };
  auto digits = [&](std::size_t pos, std::size_t count) {
    if (pos + count > text.size()) throw fail();
    int value = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
      if (text[i] < '0' || text[i] > '9') throw fail();
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  struct tm parts = {};
  parts.tm_year = digits(0, 4) - 1900;
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') throw fail();
  parts.tm_mon = digits(5, 2) - 1;
  parts.tm_mday = digits(8, 2);
  double fraction = 0.0;
  std::size_t pos = 10;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != ' ') throw fail();
    parts.tm_hour = digits(pos + 1, 2);
    if (pos + 3 >= text.size() || text[pos + 3] != ':') throw fail();
    parts.tm_min = digits(pos + 4, 2);
    pos += 6;
    if (pos < text.size() && text[pos] == ':') {
      parts.tm_sec = digits(pos + 1, 2);
      pos += 3;
      if (pos < text.size() && text[pos] == '.') {
        std::size_t start = ++pos;
        double scale = 0.1;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
          fraction += (text[pos] - '0') * scale;
          scale /= 10;
          ++pos;
        }
        if (pos == start) throw fail();
      }
    }
    if (pos < text.size() && text[pos] == 'Z') ++pos;
    if (pos != text.size()) throw fail();
  }
  if (parts.tm_mon < 0 || parts.tm_mon > 11 || parts.tm_mday < 1 ||
      parts.tm_mday > days_in_month(parts.tm_year + 1900, parts.tm_mon + 1) || parts.tm_hour > 23 ||
      parts.tm_min > 59 || parts.tm_sec > 59) {
    throw fail();  // timegm would quietly move 2026-02-30 to March 2nd
  }
  time_t seconds = timegm(&parts);
  return static_cast<double>(seconds) + fraction;
}

Timestamp parse_time_bound(std::string_view text, TimeBound bound) {
  const Timestamp time = parse_time(text);
  const bool date_only = text.size() == kDateOnlyLength;
  return bound == TimeBound::kEnd && date_only ? time + kLastMillisecondOfDay : time;
}

namespace {

// JSON output has no literal for NaN/Inf: they become strings, as for metric values.
nlohmann::json non_finite_as_strings(const nlohmann::json& value) {
  if (value.is_number_float()) return finite_or_string(value.get<double>());
  if (!value.is_structured()) return value;
  nlohmann::json copy = value;
  for (auto& item : copy) item = non_finite_as_strings(item);
  return copy;
}

}  // namespace

void to_json(nlohmann::json& j, const RunInfo& run) {
  auto optional_time = [](const std::optional<Timestamp>& t) -> nlohmann::json {
    if (!t) return nullptr;
    return format_time(*t);
  };
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& summary : run.metrics) {
    metrics[summary.key.qualified_name()] = {{"last", finite_or_string(summary.last)},
                                             {"min", finite_or_string(summary.min)},
                                             {"max", finite_or_string(summary.max)},
                                             {"count", summary.count},
                                             {"last_step", summary.last_step}};
  }
  j = nlohmann::json{
      {"id", run.id},
      {"name", run.name},
      {"experiment", run.experiment},
      {"status", std::string(to_string(run.status))},
      {"created_at", format_time(run.created_at)},
      {"started_at", format_time(run.started_at)},
      {"finished_at", optional_time(run.finished_at)},
      {"heartbeat_at", format_time(run.heartbeat_at)},
      {"duration", run.finished_at ? nlohmann::json(*run.finished_at - run.started_at)
                                   : nlohmann::json(nullptr)},
      {"host", run.host},
      {"pid", run.pid},
      {"command", run.command},
      {"error", run.error},
      {"params", non_finite_as_strings(run.params)},
      {"results", non_finite_as_strings(run.results)},
      {"tags", run.tags},
      {"metrics", std::move(metrics)},
      {"verdict", run.verdict ? nlohmann::json(*run.verdict) : nlohmann::json(nullptr)},
      {"score", run.score ? finite_or_string(*run.score) : nlohmann::json(nullptr)},
  };
}

}  // namespace vigil::tracker
