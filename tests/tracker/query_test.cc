#include "vigil/tracker/query.h"

#include <cmath>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "vigil/tracker/errors.h"

namespace vigil::tracker {
namespace {

TEST(ParamCondition, ParsesEveryOperatorWithOrWithoutSpaces) {
  struct Case {
    const char* text;
    CompareOp op;
  };
  for (const Case& c :
       {Case{"a.b<1", CompareOp::kLess}, Case{"a.b <= 1", CompareOp::kLessEqual},
        Case{"a.b>1", CompareOp::kGreater}, Case{"a.b >=1", CompareOp::kGreaterEqual},
        Case{"a.b== 1", CompareOp::kEqual}, Case{"a.b != 1", CompareOp::kNotEqual}}) {
    ParamCondition condition = ParamCondition::parse(c.text);
    EXPECT_EQ(condition.path, "a.b") << c.text;
    EXPECT_EQ(condition.op, c.op) << c.text;
    EXPECT_EQ(condition.value, nlohmann::json(1)) << c.text;
  }
}

TEST(ParamCondition, ValueIsJsonLiteralElseBareString) {
  EXPECT_EQ(ParamCondition::parse("x == 0.01").value, nlohmann::json(0.01));
  EXPECT_EQ(ParamCondition::parse("x == true").value, nlohmann::json(true));
  EXPECT_EQ(ParamCondition::parse("x == \"adam\"").value, nlohmann::json("adam"));
  EXPECT_EQ(ParamCondition::parse("x == adam").value, nlohmann::json("adam"));
}

TEST(ParamCondition, RejectsMalformedExpressions) {
  for (const char* text : {"", "lr", "lr <", "< 1", "lr = 1", "lr ! 1", "lr =< 1"}) {
    try {
      ParamCondition::parse(text);
      FAIL() << "accepted '" << text << "'";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find("PATH OP VALUE"), std::string::npos);
    }
  }
}

TEST(ParamCondition, AcceptsEveryNumberSpelling) {
  for (const auto& [text, value] :
       std::vector<std::pair<const char*, double>>{{"lr < .5", 0.5},
                                                   {"lr < +1", 1.0},
                                                   {"lr < 1.", 1.0},
                                                   {"lr < -2.5e-3", -2.5e-3},
                                                   {"lr < 1E3", 1000.0},
                                                   {"lr == .5", 0.5}}) {
    EXPECT_EQ(ParamCondition::parse(text).value, nlohmann::json(value)) << text;
  }
  EXPECT_TRUE(ParamCondition::parse("optimizer.lr < .5").matches({{"optimizer", {{"lr", 0.1}}}}));
}

// Each of these used to be accepted and then match nothing, silently.
TEST(ParamCondition, RejectsWhatWouldSilentlyMatchNothing) {
  for (const char* text :
       {"lr < 1e309", "lr == -1e309", "lr << 0.01", "lr < 0.01 AND 1=1", "lr < abc", "lr <= true",
        "lr < inf", "lr < nan", "lr < 0x10", "lr < 1e", "lr < \"0.1\"", "name == adam AND 1=1",
        "name == \"unterminated", "a..b == 1", ".a == 1", "a. == 1", "lr < 1 2"}) {
    try {
      ParamCondition::parse(text);
      FAIL() << "accepted '" << text << "'";
    } catch (const InvalidArgument& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(text), std::string::npos) << message;
      EXPECT_NE(message.find("expected"), std::string::npos) << message;
      EXPECT_NE(message.find("e.g. optimizer.lr < 0.01"), std::string::npos) << message;
    }
  }
  EXPECT_NE(std::string([]() -> std::string {  // a copy: what() dies with the exception
              try {
                ParamCondition::parse("lr < 1e309");
              } catch (const InvalidArgument& e) {
                return e.what();
              }
              return "";
            }())
                .find("out of range"),
            std::string::npos);
}

TEST(ParamCondition, EqualityKeepsBareWordsAndQuotedStrings) {
  EXPECT_EQ(ParamCondition::parse("version == 1.2.3").value, nlohmann::json("1.2.3"));
  EXPECT_EQ(ParamCondition::parse("name == \"a b == c\"").value, nlohmann::json("a b == c"));
  EXPECT_EQ(ParamCondition::parse("flag != false").value, nlohmann::json(false));
}

TEST(ParamCondition, ComparesNumbersStringsAndMissingPaths) {
  nlohmann::json params = {
      {"optimizer", {{"lr", 0.005}, {"name", "adam"}}}, {"batch_size", 64}, {"amp", true}};
  EXPECT_TRUE(ParamCondition::parse("optimizer.lr < 0.01").matches(params));
  EXPECT_FALSE(ParamCondition::parse("optimizer.lr > 0.01").matches(params));
  EXPECT_TRUE(ParamCondition::parse("batch_size == 64").matches(params));
  EXPECT_TRUE(ParamCondition::parse("batch_size >= 64.0").matches(params));
  EXPECT_TRUE(ParamCondition::parse("optimizer.name == adam").matches(params));
  EXPECT_TRUE(ParamCondition::parse("optimizer.name != sgd").matches(params));
  EXPECT_TRUE(ParamCondition::parse("amp == true").matches(params));
  EXPECT_FALSE(ParamCondition::parse("optimizer.name < 3").matches(params));  // mixed kinds
  EXPECT_FALSE(ParamCondition::parse("missing.path == 1").matches(params));
  EXPECT_FALSE(ParamCondition::parse("missing.path != 1").matches(params));
  EXPECT_FALSE(ParamCondition::parse("optimizer.lr.x == 1").matches(params));
}

TEST(MetricCondition, ParsesQualifiedSeriesWithBraces) {
  MetricCondition condition = MetricCondition::parse("loss{subset=val} <= 0.5");
  EXPECT_EQ(condition.series.name, "loss");
  EXPECT_EQ(condition.series.context, (nlohmann::json{{"subset", "val"}}));
  EXPECT_EQ(condition.op, CompareOp::kLessEqual);
  EXPECT_DOUBLE_EQ(condition.value, 0.5);
}

TEST(MetricCondition, RejectsNonNumericValue) {
  EXPECT_THROW(MetricCondition::parse("loss < low"), InvalidArgument);
  EXPECT_THROW(MetricCondition::parse("loss{subset=val <= 1"), InvalidArgument);
  EXPECT_THROW(MetricCondition::parse("loss"), InvalidArgument);
  for (const char* text : {"loss < 1e309", "loss < inf", "loss < nan", "loss << 1",
                           "loss < 0.5 AND 1=1", "loss < 0x1p3"}) {
    try {
      MetricCondition::parse(text);
      FAIL() << "accepted '" << text << "'";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find("loss{subset=val} < 0.5"), std::string::npos)
          << e.what();
    }
  }
  EXPECT_DOUBLE_EQ(MetricCondition::parse("loss < .5").value, 0.5);
}

TEST(MetricCondition, MatchesLastValueOfTheRightSeries) {
  SeriesSummary train{SeriesKey{"loss", nlohmann::json::object()}, 10, 0.8, 0.7, 2.0, 9, 0.0};
  SeriesSummary val{SeriesKey{"loss", {{"subset", "val"}}}, 3, 0.4, 0.4, 1.0, 2, 0.0};
  std::vector<SeriesSummary> metrics = {train, val};
  EXPECT_TRUE(MetricCondition::parse("loss{subset=val} < 0.5").matches(metrics));
  EXPECT_FALSE(MetricCondition::parse("loss < 0.5").matches(metrics));
  EXPECT_TRUE(MetricCondition::parse("loss == 0.8").matches(metrics));
  EXPECT_FALSE(MetricCondition::parse("accuracy > 0").matches(metrics));
  metrics[0].last = std::nan("");
  EXPECT_FALSE(MetricCondition::parse("loss < 1").matches(metrics));
}

TEST(ValidationRecordJson, HasAllFields) {
  ValidationRecord record;
  record.id = 4;
  record.run_id = "abc";
  record.rules_name = "default";
  record.rules_hash = "h";
  record.phase = "post";
  record.verdict = "FAIL";
  record.score = 42.0;
  record.violations = nlohmann::json::array({{{"rule", "r1"}}});
  record.report = {{"k", 1}};
  record.created_at = 0.0;
  nlohmann::json j = record;
  EXPECT_EQ(j["id"], 4);
  EXPECT_EQ(j["run_id"], "abc");
  EXPECT_EQ(j["verdict"], "FAIL");
  EXPECT_EQ(j["score"], 42.0);
  EXPECT_EQ(j["violations"][0]["rule"], "r1");
  EXPECT_EQ(j["report"]["k"], 1);
  EXPECT_EQ(j["created_at"], "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(j["rules_name"], "default");
  EXPECT_EQ(j["rules_hash"], "h");
  EXPECT_EQ(j["phase"], "post");
}

}  // namespace
}  // namespace vigil::tracker
