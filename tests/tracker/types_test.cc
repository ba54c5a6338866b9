#include "vigil/tracker/types.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "vigil/tracker/errors.h"
#include "vigil/tracker/query.h"

namespace vigil::tracker {
namespace {

TEST(RunStatus, NamesRoundTrip) {
  for (RunStatus status :
       {RunStatus::kRunning, RunStatus::kFinished, RunStatus::kFailed, RunStatus::kKilled,
        RunStatus::kCrashed, RunStatus::kRejected, RunStatus::kAborted}) {
    EXPECT_EQ(parse_run_status(to_string(status)), status);
  }
  EXPECT_EQ(to_string(RunStatus::kCrashed), "crashed");
  EXPECT_FALSE(is_terminal(RunStatus::kRunning));
  EXPECT_TRUE(is_terminal(RunStatus::kAborted));
}

TEST(RunStatus, ParseRejectsUnknownNameNamingIt) {
  try {
    parse_run_status("Finished");
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("'Finished'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("rejected"), std::string::npos);
  }
}

// Found by fuzz/filter.cc: the context is JSON, so a non-UTF-8 key or value made every later
// qualified_name()/dump() throw nlohmann's type_error instead of a vigil error.
TEST(SeriesKey, ParseRejectsContextThatIsNotUtf8) {
  EXPECT_THROW(SeriesKey::parse("accuracy{!= \"\xect\xc5rjece{su=1}"), InvalidArgument);
  EXPECT_THROW(SeriesKey::parse("loss{subset=\xff}"), InvalidArgument);
  EXPECT_THROW(MetricCondition::parse("loss{\xc3=val} < 1"), InvalidArgument);
  EXPECT_EQ(SeriesKey::parse("loss{subset=v\xc3\xa9}").qualified_name(), "loss{subset=v\xc3\xa9}");
}

TEST(SeriesKey, QualifiedNameSortsKeysAndUnquotesStrings) {
  EXPECT_EQ((SeriesKey{"loss", nlohmann::json::object()}).qualified_name(), "loss");
  EXPECT_EQ((SeriesKey{"loss", nullptr}).qualified_name(), "loss");
  EXPECT_EQ((SeriesKey{"loss", {{"subset", "val"}}}).qualified_name(), "loss{subset=val}");
  EXPECT_EQ((SeriesKey{"acc", {{"subset", "train"}, {"fold", 2}}}).qualified_name(),
            "acc{fold=2,subset=train}");
  // A string that would read back as a number keeps its quotes.
  EXPECT_EQ((SeriesKey{"acc", {{"fold", "2"}}}).qualified_name(), "acc{fold=\"2\"}");
}

TEST(SeriesKey, ParseInvertsQualifiedName) {
  std::vector<SeriesKey> keys = {
      {"loss", nlohmann::json::object()},
      {"loss", {{"subset", "val"}}},
      {"acc", {{"fold", 2}, {"subset", "train"}, {"flag", true}}},
      {"acc", {{"fold", "2"}}},
      {"x", {{"s", "a,b=c"}}},
  };
  for (const auto& key : keys) {
    SeriesKey parsed = SeriesKey::parse(key.qualified_name());
    EXPECT_EQ(parsed, key) << key.qualified_name();
  }
}

TEST(SeriesKey, ParseRejectsMalformedText) {
  for (const char* text :
       {"", "{a=b}", "loss{subset=val", "loss{subset}", "loss}", "loss{=x}", "loss{a=\"x}"}) {
    EXPECT_THROW(SeriesKey::parse(text), InvalidArgument) << text;
  }
}

TEST(Time, FormatAndParseRoundTrip) {
  EXPECT_EQ(format_time(0.0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_time(1764157243.123), "2025-11-26T11:40:43.123Z");
  EXPECT_DOUBLE_EQ(parse_time("2025-11-26T11:40:43.123Z"), 1764157243.123);
  EXPECT_DOUBLE_EQ(parse_time("2025-11-26"), 1764115200.0);
  EXPECT_DOUBLE_EQ(parse_time("2025-11-26T11:40"), 1764157200.0);
  EXPECT_DOUBLE_EQ(parse_time("2025-11-26T11:40:43"), 1764157243.0);
  Timestamp t = now();
  EXPECT_NEAR(parse_time(format_time(t)), t, 0.001);
}

TEST(Time, ParseRejectsMalformedText) {
  for (const char* text : {"", "2025", "2025-13-01", "2025-11-26T25:00", "2025-11-26X", "yesterday",
                           "2025-11-26T11:40:43.", "2025-11-26T11:40Zjunk"}) {
    EXPECT_THROW(parse_time(text), InvalidArgument) << text;
  }
}

TEST(Time, ParseRejectsDatesThatDoNotExist) {
  for (const char* text : {"2026-02-30", "2026-02-29", "2025-04-31", "2026-01-32", "2026-00-10",
                           "2026-02-30T10:00", "2026-11-26T23:59:60", "2026-11-26T24:00"}) {
    try {
      parse_time(text);
      FAIL() << "accepted " << text;
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos);
      EXPECT_NE(std::string(e.what()).find("expected YYYY-MM-DD"), std::string::npos);
    }
  }
  EXPECT_DOUBLE_EQ(parse_time("2024-02-29"), 1709164800.0);  // leap year
  EXPECT_NO_THROW(parse_time("2000-02-29"));
  EXPECT_THROW(parse_time("1900-02-29"), InvalidArgument);
  EXPECT_NO_THROW(parse_time("2026-12-31T23:59:59.999Z"));
}

TEST(Time, DateOnlyUpperBoundMeansEndOfThatDay) {
  EXPECT_DOUBLE_EQ(parse_time_bound("2025-11-26", TimeBound::kStart), 1764115200.0);
  EXPECT_DOUBLE_EQ(parse_time_bound("2025-11-26", TimeBound::kEnd), 1764115200.0 + 86399.999);
  EXPECT_DOUBLE_EQ(parse_time_bound("2025-11-26T11:40", TimeBound::kEnd), 1764157200.0);
  EXPECT_THROW(parse_time_bound("2026-02-30", TimeBound::kEnd), InvalidArgument);
}

TEST(FiniteOrString, SpellsNonFiniteValues) {
  EXPECT_EQ(finite_or_string(1.5), nlohmann::json(1.5));
  EXPECT_EQ(finite_or_string(std::nan("")), nlohmann::json("NaN"));
  EXPECT_EQ(finite_or_string(INFINITY), nlohmann::json("Infinity"));
  EXPECT_EQ(finite_or_string(-INFINITY), nlohmann::json("-Infinity"));
}

TEST(RunInfoJson, HasDocumentedFields) {
  RunInfo run;
  run.id = std::string(32, 'a');
  run.name = "n";
  run.experiment = "e";
  run.status = RunStatus::kRunning;
  run.created_at = run.started_at = run.heartbeat_at = 100.0;
  run.tags = {"PASS"};
  SeriesSummary loss;
  loss.key = SeriesKey{"loss", {{"subset", "val"}}};
  loss.count = 3;
  loss.last = std::nan("");
  loss.min = 0.5;
  loss.max = INFINITY;
  loss.last_step = 7;
  run.metrics.push_back(loss);
  nlohmann::json j = run;
  for (const char* key : {"id", "name", "experiment", "status", "created_at", "started_at",
                          "finished_at", "heartbeat_at", "duration", "host", "pid", "command",
                          "error", "params", "results", "tags", "metrics", "verdict", "score"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j.size(), 19u);
  EXPECT_EQ(j["status"], "running");
  EXPECT_TRUE(j["finished_at"].is_null());
  EXPECT_TRUE(j["duration"].is_null());
  EXPECT_TRUE(j["verdict"].is_null());
  EXPECT_TRUE(j["score"].is_null());
  EXPECT_EQ(j["created_at"], "1970-01-01T00:01:40.000Z");
  const auto& m = j["metrics"]["loss{subset=val}"];
  EXPECT_EQ(m["last"], "NaN");
  EXPECT_EQ(m["max"], "Infinity");
  EXPECT_EQ(m["min"], 0.5);
  EXPECT_EQ(m["count"], 3);
  EXPECT_EQ(m["last_step"], 7);

  run.status = RunStatus::kFinished;
  run.finished_at = 112.5;
  run.verdict = "PASS";
  run.score = 87.5;
  j = run;
  EXPECT_DOUBLE_EQ(j["duration"].get<double>(), 12.5);
  EXPECT_EQ(j["verdict"], "PASS");
  EXPECT_EQ(j["score"], 87.5);
}

}  // namespace
}  // namespace vigil::tracker
