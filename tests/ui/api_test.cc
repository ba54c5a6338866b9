// The dashboard's JSON API, served by vigil::ui::Server in-process on an ephemeral port and
// called over HTTP with httplib::Client, against a store filled by ui_fixture.
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api.h"
#include "api_test_fixture.h"
#include "deep_json.h"
#include "raw_sqlite.h"
#include "running_server.h"
#include "server.h"
#include "store_uris.h"
#include "temp_dir.h"
#include "ui_fixture.h"
#include "vigil/tracker.h"

namespace vigil::ui {
namespace {

using nlohmann::json;
using testing::DemoRuns;

TEST_F(ApiTest, RunsListsEveryRunNewestFirstAsRunObjects) {
  const auto result = get("/api/runs");
  const auto& runs = result.at("runs");
  ASSERT_EQ(runs.size(), 5 + kBulkRuns);
  EXPECT_EQ(result.at("total"), 5 + kBulkRuns);
  EXPECT_EQ(runs.front().at("name"), "bulk-00029");  // written last
  for (const char* key :
       {"id", "name", "experiment", "status", "created_at", "started_at", "finished_at", "duration",
        "params", "results", "tags", "metrics", "verdict", "score"}) {
    EXPECT_TRUE(runs.front().contains(key)) << key;
  }
  for (std::size_t i = 1; i < runs.size(); ++i) {
    EXPECT_GE(runs[i - 1].at("created_at").get<std::string>(),
              runs[i].at("created_at").get<std::string>());
  }
}

TEST_F(ApiTest, RunsFilterByTagStatusExperimentVerdictAndName) {
  EXPECT_EQ(names(get("/api/runs?tag=sgd")), (std::set<std::string>{"sgd-high-lr", "diverged"}));
  EXPECT_EQ(names(get("/api/runs?tag=sgd&tag=adam")), std::set<std::string>{});
  EXPECT_EQ(names(get("/api/runs?status=crashed")), std::set<std::string>{"crashed-run"});
  EXPECT_EQ(names(get("/api/runs?status=crashed,failed&experiment=mnist")),
            (std::set<std::string>{"crashed-run", "diverged"}));
  EXPECT_EQ(names(get("/api/runs?verdict=fail")), std::set<std::string>{"sgd-high-lr"});
  EXPECT_EQ(names(get("/api/runs?verdict=PASS")), std::set<std::string>{"baseline-adam"});
  EXPECT_EQ(names(get("/api/runs?name=HIGH")), std::set<std::string>{"sgd-high-lr"});
  EXPECT_EQ(get("/api/runs?experiment=bulk-0").at("total"), kBulkRuns / 5);
  EXPECT_EQ(get("/api/runs?since=2000-01-01&until=2999-12-31").at("total"), 5 + kBulkRuns);
  EXPECT_EQ(get("/api/runs?until=2000-01-01").at("total"), 0);
}

// The dashboard parses filters and dates with the tracker's parsers: the same errors as the CLI.
TEST_F(ApiTest, FiltersThatWouldMatchNothingAre400WithTheExpectedForm) {
  for (const char* expression : {"optimizer.lr < 1e309", "optimizer.lr << 0.01",
                                 "optimizer.lr < 0.01 AND 1=1", "optimizer.lr < abc"}) {
    const auto body =
        get("/api/runs?param=" + httplib::detail::encode_query_param(expression), 400);
    const auto error = body.at("error").get<std::string>();
    EXPECT_NE(error.find("parameter 'param'"), std::string::npos) << error;
    EXPECT_NE(error.find(expression), std::string::npos) << error;
    EXPECT_NE(error.find("e.g. optimizer.lr < 0.01"), std::string::npos) << error;
  }
  EXPECT_NE(get("/api/runs?metric=" + httplib::detail::encode_query_param("loss < 1e999"), 400)
                .at("error")
                .get<std::string>()
                .find("out of range"),
            std::string::npos);
  EXPECT_EQ(names(get("/api/runs?experiment=mnist&param=" +
                      httplib::detail::encode_query_param("optimizer.lr >= .1"))),
            (std::set<std::string>{"sgd-high-lr", "diverged"}));
}

TEST_F(ApiTest, ImpossibleDatesAre400) {
  for (const char* query : {"since=2026-02-30", "until=2025-04-31", "until=2026-02-29T10:00"}) {
    const auto error = get(std::string("/api/runs?") + query, 400).at("error").get<std::string>();
    EXPECT_NE(error.find(std::string(query).substr(std::string(query).find('=') + 1)),
              std::string::npos)
        << error;
  }
}

TEST_F(ApiTest, HostileTagBodiesAre400NotACrash) {
  for (const std::string& body :
       {std::string(20'000, '[') + std::string(20'000, ']'), std::string(R"({"add": [1e999]})"),
        std::string("{\"add\": [\"x\"]}\0garbage", 22), std::string(R"({"add": ["x"]} [])")}) {
    auto res = post_tags(ids_.baseline, body);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << body.substr(0, 40);
    const auto error = json::parse(res->body).at("error").get<std::string>();
    EXPECT_NE(error.find("request body"), std::string::npos) << error;
  }
  auto res = post_tags(ids_.baseline, R"({"add": [")" + std::string(70'000, 'x') + R"("]})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);  // the server's size cap, before any parsing
  EXPECT_EQ(get("/api/runs/" + ids_.baseline).at("tags"),
            json({"PASS", "adam", "baseline", "validated"}));  // nothing changed
}

TEST_F(ApiTest, StoredParamsNestedTooDeeplyStillList) {
  {
    tracker::StoreOptions store_options;
    store_options.handle_signals = false;
    tracker::Store store(store_path_, store_options);
    tracker::RunOptions options;
    options.name = "deep-params";
    store.start_run(options).finish();
  }
  // A foreign writer stores params nested 100,000 levels deep: the listing and the run page
  // still work, showing empty params.
  vigil::testing::raw_exec(store_path_, "UPDATE runs SET params = '" +
                                            vigil::testing::deep_object_text(100'000) +
                                            "' WHERE name = 'deep-params'");
  const auto listed = get("/api/runs?name=deep-params");
  ASSERT_EQ(listed.at("runs").size(), 1u);
  const auto id = listed.at("runs")[0].at("id").get<std::string>();
  EXPECT_EQ(get("/api/runs/" + id).at("params"), json::object());
}

TEST_F(ApiTest, RunsFilterByParamAndMetricConditions) {
  EXPECT_EQ(names(get("/api/runs?experiment=mnist&param=optimizer.lr%20%3E%3D%200.1")),
            (std::set<std::string>{"sgd-high-lr", "diverged"}));
  EXPECT_EQ(names(get("/api/runs?experiment=mnist&param=optimizer.name==adam&param=batch_size<64")),
            std::set<std::string>{"crashed-run"});
  // Last value of accuracy{subset=val}: baseline 0.91, sgd 0.72.
  EXPECT_EQ(names(get("/api/runs?experiment=mnist&metric=" +
                      httplib::detail::encode_query_param("accuracy{subset=val} > 0.9"))),
            std::set<std::string>{"baseline-adam"});
}

TEST_F(ApiTest, RunsBadFilterIs400NamingTheParameter) {
  for (const char* query : {"status=sleeping", "since=yesterday", "param=optimizer.lr%20%3C",
                            "metric=loss%20%3C%20abc", "verdict=MAYBE", "limit=-1", "limit=x",
                            "sort=colour", "order=up", "bogus=1", "name=a&name=b"}) {
    const auto body = get(std::string("/api/runs?") + query, 400);
    ASSERT_TRUE(body.contains("error")) << query;
    EXPECT_FALSE(body.at("error").get<std::string>().empty()) << query;
  }
  EXPECT_NE(get("/api/runs?status=sleeping", 400).at("error").get<std::string>().find("status"),
            std::string::npos);
}

TEST_F(ApiTest, RunsSortAndPageWithTotal) {
  const auto page = get("/api/runs?tag=bulk&sort=name&order=asc&offset=10&limit=5");
  EXPECT_EQ(page.at("total"), kBulkRuns);
  EXPECT_EQ(page.at("offset"), 10);
  ASSERT_EQ(page.at("runs").size(), 5u);
  EXPECT_EQ(page.at("runs")[0].at("name"), "bulk-00010");
  EXPECT_EQ(page.at("runs")[4].at("name"), "bulk-00014");

  const auto by_lr = get("/api/runs?experiment=mnist&sort=param:optimizer.lr&order=desc");
  ASSERT_EQ(by_lr.at("runs").size(), 4u);
  EXPECT_EQ(by_lr.at("runs")[0].at("name"), "diverged");       // lr 1.0
  EXPECT_EQ(by_lr.at("runs")[3].at("name"), "baseline-adam");  // lr 0.001

  // Runs without the metric go last in either direction.
  for (const char* order : {"asc", "desc"}) {
    const auto by_acc = get(
        std::string("/api/runs?experiment=mnist&sort=metric:accuracy{subset=val}&order=") + order);
    const auto& runs = by_acc.at("runs");
    ASSERT_EQ(runs.size(), 4u);
    EXPECT_EQ(runs[0].at("name"), order == std::string("asc") ? "sgd-high-lr" : "baseline-adam");
    EXPECT_FALSE(runs[2].at("metrics").contains("accuracy{subset=val}"));
  }
  const auto limited = get("/api/runs?limit=3");
  EXPECT_EQ(limited.at("runs").size(), 3u);
  EXPECT_EQ(limited.at("runs")[0].at("name"), "bulk-00029");
}

TEST_F(ApiTest, PagedListingSeesWritesOfOtherProcesses) {
  EXPECT_EQ(get("/api/runs?tag=late&facets=1").at("total"), 0);
  {
    tracker::StoreOptions options;
    options.handle_signals = false;
    tracker::Store writer(store_path_, options);  // as a training process would
    writer.add_tags(ids_.sgd, {"late"});
  }
  EXPECT_EQ(get("/api/runs?tag=late&facets=1").at("total"), 1);
  EXPECT_EQ(names(get("/api/runs?tag=late&offset=0&limit=5&sort=name")),
            std::set<std::string>{"sgd-high-lr"});
}

TEST_F(ApiTest, RunsFacetsListParamPathsMetricsAndTags) {
  const auto facets = get("/api/runs?experiment=mnist&facets=1").at("facets");
  const auto has = [](const json& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
  };
  EXPECT_TRUE(has(facets.at("params"), "optimizer.lr"));
  EXPECT_TRUE(has(facets.at("params"), "optimizer.betas"));
  EXPECT_FALSE(has(facets.at("params"), "optimizer"));
  EXPECT_TRUE(has(facets.at("metrics"), "accuracy{subset=val}"));
  EXPECT_TRUE(has(facets.at("tags"), "PASS"));
  EXPECT_FALSE(has(facets.at("tags"), "bulk"));
}

TEST_F(ApiTest, RunByIdOrUniquePrefix) {
  EXPECT_EQ(get("/api/runs/" + ids_.baseline).at("name"), "baseline-adam");
  EXPECT_EQ(get("/api/runs/" + ids_.baseline.substr(0, 12)).at("id"), ids_.baseline);
  const auto crashed = get("/api/runs/" + ids_.crashed);
  EXPECT_EQ(crashed.at("status"), "crashed");
  EXPECT_EQ(get("/api/runs/" + ids_.failed).at("error"), "loss became NaN at step 3");
}

TEST_F(ApiTest, UnknownRunIs404AndAmbiguousPrefixIs409) {
  EXPECT_TRUE(get("/api/runs/ffffffffffffffffffffffffffffffff", 404).contains("error"));
  EXPECT_TRUE(get("/api/runs/not-a-run", 404).contains("error"));
  // 35 runs over 16 hex digits: some first digit is shared (pigeonhole).
  std::map<char, int> first_digits;
  const auto all = get("/api/runs");
  for (const auto& run : all.at("runs")) {
    ++first_digits[run.at("id").get<std::string>()[0]];
  }
  const auto shared = std::find_if(first_digits.begin(), first_digits.end(),
                                   [](const auto& entry) { return entry.second > 1; });
  ASSERT_NE(shared, first_digits.end());
  const auto body = get(std::string("/api/runs/") + shared->first, 409);
  EXPECT_TRUE(body.contains("error"));
  EXPECT_TRUE(get(std::string("/api/runs/") + shared->first + "/series", 409).contains("error"));
}

TEST_F(ApiTest, SeriesListsSummaries) {
  const auto series = get("/api/runs/" + ids_.baseline + "/series");
  ASSERT_EQ(series.size(), 3u);
  std::set<std::string> qualified;
  for (const auto& s : series) qualified.insert(s.at("qualified_name").get<std::string>());
  EXPECT_EQ(qualified, (std::set<std::string>{"accuracy{subset=val}", "loss", "loss{subset=val}"}));
  for (const auto& s : series) {
    if (s.at("qualified_name") == "loss") {
      EXPECT_EQ(s.at("count"), 300);
      EXPECT_EQ(s.at("last_step"), 299);
      EXPECT_EQ(s.at("context"), json::object());
    }
  }
}

TEST_F(ApiTest, SeriesWithoutPointsHaveNullValuesNotNaNOr1970) {
  const auto ids = testing::add_runs_without_points(store_path_);
  const auto series = get("/api/runs/" + ids.at("declared").get<std::string>() + "/series");
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].at("count"), 0);
  for (const char* key : {"last", "min", "max", "last_step", "last_time"}) {
    EXPECT_TRUE(series[0].at(key).is_null()) << key << ": " << series[0].at(key);
  }
  EXPECT_EQ(get("/api/runs/" + ids.at("no_metrics").get<std::string>() + "/series"), json::array());
}

TEST_F(ApiTest, PointsComeBackColumnarAndDownsampled) {
  const auto all = get("/api/runs/" + ids_.baseline + "/points?metric=loss");
  ASSERT_EQ(all.at("step").size(), 300u);
  EXPECT_EQ(all.at("value").size(), 300u);
  EXPECT_EQ(all.at("epoch").size(), 300u);
  EXPECT_EQ(all.at("time").size(), 300u);
  EXPECT_EQ(all.at("downsampled"), false);
  EXPECT_EQ(all.at("step")[299], 299);
  EXPECT_EQ(all.at("epoch")[150], 1);

  const auto few = get("/api/runs/" + ids_.baseline + "/points?metric=loss&max_points=20");
  EXPECT_LE(few.at("step").size(), 20u);
  EXPECT_GE(few.at("step").size(), 10u);
  EXPECT_EQ(few.at("downsampled"), true);
  EXPECT_EQ(few.at("count"), 300);
  // min/max per bucket keeps the extremes: the first (largest) loss survives.
  EXPECT_DOUBLE_EQ(few.at("value")[0].get<double>(), all.at("value")[0].get<double>());
  for (std::size_t i = 1; i < few.at("step").size(); ++i) {
    EXPECT_LT(few.at("step")[i - 1].get<int>(), few.at("step")[i].get<int>());
  }

  const auto val = get("/api/runs/" + ids_.baseline + "/points?metric=" +
                       httplib::detail::encode_query_param("accuracy{subset=val}"));
  EXPECT_EQ(val.at("value"), json({0.80, 0.88, 0.91}));
}

TEST_F(ApiTest, PointsOfAStepRangeComeAtFullResolution) {
  const std::string base = "/api/runs/" + ids_.baseline + "/points?metric=loss";
  const auto range = get(base + "&min_step=100&max_step=149&max_points=2000");
  ASSERT_EQ(range.at("step").size(), 50u);
  EXPECT_EQ(range.at("step").front(), 100);
  EXPECT_EQ(range.at("step").back(), 149);
  EXPECT_EQ(range.at("count"), 300);  // the whole series
  // The same range under a smaller budget: downsampled within the range, never outside it.
  const auto few = get(base + "&min_step=100&max_step=149&max_points=10");
  EXPECT_LE(few.at("step").size(), 10u);
  EXPECT_GE(few.at("step").size(), 5u);
  for (const auto& step : few.at("step")) {
    EXPECT_GE(step.get<int>(), 100);
    EXPECT_LE(step.get<int>(), 149);
  }
  // One bound alone; a range beside the data is empty, not an error.
  EXPECT_EQ(get(base + "&min_step=290").at("step").size(), 10u);
  EXPECT_EQ(get(base + "&max_step=-1").at("step").size(), 0u);
}

TEST_F(ApiTest, PointsRefuseBadStepRangesAndBudgets) {
  const std::string base = "/api/runs/" + ids_.baseline + "/points?metric=loss";
  const auto inverted = get(base + "&min_step=5&max_step=4", 400);
  EXPECT_NE(inverted.at("error").get<std::string>().find("min_step <= max_step"),
            std::string::npos);
  get(base + "&min_step=abc", 400);
  get(base + "&min_step=1e3", 400);
  get(base + "&min_step=", 400);
  get(base + "&max_step=1234567890123456", 400);  // beyond 15 digits
  get(base + "&min_step=1&min_step=2", 400);
  get(base + "&max_points=100001", 400);
  get(base + "&max_points=-2", 400);
  get(base + "&step=3", 400);  // unknown parameter
  EXPECT_EQ(get(base + "&max_points=100000").at("step").size(), 300u);
}

TEST_F(ApiTest, PointsKeepNonFiniteValuesAsStrings) {
  const auto points = get("/api/runs/" + ids_.failed + "/points?metric=loss");
  EXPECT_EQ(points.at("value"), json({2.0, 9.0, "Infinity", "NaN"}));
}

TEST_F(ApiTest, PointsRefuseBadRequests) {
  get("/api/runs/" + ids_.baseline + "/points", 400);                       // no metric
  get("/api/runs/" + ids_.baseline + "/points?metric=accuracy", 404);       // no such series
  get("/api/runs/" + ids_.baseline + "/points?metric=loss%7Bsubset", 400);  // malformed name
  get("/api/runs/" + ids_.baseline + "/points?metric=loss&max_points=1", 400);
  get("/api/runs/" + ids_.baseline + "/points?metric=loss&max_points=lots", 400);
  get("/api/runs/ffffffffffffffffffffffffffffffff/points?metric=loss", 404);
}

TEST_F(ApiTest, ValidationsAndExperiments) {
  const auto validations = get("/api/runs/" + ids_.sgd + "/validations");
  ASSERT_EQ(validations.size(), 1u);
  EXPECT_EQ(validations[0].at("verdict"), "FAIL");
  EXPECT_EQ(validations[0].at("score"), 40.0);
  ASSERT_EQ(validations[0].at("violations").size(), 2u);
  EXPECT_EQ(validations[0].at("violations")[0].at("severity"), "error");
  EXPECT_EQ(get("/api/runs/" + ids_.xss + "/validations"), json::array());

  const auto experiments = get("/api/experiments");
  std::set<std::string> names(experiments.begin(), experiments.end());
  EXPECT_TRUE(names.count("mnist"));
  EXPECT_TRUE(names.count("security"));
  EXPECT_TRUE(names.count("bulk-4"));
}

TEST_F(ApiTest, RanksOfAJobRunByRankAndNoneForOneProcess) {
  std::string job_run;
  {
    tracker::StoreOptions quiet;
    quiet.handle_signals = false;
    tracker::Store store(store_path_, quiet);
    tracker::RankOptions rank;
    rank.job_id = "api-job";
    rank.world_size = 2;
    rank.device = "cpu";
    tracker::RunOptions options;
    options.name = "ddp";
    tracker::Run rank0 = store.join_run(options, rank);
    rank.rank = 1;
    rank.local_rank = 1;
    tracker::Run rank1 = store.join_run(options, rank);
    job_run = rank0.id();
    rank0.finish();
    rank1.finish(tracker::RunStatus::kFailed, "gloo: connection closed");
  }
  const auto ranks = get("/api/runs/" + job_run + "/ranks");
  ASSERT_EQ(ranks.size(), 2u);
  EXPECT_EQ(ranks[0].at("rank"), 0);
  EXPECT_EQ(ranks[0].at("status"), "finished");
  EXPECT_EQ(ranks[1].at("local_rank"), 1);
  EXPECT_EQ(ranks[1].at("device"), "cpu");
  EXPECT_EQ(ranks[1].at("status"), "failed");
  EXPECT_EQ(ranks[1].at("error"), "gloo: connection closed");
  EXPECT_EQ(ranks[1].at("pid"), static_cast<std::int64_t>(getpid()));
  EXPECT_TRUE(ranks[1].at("finished_at").is_string());
  EXPECT_EQ(get("/api/runs/" + job_run).at("error"), "rank 1: gloo: connection closed");
  EXPECT_EQ(get("/api/runs/" + ids_.baseline + "/ranks"), json::array());
  get("/api/runs/ffffffffffffffffffffffffffffffff/ranks", 404);
}

TEST_F(ApiTest, MetaServesTheConstantsOfTheTracker) {
  json expected = json::array();
  for (std::string_view tag : tracker::kVerdictTags) expected.push_back(std::string(tag));
  const auto meta = get("/api/meta");
  EXPECT_EQ(meta.at("verdict_tags"), expected);
  EXPECT_EQ(meta.at("statuses"),
            json({"running", "finished", "failed", "killed", "crashed", "rejected", "aborted"}));
  EXPECT_EQ(meta.at("verdicts"), json({"PASS", "FAIL"}));
  EXPECT_EQ(meta.at("max_response_points"), kMaxResponsePoints);
  EXPECT_NE(meta.at("store").get<std::string>().find(store_path_), std::string::npos);
  // Exactly those tags are refused by the tag editor.
  for (const auto& tag : expected) {
    auto res = post_tags(ids_.baseline, json({{"add", {tag}}}).dump());
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << tag;
  }
}

TEST_F(ApiTest, PagedListingSeesWritesOfThisServer) {
  EXPECT_EQ(get("/api/runs?tag=mine&facets=1").at("total"), 0);
  auto res = post_tags(ids_.sgd, R"({"add": ["mine"]})");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(get("/api/runs?tag=mine&facets=1").at("total"), 1);
}

TEST_F(ApiTest, TagPostAddsAndRemovesTags) {
  auto res = post_tags(ids_.baseline, R"({"add": ["keep", "best"], "remove": ["adam"]})");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const auto run = json::parse(res->body);
  EXPECT_EQ(run.at("tags"), json({"PASS", "baseline", "best", "keep", "validated"}));
  EXPECT_EQ(get("/api/runs/" + ids_.baseline).at("tags"), run.at("tags"));
  EXPECT_EQ(names(get("/api/runs?tag=best")), std::set<std::string>{"baseline-adam"});
}

TEST_F(ApiTest, TagPostRefusesBadBodies) {
  for (const char* body :
       {"not json", "[]", R"({"add": "x"})", R"({"add": [1]})", R"({"add": [""]})",
        R"({"color": ["x"]})", "{}", R"({"add": ["PASS"]})", R"({"remove": ["validated"]})"}) {
    auto res = post_tags(ids_.baseline, body);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << body;
    EXPECT_TRUE(json::parse(res->body).contains("error")) << body;
  }
  auto res = post_tags("ffffffffffffffffffffffffffffffff", R"({"add": ["x"]})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST(ApiOnPostgres, AnswersAsOnTheSqliteStoreItWasCopiedFrom) {
  if (!testing::postgres_tests_enabled()) GTEST_SKIP() << "VIGIL_TEST_POSTGRES=off";
  testing::TempDir dir;
  const std::string sqlite = dir.file("store.db");
  const DemoRuns ids = testing::fill_demo_store(sqlite);
  const std::string postgres = testing::fresh_store_uri("postgresql", dir, "store");
  {
    tracker::StoreOptions options;
    options.handle_signals = false;
    tracker::Store from(sqlite, options);
    tracker::Store to(postgres, options);
    ASSERT_EQ(tracker::copy_runs(from, to, {}).size(), 5u);
  }
  ServerOptions on_sqlite, on_postgres;
  on_sqlite.store_uri = sqlite;
  on_postgres.store_uri = postgres;
  on_sqlite.port = on_postgres.port = 0;
  RunningServer a(on_sqlite), b(on_postgres);
  httplib::Client from_sqlite("127.0.0.1", a.port()), from_postgres("127.0.0.1", b.port());
  // /api/meta names the store, which differs; its other fields are compared below.
  std::vector<std::string> paths = {"/api/runs", "/api/runs?tag=baseline&sort=name",
                                    "/api/experiments", "/api/governance/summary?bucket=week"};
  for (const std::string& id : {ids.baseline, ids.sgd, ids.failed, ids.crashed}) {
    for (const char* tail : {"", "/series", "/validations", "/points?metric=loss&max_points=50"}) {
      paths.push_back("/api/runs/" + id + tail);
    }
  }
  for (const std::string& path : paths) {
    auto x = from_sqlite.Get(path.c_str());
    auto y = from_postgres.Get(path.c_str());
    ASSERT_TRUE(x && y) << path;
    EXPECT_EQ(x->status, 200) << path << ": " << x->body;
    EXPECT_EQ(y->status, x->status) << path << ": " << y->body;
    EXPECT_EQ(y->body, x->body) << path;
  }
  auto meta_sqlite = nlohmann::json::parse(from_sqlite.Get("/api/meta")->body);
  auto meta_postgres = nlohmann::json::parse(from_postgres.Get("/api/meta")->body);
  EXPECT_EQ(meta_postgres.at("store"), tracker::Store::redact_uri(postgres));
  meta_sqlite.erase("store");
  meta_postgres.erase("store");
  EXPECT_EQ(meta_postgres, meta_sqlite);
  auto tagged = from_postgres.Post(("/api/runs/" + ids.sgd + "/tags").c_str(),
                                   R"({"add": ["reviewed"]})", "application/json");
  ASSERT_TRUE(tagged);
  EXPECT_EQ(tagged->status, 200) << tagged->body;
  tracker::StoreOptions read_only;
  read_only.read_only = true;
  read_only.handle_signals = false;
  const auto tags = tracker::Store(postgres, read_only).get_run(ids.sgd).tags;
  EXPECT_NE(std::find(tags.begin(), tags.end(), "reviewed"), tags.end());
}

}  // namespace
}  // namespace vigil::ui
