#include "runs_query.h"

#include <gtest/gtest.h>

#include "http_error.h"

namespace vigil::ui {
namespace {

QueryParams params(std::initializer_list<std::pair<const std::string, std::string>> items) {
  return QueryParams(items);
}

int status_of(const QueryParams& query) {
  try {
    parse_runs_query(query);
  } catch (const HttpError& e) {
    return e.status();
  }
  return 200;
}

TEST(RunsQuery, ParsesEveryFilter) {
  const auto query = parse_runs_query(params({{"experiment", "mnist"},
                                              {"name", "adam"},
                                              {"tag", "a"},
                                              {"tag", "b"},
                                              {"status", "finished,crashed"},
                                              {"status", "failed"},
                                              {"since", "2026-01-01"},
                                              {"until", "2026-01-31"},
                                              {"param", "optimizer.lr < 0.01"},
                                              {"metric", "loss{subset=val} < 0.5"},
                                              {"verdict", "pass"},
                                              {"id", "abc"},
                                              {"limit", "50"},
                                              {"offset", "100"},
                                              {"sort", "metric:loss"},
                                              {"order", "desc"},
                                              {"facets", "1"},
                                              {"token", "ignored"}}));
  const auto& f = query.filter;
  EXPECT_EQ(f.experiment, "mnist");
  EXPECT_EQ(f.name_contains, "adam");
  EXPECT_EQ(f.tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(f.statuses, (std::vector<tracker::RunStatus>{tracker::RunStatus::kFinished,
                                                         tracker::RunStatus::kCrashed,
                                                         tracker::RunStatus::kFailed}));
  ASSERT_TRUE(f.created_since && f.created_until);
  // A bare date as upper bound includes that whole day.
  EXPECT_NEAR(*f.created_until - *f.created_since, 31 * 86400.0, 0.01);
  ASSERT_EQ(f.params.size(), 1u);
  EXPECT_EQ(f.params[0].path, "optimizer.lr");
  ASSERT_EQ(f.metrics.size(), 1u);
  EXPECT_EQ(f.metrics[0].series.qualified_name(), "loss{subset=val}");
  EXPECT_EQ(f.verdict, "PASS");
  EXPECT_EQ(f.ids, std::vector<std::string>{"abc"});
  EXPECT_EQ(query.limit, 50u);
  EXPECT_EQ(query.offset, 100u);
  ASSERT_TRUE(query.sort);
  EXPECT_EQ(query.sort->kind, SortKey::Kind::kMetric);
  EXPECT_EQ(query.sort->name, "loss");
  EXPECT_TRUE(query.descending);
  EXPECT_TRUE(query.facets);
}

TEST(QueryString, SplitsPairsAtTheFirstEqualsSignAndDecodes) {
  const auto params = parse_query_string(
      "/api/runs?param=optimizer.name==adam&metric=loss%7Bsubset%3Dval%7D+%3C+0.5&tag=a&tag=b"
      "&flag&empty=&bad=%zz&sort=metric:acc{subset=val}#frag");
  EXPECT_EQ(params.find("param")->second, "optimizer.name==adam");
  EXPECT_EQ(params.find("metric")->second, "loss{subset=val} < 0.5");
  EXPECT_EQ(params.count("tag"), 2u);
  EXPECT_EQ(params.find("flag")->second, "");
  EXPECT_EQ(params.find("empty")->second, "");
  EXPECT_EQ(params.find("bad")->second, "%zz");
  EXPECT_EQ(params.find("sort")->second, "metric:acc{subset=val}");
  EXPECT_TRUE(parse_query_string("/api/runs").empty());
  EXPECT_TRUE(parse_query_string("/api/runs?").empty());
}

TEST(RunsQuery, EmptyNameMeansNoNameFilter) {
  EXPECT_FALSE(parse_runs_query(params({{"name", ""}})).filter.name_contains);
}

TEST(RunsQuery, RefusesMalformedParametersWith400) {
  EXPECT_EQ(status_of(params({{"status", "asleep"}})), 400);
  EXPECT_EQ(status_of(params({{"since", "last week"}})), 400);
  EXPECT_EQ(status_of(params({{"param", "no operator"}})), 400);
  EXPECT_EQ(status_of(params({{"metric", "loss < high"}})), 400);
  EXPECT_EQ(status_of(params({{"verdict", "OK"}})), 400);
  EXPECT_EQ(status_of(params({{"limit", "1e3"}})), 400);
  EXPECT_EQ(status_of(params({{"offset", "99999999999"}})), 400);
  EXPECT_EQ(status_of(params({{"sort", "param:"}})), 400);
  EXPECT_EQ(status_of(params({{"order", "sideways"}})), 400);
  EXPECT_EQ(status_of(params({{"facets", "yes"}})), 400);
  EXPECT_EQ(status_of(params({{"experiment", "a"}, {"experiment", "b"}})), 400);
  EXPECT_EQ(status_of(params({{"colour", "red"}})), 400);
}

tracker::RunInfo run(const std::string& name, nlohmann::json params, double loss) {
  tracker::RunInfo info;
  info.name = name;
  info.params = std::move(params);
  if (!std::isnan(loss)) {
    tracker::SeriesSummary summary;
    summary.key.name = "loss";
    summary.last = loss;
    info.metrics.push_back(summary);
  }
  return info;
}

std::vector<std::string> names(const std::vector<tracker::RunInfo>& runs, const SortKey& key,
                               bool descending) {
  std::vector<std::string> out;
  for (const auto index : sorted_order(runs, key, descending)) out.push_back(runs[index].name);
  return out;
}

TEST(SortRuns, MissingValuesGoLastInBothDirections) {
  const double nan = std::nan("");
  std::vector<tracker::RunInfo> runs = {run("a", {{"lr", 0.1}}, 0.5), run("b", {}, nan),
                                        run("c", {{"lr", 0.01}}, 0.2),
                                        run("d", {{"lr", "auto"}}, 0.9)};
  // Numbers before strings; runs without the value last.
  EXPECT_EQ(names(runs, {SortKey::Kind::kParam, "lr"}, false),
            (std::vector<std::string>{"c", "a", "d", "b"}));
  EXPECT_EQ(names(runs, {SortKey::Kind::kParam, "lr"}, true),
            (std::vector<std::string>{"d", "a", "c", "b"}));
  EXPECT_EQ(names(runs, {SortKey::Kind::kMetric, "loss"}, false),
            (std::vector<std::string>{"c", "a", "d", "b"}));
  EXPECT_EQ(names(runs, {SortKey::Kind::kField, "name"}, true),
            (std::vector<std::string>{"d", "c", "b", "a"}));
  // The store's order is newest first already.
  EXPECT_EQ(names(runs, {SortKey::Kind::kField, "created_at"}, true),
            (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST(FilterKey, IgnoresPagingSortingAndToken) {
  const auto a = filter_key(params({{"tag", "x"}, {"limit", "5"}, {"sort", "name"}}));
  const auto b = filter_key(params({{"offset", "50"}, {"tag", "x"}, {"token", "t"}}));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, filter_key(params({{"tag", "y"}})));
  EXPECT_NE(filter_key(params({{"tag", "a"}, {"tag", "b"}})), filter_key(params({{"tag", "ab"}})));
}

TEST(RunsFacets, ListsLeafParamPathsMetricNamesAndTags) {
  auto first =
      run("a", {{"optimizer", {{"name", "adam"}, {"betas", {0.9, 0.99}}}}, {"seed", 1}}, 0.1);
  first.tags = {"x", "y"};
  auto second = run("b", {{"optimizer", nlohmann::json::object()}}, std::nan(""));
  second.tags = {"y", "z"};
  const auto facets = runs_facets({first, second});
  EXPECT_EQ(facets.at("params"),
            nlohmann::json({"optimizer", "optimizer.betas", "optimizer.name", "seed"}));
  EXPECT_EQ(facets.at("metrics"), nlohmann::json({"loss"}));
  EXPECT_EQ(facets.at("tags"), nlohmann::json({"x", "y", "z"}));
}

TEST(FindParam, FollowsDottedPaths) {
  const nlohmann::json params = {{"optimizer", {{"lr", 0.1}}}, {"seed", 3}};
  ASSERT_NE(find_param(params, "optimizer.lr"), nullptr);
  EXPECT_EQ(*find_param(params, "optimizer.lr"), 0.1);
  EXPECT_EQ(find_param(params, "optimizer.momentum"), nullptr);
  EXPECT_EQ(find_param(params, "seed.x"), nullptr);
}

}  // namespace
}  // namespace vigil::ui
