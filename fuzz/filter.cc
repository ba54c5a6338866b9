// Fuzzes the tracker's parsers of filter text shared by the CLI (`runs ls --param/--metric/
// --status/--since`) and the dashboard (/api/runs?param=...): conditions, series names, run
// statuses and times. The first byte picks the parser; a parsed condition is also matched.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.h"
#include "vigil/tracker/query.h"
#include "vigil/tracker/types.h"

namespace {

namespace tracker = vigil::tracker;

void parse_one(std::uint8_t which, std::string_view text) {
  switch (which % 5) {
    case 0: {
      const auto condition = tracker::ParamCondition::parse(text);
      const nlohmann::json params = {{"lr", 0.01}, {"optimizer", {{"name", "adam"}}}, {"x", true}};
      (void)condition.matches(params);
      break;
    }
    case 1: {
      const auto condition = tracker::MetricCondition::parse(text);
      tracker::SeriesSummary loss;
      loss.key.name = "loss";
      loss.last = 0.5;
      (void)condition.matches({loss});
      break;
    }
    case 2: {
      const auto key = tracker::SeriesKey::parse(text);
      // qualified_name() is documented as the inverse of parse().
      if (!(tracker::SeriesKey::parse(key.qualified_name()) == key)) __builtin_trap();
      break;
    }
    case 3:
      (void)tracker::parse_run_status(text);
      break;
    default:
      (void)tracker::format_time(tracker::parse_time(text));
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  vigil::fuzz::expect_vigil_errors_only(
      [&] { parse_one(data[0], vigil::fuzz::as_text(data + 1, size - 1)); });
  return 0;
}
