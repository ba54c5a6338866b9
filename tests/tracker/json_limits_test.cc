// The bounded JSON parser every outside input goes through (issue 9: hostile input).
#include "vigil/tracker/json_limits.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "deep_json.h"

namespace vigil::tracker {
namespace {

std::string error_of(std::string_view text, const JsonLimits& limits = {}) {
  try {
    (void)parse_json_bounded(text, "input.json", limits);
  } catch (const JsonError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(ParseJsonBounded, ParsesOrdinaryDocuments) {
  EXPECT_EQ(parse_json_bounded(R"({"a": [1, 2.5, "x", true, null], "b": {}})", "t"),
            nlohmann::json::parse(R"({"a": [1, 2.5, "x", true, null], "b": {}})"));
  EXPECT_EQ(parse_json_bounded("  7 ", "t"), nlohmann::json(7));
}

TEST(ParseJsonBounded, NestingOneHundredThousandDeepIsRefusedNotACrash) {
  const std::string message = error_of(testing::deep_array_text(100'000));
  EXPECT_NE(message.find("input.json"), std::string::npos) << message;
  EXPECT_NE(message.find("limit of 64"), std::string::npos) << message;
  EXPECT_NE(message.find("column 65"), std::string::npos) << message;  // the 65th '['
  EXPECT_NE(error_of(testing::deep_object_text(100'000)).find("limit of 64"), std::string::npos);
}

TEST(ParseJsonBounded, DepthLimitIsExact) {
  EXPECT_EQ(json_depth(parse_json_bounded(testing::deep_array_text(kMaxJsonDepth), "t")),
            kMaxJsonDepth);
  EXPECT_THROW((void)parse_json_bounded(testing::deep_array_text(kMaxJsonDepth + 1), "t"),
               JsonError);
  // Brackets inside strings are not nesting.
  const std::string brackets = "[\"" + std::string(1000, '[') + "\\\"{\"]";
  EXPECT_EQ(parse_json_bounded(brackets, "t").at(0).get<std::string>().size(), 1002u);
}

TEST(ParseJsonBounded, SizeLimitIsStated) {
  const std::string text = "\"" + std::string(100, 'x') + "\"";
  EXPECT_NE(error_of(text, {kMaxJsonDepth, 50}).find("larger than the limit of 50 bytes"),
            std::string::npos);
  EXPECT_EQ(error_of(text, {kMaxJsonDepth, 102}), "(accepted)");
}

TEST(ParseJsonBounded, NulByteAndTrailingGarbageAreRefused) {
  using namespace std::string_literals;
  const std::string message = error_of("{\"a\": 1}\n\0garbage"s);
  EXPECT_NE(message.find("NUL byte"), std::string::npos) << message;
  EXPECT_NE(message.find("at line 2, column 1"), std::string::npos) << message;
  EXPECT_NE(error_of("{\"a\": 1} x").find("line 1, column 10"), std::string::npos);
  EXPECT_NE(error_of("").find("input.json"), std::string::npos);
}

TEST(ParseJsonBounded, NumberOutOfRangeHasPosition) {
  try {
    (void)parse_json_bounded("{\n  \"x\": 1e999\n}", "rules.json");
    FAIL() << "1e999 accepted";
  } catch (const JsonError& e) {
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(e.column(), 8);
    EXPECT_NE(e.reason().find("number out of range"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("rules.json: number out of range"), std::string::npos);
  }
}

TEST(ParseJsonBounded, ReportsDuplicateKeysWithTheirPointer) {
  std::vector<std::string> found;
  auto doc = parse_json_bounded(R"({"a": [{"k": 1, "k": 2}], "a/b": 1, "a/b": 3})", "t", {},
                                [&](const std::string& pointer, const std::string& key) {
                                  found.push_back(pointer + " " + key);
                                });
  EXPECT_EQ(found, (std::vector<std::string>{"/a/0/k k", "/a~1b a/b"}));
  EXPECT_EQ(doc["a"][0]["k"], 2);  // the last value wins, as in nlohmann
}

TEST(JsonDepth, CountsWithoutRecursion) {
  EXPECT_EQ(json_depth(nlohmann::json(1)), 0);
  EXPECT_EQ(json_depth(nlohmann::json::array()), 1);
  EXPECT_EQ(json_depth(nlohmann::json{{"a", {1, {2}}}}), 3);
  const nlohmann::json deep = testing::deep_object(100'000);
  EXPECT_EQ(json_depth(deep, 64), 65);  // stops once past the limit
}

TEST(CheckJsonLimits, RefusesDeepOrLargeValuesNamingTheInput) {
  try {
    check_json_limits(testing::deep_object(100'000), "log_params");
    FAIL() << "deep value accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("log_params: nested deeper than the limit of 64"),
              std::string::npos)
        << e.what();
  }
  EXPECT_NO_THROW(check_json_limits(testing::deep_object(kMaxJsonDepth), "x"));
  EXPECT_THROW(check_json_limits(std::string(100, 'x'), "x", {kMaxJsonDepth, 50}), InvalidArgument);
}

}  // namespace
}  // namespace vigil::tracker
