// Unit tests of the CLI's rendering helpers (tables, CSV, numbers, durations).
#include "output.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>

namespace vigil::cli {
namespace {

TEST(Output, FormatNumberRoundTripsAndNamesNonFinite) {
  EXPECT_EQ(format_number(0.1), "0.1");
  EXPECT_EQ(format_number(1e-5), "1e-05");
  EXPECT_EQ(format_number(42), "42");
  EXPECT_EQ(std::stod(format_number(1.0 / 3.0)), 1.0 / 3.0);
  EXPECT_EQ(format_number(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(format_number(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(format_number(-std::numeric_limits<double>::infinity()), "-Infinity");
}

TEST(Output, FormatDurationPicksUnits) {
  EXPECT_EQ(format_duration(0.25), "250ms");
  EXPECT_EQ(format_duration(12.34), "12.3s");
  EXPECT_EQ(format_duration(245), "4m05s");
  EXPECT_EQ(format_duration(3720), "1h02m");
  EXPECT_EQ(format_duration(2 * 86400 + 3 * 3600), "2d03h");
  EXPECT_EQ(format_duration(-1), "-");
}

TEST(Output, TruncateDisplayCountsCodePoints) {
  EXPECT_EQ(truncate_display("abcdef", 6), "abcdef");
  EXPECT_EQ(truncate_display("abcdef", 4), "abc\u2026");
  EXPECT_EQ(display_width("h\u00e9llo"), 5u);
  // Never cuts inside a multi-byte character.
  EXPECT_EQ(truncate_display("\u00e9\u00e9\u00e9\u00e9", 3), "\u00e9\u00e9\u2026");
}

TEST(Output, CsvQuotesOnlyWhenNeeded) {
  std::ostringstream out;
  CsvWriter csv(out);
  csv.write_row({"plain", "a,b", "say \"hi\"", "two\nlines", "", " padded"});
  EXPECT_EQ(out.str(), "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,\" padded\"\n");
}

TEST(Output, TableShrinksFlexibleColumnsToWidth) {
  Table table;
  table.add_column("ID");
  table.add_column("NAME", Align::kLeft, 6);
  table.add_column("N", Align::kRight);
  table.add_row({"1", std::string(50, 'x'), "7"});
  table.add_row({"22", "short", "123"});
  std::ostringstream out;
  table.render(out, 30);
  std::istringstream lines(out.str());
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    EXPECT_LE(display_width(line), 30u) << line;
  }
  EXPECT_EQ(count, 3);
  EXPECT_NE(out.str().find("x\u2026"), std::string::npos);
  EXPECT_NE(out.str().find("short"), std::string::npos);
  EXPECT_NE(out.str().find("123\n"), std::string::npos);  // right-aligned last column
}

TEST(Output, TableKeepsOneLinePerRowWhenCellsHaveNewlines) {
  Table table;
  table.add_column("NAME");
  table.add_column("X");
  table.add_row({"two\nlines", "1"});
  std::ostringstream out;
  table.render(out, 100);
  EXPECT_EQ(out.str(), "NAME        X\ntwo\\nlines  1\n");
}

TEST(Output, TableCellsCannotDriveTheTerminal) {
  Table table;
  table.add_column("NAME");
  table.add_row(
      {"\x1b[2J\x1b]0;t\x07\xc2\x9b"
       "1m"});
  std::ostringstream out;
  table.render(out, 100);
  EXPECT_EQ(out.str(), "NAME\n\\x1b[2J\\x1b]0;t\\x07\\u009b1m\n");
}

TEST(Output, FlattenJsonGivesDottedLeaves) {
  nlohmann::json params = {{"optimizer", {{"lr", 0.01}, {"betas", {0.9, 0.99}}}}, {"seed", 1}};
  auto leaves = flatten_json(params);
  ASSERT_EQ(leaves.size(), 3u);
  EXPECT_EQ(leaves[0].first, "optimizer.betas");
  EXPECT_EQ(json_scalar_text(leaves[0].second), "[0.9,0.99]");
  EXPECT_EQ(leaves[1].first, "optimizer.lr");
  EXPECT_EQ(json_scalar_text(leaves[1].second), "0.01");
  EXPECT_EQ(leaves[2].first, "seed");
}

}  // namespace
}  // namespace vigil::cli
