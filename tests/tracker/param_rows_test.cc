// The rows of run_params (param_rows.h): one per value reached through object keys.
#include "param_rows.h"

#include <cmath>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace vigil::tracker::detail {

void PrintTo(const ParamRow& row, std::ostream* out) {
  *out << "{" << row.path << ", " << row.type << ", rank "
       << (row.rank ? std::to_string(static_cast<int>(*row.rank)) : "NULL") << ", num "
       << (row.num ? std::to_string(*row.num) : "NULL") << ", text "
       << (row.text ? "'" + *row.text + "'" : "NULL") << "}";
}

namespace {

using nlohmann::json;
constexpr double kInf = std::numeric_limits<double>::infinity();

ParamRow number(std::string path, std::string type, double num) {
  return {std::move(path), std::move(type), ParamRank::kNumber, num, std::nullopt};
}
ParamRow text(std::string path, std::string value) {
  return {std::move(path), "text", ParamRank::kString, std::nullopt, std::move(value)};
}
ParamRow other(std::string path, std::string type, std::string dump) {
  return {std::move(path), std::move(type), ParamRank::kOther, std::nullopt, std::move(dump)};
}
ParamRow null_row(std::string path) {
  return {std::move(path), "null", std::nullopt, std::nullopt, std::nullopt};
}

TEST(ParamRows, NestedObjectsAreARowAndDescendedIntoArraysAreValues) {
  const json params = json::parse(R"({"optimizer": {"name": "adam", "lr": 0.001,
      "betas": [0.9, 0.99], "sched": {"steps": 3}}, "epochs": 10})");
  const std::vector<ParamRow> expected = {
      number(R"(["epochs"])", "integer", 10),
      other(R"(["optimizer"])", "object",
            R"({"betas":[0.9,0.99],"lr":0.001,"name":"adam","sched":{"steps":3}})"),
      other(R"(["optimizer","betas"])", "array", "[0.9,0.99]"),
      number(R"(["optimizer","lr"])", "real", 0.001),
      text(R"(["optimizer","name"])", "adam"),
      other(R"(["optimizer","sched"])", "object", R"({"steps":3})"),
      number(R"(["optimizer","sched","steps"])", "integer", 3),
  };
  EXPECT_EQ(param_rows(params), expected);
}

TEST(ParamRows, ScalarsGetTheirTypeRankAndNumber) {
  const json params = {
      {"t", true}, {"f", false}, {"n", nullptr}, {"i", -7}, {"u", 18446744073709551615u},
      {"r", 2.5},  {"s", ""}};
  const std::vector<ParamRow> expected = {
      number(R"(["f"])", "false", 0),
      number(R"(["i"])", "integer", -7),
      null_row(R"(["n"])"),
      number(R"(["r"])", "real", 2.5),
      text(R"(["s"])", ""),
      number(R"(["t"])", "true", 1),
      number(R"(["u"])", "integer", 18446744073709551615.0),
  };
  EXPECT_EQ(param_rows(params), expected);
}

TEST(ParamRows, StoredInfinitiesAreNumbersAndNaNIsAnObject) {
  const json params = json::parse(R"({"hi": {"$numberDouble": "Infinity"},
      "lo": {"$numberDouble": "-Infinity"}, "nan": {"$numberDouble": "NaN"},
      "fake": {"$numberDouble": "Infinity", "x": 1}})");
  const std::vector<ParamRow> rows = param_rows(params);
  const std::vector<ParamRow> expected = {
      other(R"(["fake"])", "object", R"({"$numberDouble":"Infinity","x":1})"),
      text(R"(["fake","$numberDouble"])", "Infinity"),
      number(R"(["fake","x"])", "integer", 1),
      {R"(["hi"])", "object", ParamRank::kNumber, kInf, R"({"$numberDouble":"Infinity"})"},
      text(R"(["hi","$numberDouble"])", "Infinity"),
      {R"(["lo"])", "object", ParamRank::kNumber, -kInf, R"({"$numberDouble":"-Infinity"})"},
      text(R"(["lo","$numberDouble"])", "-Infinity"),
      other(R"(["nan"])", "object", R"({"$numberDouble":"NaN"})"),
      text(R"(["nan","$numberDouble"])", "NaN"),
  };
  EXPECT_EQ(rows, expected);
}

TEST(ParamRows, AnUnencodedNonFiniteDoubleIsNullAsDumpStoresIt) {
  const json params = {{"x", std::numeric_limits<double>::quiet_NaN()}, {"y", -kInf}};
  EXPECT_EQ(param_rows(params),
            (std::vector<ParamRow>{null_row(R"(["x"])"), null_row(R"(["y"])")}));
}

TEST(ParamRows, KeysWithDotsQuotesAndUnicodeAreJsonEscapedInThePath) {
  const json params = {{"a.b", 1}, {"say \"hi\"\\", 2}, {"λ", {{"ü", 3}}}, {"", 4}};
  const std::vector<ParamRow> expected = {
      number(R"([""])", "integer", 4),
      number(R"(["a.b"])", "integer", 1),
      number(R"(["say \"hi\"\\"])", "integer", 2),
      other(R"(["λ"])", "object", R"({"ü":3})"),
      number(R"(["λ","ü"])", "integer", 3),
  };
  EXPECT_EQ(param_rows(params), expected);
}

TEST(ParamRows, EmptyObjectsAndNonObjectRoots) {
  EXPECT_TRUE(param_rows(json::object()).empty());
  EXPECT_TRUE(param_rows(json::array({1, 2})).empty());
  EXPECT_TRUE(param_rows(json()).empty());
  EXPECT_EQ(param_rows(json{{"e", json::object()}}),
            (std::vector<ParamRow>{other(R"(["e"])", "object", "{}")}));
}

TEST(ParamRows, LongTextsAreCutAtACharacterBoundary) {
  const std::string ascii(kMaxParamTextBytes + 10, 'x');
  // Two-byte characters starting at an odd offset: the limit falls inside one.
  const std::string accented = "a" + [] {
    std::string s;
    for (std::size_t i = 0; i < kMaxParamTextBytes; ++i) s += "\xC3\xA9";  // é
    return s;
  }();
  const std::vector<ParamRow> rows =
      param_rows({{"a", ascii}, {"b", accented}, {"c", json::array({ascii})}});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(*rows[0].text, ascii.substr(0, kMaxParamTextBytes));
  EXPECT_EQ(*rows[1].text, accented.substr(0, kMaxParamTextBytes - 1));
  EXPECT_EQ(rows[2].text->size(), kMaxParamTextBytes);
  EXPECT_EQ(*rows[2].text, ("[\"" + ascii).substr(0, kMaxParamTextBytes));
  EXPECT_EQ(truncate_param_text("short"), "short");
}

TEST(ParamRows, NulCharactersInStringsBecomeReplacementCharacters) {
  const std::vector<ParamRow> rows = param_rows({{"s", std::string("a\0b", 3)}});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(*rows[0].text,
            "a\xEF\xBF\xBD"
            "b");
}

TEST(ParamRows, ValuesUnderAPathTooLongToIndexAreLeftOut) {
  const std::string key(kMaxParamPathBytes, 'k');
  const json params = {{key, {{"x", 1}}}, {"ok", 1}};
  EXPECT_EQ(param_rows(params), (std::vector<ParamRow>{number(R"(["ok"])", "integer", 1)}));
}

}  // namespace
}  // namespace vigil::tracker::detail
