#include "vigil/rules/types.h"

#include <gtest/gtest.h>

#include "rules_test_util.h"

namespace vigil::rules {
namespace {

TEST(Names, RoundTripAndRejectUnknown) {
  for (auto s : {Severity::kOff, Severity::kInfo, Severity::kWarning, Severity::kError}) {
    EXPECT_EQ(parse_severity(to_string(s)), s);
  }
  for (auto p : {Phase::kPre, Phase::kDuring, Phase::kPost, Phase::kAll}) {
    EXPECT_EQ(parse_phase(to_string(p)), p);
  }
  EXPECT_EQ(to_string(Verdict::kPass), "PASS");
  EXPECT_EQ(to_string(Verdict::kFail), "FAIL");
  EXPECT_EQ(parse_decision("stop_now"), Decision::kStopNow);
  EXPECT_EQ(parse_enforcement("warn_only"), Enforcement::kWarnOnly);
  try {
    parse_severity("fatal");
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(std::string(e.what()),
              "invalid severity 'fatal': expected one of off, info, warning, error");
  }
  EXPECT_THROW(parse_verdict("pass"), InvalidArgument);
}

TEST(ReportJson, RoundTrips) {
  auto run = testing::make_run({{"lr", 0.5}});
  run.name = "abc";
  EvaluationOptions options;
  options.created_at = 1.5e9;
  auto report = evaluate(RuleSet::default_rules(), run, options);
  ASSERT_EQ(report.violations.size(), 4u);
  nlohmann::json j = report;
  EXPECT_EQ(j.at("verdict"), "FAIL");
  EXPECT_EQ(j.at("violations").size(), 4u);
  EXPECT_EQ(j.at("violations")[0].at("severity"), "error");
  EXPECT_EQ(j.at("created_at"), "2017-07-14T02:40:00.000Z");
  auto back = j.get<Report>();
  EXPECT_EQ(nlohmann::json(back), j);
  EXPECT_EQ(back.score, report.score);
  EXPECT_EQ(back.created_at, report.created_at);
  EXPECT_EQ(back.violations[0].actual, 0.5);
  EXPECT_EQ(back.violations[1].not_evaluable, true);
}

TEST(ReportJson, MissingKeyIsAnError) {
  nlohmann::json j = Report{};
  j.erase("score");
  EXPECT_THROW(j.get<Report>(), nlohmann::json::exception);
  nlohmann::json v = Violation{};
  v["severity"] = "fatal";
  EXPECT_THROW(v.get<Violation>(), InvalidArgument);
}

}  // namespace
}  // namespace vigil::rules
