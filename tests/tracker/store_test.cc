// Round trips of everything a Store keeps, run ids and prefixes, tags, validations, deletes.
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <set>

#include "raw_store.h"
#include "store_fixture.h"

namespace vigil::tracker {
namespace {

using StoreRoundTrip = StoreTest;

TEST_P(StoreRoundTrip, RunFieldsAreStored) {
  Store store = open();
  RunOptions options;
  options.name = "baseline";
  options.experiment = "mnist";
  options.command = "train --lr 0.1";
  const Timestamp before = now();
  auto run = store.start_run(options);
  EXPECT_EQ(run.id().size(), 32u);
  EXPECT_EQ(run.id().find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(run.status(), RunStatus::kRunning);

  RunInfo live = store.get_run(run.id());
  EXPECT_EQ(live.status, RunStatus::kRunning);
  EXPECT_EQ(live.name, "baseline");
  EXPECT_EQ(live.experiment, "mnist");
  EXPECT_EQ(live.command, "train --lr 0.1");
  EXPECT_EQ(live.pid, static_cast<std::int64_t>(getpid()));
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  EXPECT_EQ(live.host, host);
  EXPECT_GE(live.created_at, before - 0.01);
  EXPECT_DOUBLE_EQ(live.started_at, live.created_at);
  EXPECT_FALSE(live.finished_at.has_value());

  run.finish();
  RunInfo done = store.get_run(run.id());
  EXPECT_EQ(done.status, RunStatus::kFinished);
  ASSERT_TRUE(done.finished_at.has_value());
  EXPECT_GE(*done.finished_at, done.started_at);
  EXPECT_EQ(done.error, "");
  EXPECT_EQ(store.experiments(), (std::vector<std::string>{"mnist"}));
}

TEST_P(StoreRoundTrip, DefaultCommandIsThisProcessCommandLine) {
  Store store = open();
  auto run = store.start_run();
  run.finish();
  RunInfo info = store.get_run(run.id());
  EXPECT_NE(info.command.find("vigil_tracker_store_test"), std::string::npos) << info.command;
  EXPECT_EQ(info.experiment, "default");
}

TEST_P(StoreRoundTrip, ParamsMergeDeeplyAndResultsAndTagsAreStored) {
  Store store = open();
  RunOptions options;
  options.params = {{"optimizer", {{"name", "sgd"}, {"momentum", 0.9}}}, {"seed", 1}};
  options.tags = {"baseline", "gpu"};
  auto run = store.start_run(options);
  run.log_params({{"optimizer", {{"name", "adam"}, {"betas", {0.9, 0.999}}}}, {"epochs", 3}});
  run.log_param("optimizer.lr", 0.001);
  run.log_param("model.structure.layers", 4);
  run.log_results({{"final_accuracy", 0.91}});
  run.log_results({{"best_accuracy", 0.93}});
  run.add_tag("tmp");
  run.remove_tag("gpu");
  run.finish();
  EXPECT_THROW(run.log_params(nlohmann::json::array()), InvalidArgument);

  RunInfo info = store.get_run(run.id());
  nlohmann::json expected_params = {
      {"optimizer", {{"name", "adam"}, {"momentum", 0.9}, {"betas", {0.9, 0.999}}, {"lr", 0.001}}},
      {"seed", 1},
      {"epochs", 3},
      {"model", {{"structure", {{"layers", 4}}}}}};
  EXPECT_EQ(info.params, expected_params);
  EXPECT_EQ(info.results, (nlohmann::json{{"final_accuracy", 0.91}, {"best_accuracy", 0.93}}));
  EXPECT_EQ(info.tags, (std::vector<std::string>{"baseline", "tmp"}));

  store.add_tags(run.id(), {"zeta", "alpha"});
  store.remove_tags(run.id(), {"tmp"});
  EXPECT_EQ(store.get_run(run.id()).tags, (std::vector<std::string>{"alpha", "baseline", "zeta"}));
  EXPECT_THROW(store.add_tags(run.id(), {""}), InvalidArgument);
}

TEST_P(StoreRoundTrip, MetricPointsAndNonFiniteValuesComeBackExactly) {
  Store store = open();
  auto run = store.start_run();
  double payload_nan;
  std::uint64_t nan_bits = 0x7ff800000000abcdULL;
  std::memcpy(&payload_nan, &nan_bits, 8);
  const std::vector<double> values = {0.5, payload_nan, INFINITY, -INFINITY, -0.0, 2.0};
  auto loss = run.metric("loss", {{"subset", "val"}});
  for (std::size_t i = 0; i < values.size(); ++i) {
    loss.log(values[i], static_cast<std::int64_t>(i) * 10, static_cast<std::int64_t>(i));
  }
  run.log_metric("lr", 0.1, 0);
  run.finish();

  auto points = store.points(run.id(), SeriesKey::parse("loss{subset=val}"));
  ASSERT_EQ(points.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::uint64_t got, want;
    std::memcpy(&got, &points[i].value, 8);
    std::memcpy(&want, &values[i], 8);
    EXPECT_EQ(got, want) << i;
    EXPECT_EQ(points[i].step, static_cast<std::int64_t>(i) * 10);
    EXPECT_EQ(points[i].epoch, static_cast<std::int64_t>(i));
    EXPECT_NEAR(points[i].time, now(), 60.0);
  }
  auto lr = store.points(run.id(), SeriesKey{"lr", {}});
  ASSERT_EQ(lr.size(), 1u);
  EXPECT_FALSE(lr[0].epoch.has_value());

  auto series = store.series(run.id());
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].key.qualified_name(), "loss{subset=val}");
  EXPECT_EQ(series[0].count, 6);
  EXPECT_EQ(series[0].last, 2.0);
  EXPECT_EQ(series[0].min, -INFINITY);
  EXPECT_EQ(series[0].max, INFINITY);
  EXPECT_EQ(series[0].last_step, 50);
  EXPECT_EQ(series[1].key.qualified_name(), "lr");
  EXPECT_THROW(store.points(run.id(), SeriesKey{"nope", {}}), Error);
}

TEST_P(StoreRoundTrip, AllNaNSeriesHasNaNMinAndMax) {
  Store store = open();
  auto run = store.start_run();
  run.log_metric("loss", std::nan(""), 0);
  run.log_metric("loss", std::nan(""), 1);
  run.finish();
  auto info = store.get_run(run.id());
  ASSERT_EQ(info.metrics.size(), 1u);
  EXPECT_TRUE(std::isnan(info.metrics[0].min));
  EXPECT_TRUE(std::isnan(info.metrics[0].max));
  EXPECT_TRUE(std::isnan(info.metrics[0].last));
  EXPECT_EQ(info.metrics[0].count, 2);
}

TEST_P(StoreRoundTrip, RunIdsResolveByUniquePrefix) {
  Store store = open();
  std::vector<std::string> ids;
  for (int i = 0; i < 17; ++i) ids.push_back(store.start_run().id());  // finished at once
  // 17 ids over 16 hex digits: at least two share their first character.
  std::map<char, std::vector<std::string>> by_first;
  for (const auto& id : ids) by_first[id[0]].push_back(id);
  auto shared = std::find_if(by_first.begin(), by_first.end(),
                             [](const auto& entry) { return entry.second.size() > 1; });
  ASSERT_NE(shared, by_first.end());
  try {
    store.resolve_run_id(std::string(1, shared->first));
    FAIL() << "expected AmbiguousRunId";
  } catch (const AmbiguousRunId& e) {
    for (const auto& id : shared->second) {
      EXPECT_NE(std::string(e.what()).find(id), std::string::npos) << e.what();
    }
  }
  for (const auto& id : ids) {
    EXPECT_EQ(store.resolve_run_id(id), id);
    EXPECT_EQ(store.resolve_run_id(id.substr(0, 12)), id);
    std::string upper = id.substr(0, 12);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(store.resolve_run_id(upper), id);
    EXPECT_EQ(store.get_run(id.substr(0, 12)).id, id);
  }
  EXPECT_THROW(store.resolve_run_id("zzzz"), RunNotFound);
  EXPECT_THROW(store.get_run("0000000000000000000000000000000g"), RunNotFound);
  EXPECT_THROW(store.resolve_run_id(""), InvalidArgument);
}

TEST_P(StoreRoundTrip, ResolveRunAcceptsAUniqueNameOrIdPrefix) {
  Store store = open();
  auto named = [&](const std::string& name) {
    RunOptions options;
    options.name = name;
    return store.start_run(options).id();  // finished at once
  };
  const std::string mnist = named("mnist-baseline");
  const std::string gan_a = named("gan");
  const std::string gan_b = named("gan");
  const std::string unnamed = named("");

  RunRef ref = store.resolve_run("mnist-baseline");
  EXPECT_EQ(ref.id, mnist);
  EXPECT_EQ(ref.name, "mnist-baseline");
  EXPECT_EQ(store.resolve_run("  mnist-baseline ").id, mnist);
  EXPECT_EQ(store.resolve_run(mnist).id, mnist);
  EXPECT_EQ(store.resolve_run(mnist.substr(0, 12)).id, mnist);
  EXPECT_EQ(store.resolve_run(unnamed).name, "");
  EXPECT_THROW((void)store.resolve_run("MNIST-baseline"), RunNotFound);  // names match exactly
  EXPECT_THROW((void)store.resolve_run("nothing-called-this"), RunNotFound);
  EXPECT_THROW((void)store.resolve_run(" "), InvalidArgument);
  try {
    (void)store.resolve_run("gan");
    FAIL() << "expected AmbiguousRunId";
  } catch (const AmbiguousRunId& e) {
    ASSERT_EQ(e.candidates().size(), 2u);
    std::set<std::string> ids = {e.candidates()[0].id, e.candidates()[1].id};
    EXPECT_EQ(ids, (std::set<std::string>{gan_a, gan_b}));
    EXPECT_EQ(e.candidates()[0].name, "gan");
    EXPECT_LT(e.candidates()[0].id, e.candidates()[1].id);  // sorted by id
    EXPECT_NE(std::string(e.what()).find("'gan' matches 2 runs"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(gan_a + " gan"), std::string::npos) << e.what();
  }
  // A full id wins over another run whose name is that id.
  const std::string id_named_run = named(gan_a);
  EXPECT_EQ(store.resolve_run(gan_a).id, gan_a);
  EXPECT_EQ(store.resolve_run(id_named_run).id, id_named_run);
}

TEST_P(StoreRoundTrip, ResolveRunListsAtMostTenCandidates) {
  Store store = open();
  RunOptions options;
  options.name = "sweep";
  for (int i = 0; i < 12; ++i) (void)store.start_run(options);
  try {
    (void)store.resolve_run("sweep");
    FAIL() << "expected AmbiguousRunId";
  } catch (const AmbiguousRunId& e) {
    EXPECT_EQ(e.candidates().size(), 10u);
    EXPECT_NE(std::string(e.what()).find("matches more than 10 runs"), std::string::npos)
        << e.what();
  }
}

TEST_P(StoreRoundTrip, DeleteRunsRemovesAllTheirData) {
  Store store = open();
  auto keep = store.start_run();
  keep.log_metric("loss", 1.0, 0);
  keep.finish();
  auto gone = store.start_run();
  gone.log_metric("loss", 1.0, 0);
  gone.add_tag("x");
  gone.finish();
  ValidationRecord record;
  record.run_id = gone.id();
  record.verdict = "PASS";
  store.add_validation(record);

  EXPECT_THROW(store.delete_runs({gone.id(), "ffffffffffffffffffffffffffffffff"}), RunNotFound);
  EXPECT_EQ(store.list_runs().size(), 2u);  // nothing deleted on error

  store.delete_runs({gone.id()});
  EXPECT_THROW(store.get_run(gone.id()), RunNotFound);
  ASSERT_EQ(store.list_runs().size(), 1u);
  for (const char* table : {"series", "chunks", "tags", "validations"}) {
    std::string sql = std::string("SELECT count(*) FROM ") + table;
    bool kept = std::string(table) == "series" || std::string(table) == "chunks";
    EXPECT_EQ(testing::store_query(path_, sql), kept ? "1" : "0") << table;
  }
  EXPECT_EQ(store.points(keep.id(), SeriesKey{"loss", {}}).size(), 1u);
}

TEST_P(StoreRoundTrip, ValidationsMaintainVerdictTags) {
  Store store = open();
  auto run = store.start_run();
  run.add_tag("baseline");
  run.finish();
  EXPECT_FALSE(store.latest_validation(run.id()).has_value());

  ValidationRecord pass;
  pass.run_id = run.id().substr(0, 10);  // prefixes are accepted
  pass.rules_name = "default";
  pass.rules_hash = "abc";
  pass.phase = "post";
  pass.verdict = "PASS";
  pass.score = 95.0;
  pass.report = {{"rules", 3}};
  std::int64_t first = store.add_validation(pass);
  RunInfo info = store.get_run(run.id());
  EXPECT_EQ(info.tags, (std::vector<std::string>{"PASS", "baseline", "validated"}));
  EXPECT_EQ(info.verdict, "PASS");
  EXPECT_EQ(info.score, 95.0);

  ValidationRecord fail = pass;
  fail.verdict = "FAIL";
  fail.score = 40.0;
  fail.violations = nlohmann::json::array({{{"rule", "lr_range"}, {"severity", "error"}}});
  std::int64_t second = store.add_validation(fail);
  EXPECT_GT(second, first);
  info = store.get_run(run.id());
  EXPECT_EQ(info.tags, (std::vector<std::string>{"FAIL", "baseline", "validated"}));
  EXPECT_EQ(info.verdict, "FAIL");
  EXPECT_EQ(info.score, 40.0);

  auto all = store.validations(run.id());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, first);
  EXPECT_EQ(all[0].verdict, "PASS");
  EXPECT_EQ(all[0].run_id, run.id());
  EXPECT_EQ(all[0].report, pass.report);
  EXPECT_EQ(all[1].violations, fail.violations);
  EXPECT_GT(all[1].created_at, 0.0);
  EXPECT_EQ(store.latest_validation(run.id())->id, second);

  ValidationRecord bad = pass;
  bad.verdict = "MAYBE";
  EXPECT_THROW(store.add_validation(bad), InvalidArgument);
  bad.verdict = "PASS";
  bad.run_id = "ffffffffffffffffffffffffffffffff";
  EXPECT_THROW(store.add_validation(bad), RunNotFound);
}

TEST_P(StoreRoundTrip, SetStatusStoresTerminalStatusThatOwnerDoesNotOverwrite) {
  Store store = open();
  auto run = store.start_run();
  store.set_status(run.id(), RunStatus::kRejected, "lr too high");
  EXPECT_THROW(store.set_status(run.id(), RunStatus::kRunning), InvalidArgument);
  run.finish();
  RunInfo info = store.get_run(run.id());
  EXPECT_EQ(info.status, RunStatus::kRejected);
  EXPECT_EQ(info.error, "lr too high");
  EXPECT_TRUE(info.finished_at.has_value());
}

TEST_P(StoreRoundTrip, ReadOnlyStoreReadsButRefusesWrites) {
  {
    Store store = open();
    store.start_run().finish();
  }
  StoreOptions options = fast_options();
  options.read_only = true;
  Store reader(path_, options);
  EXPECT_EQ(reader.list_runs().size(), 1u);
  EXPECT_THROW(reader.start_run(), Error);
  EXPECT_THROW(reader.add_tags(reader.list_runs()[0].id, {"x"}), Error);
  StoreOptions missing = options;
  EXPECT_THROW(Store(dir_.file("missing.db"), missing), StoreError);
}

// NaN and +-Inf in params and results used to be stored as JSON null ("missing").
TEST_P(StoreRoundTrip, NonFiniteParamsAndResultsComeBackAsDoubles) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Store store = open();
  RunOptions options;
  options.params = {{"lr", nan}, {"clip", {{"max", inf}, {"min", -inf}}}, {"list", {1.0, nan}}};
  auto run = store.start_run(options);
  run.log_param("late", -inf);
  run.log_results({{"loss", nan}, {"best", inf}, {"text", "NaN"}});
  run.finish();

  for (const RunInfo& info : {store.get_run(run.id()), store.list_runs().at(0)}) {
    ASSERT_TRUE(info.params.at("lr").is_number_float()) << info.params.dump();
    EXPECT_TRUE(std::isnan(info.params.at("lr").get<double>()));
    EXPECT_EQ(info.params.at("clip").at("max").get<double>(), inf);
    EXPECT_EQ(info.params.at("clip").at("min").get<double>(), -inf);
    EXPECT_TRUE(std::isnan(info.params.at("list").at(1).get<double>()));
    EXPECT_EQ(info.params.at("late").get<double>(), -inf);
    EXPECT_TRUE(std::isnan(info.results.at("loss").get<double>()));
    EXPECT_EQ(info.results.at("best").get<double>(), inf);
    EXPECT_EQ(info.results.at("text"), "NaN");  // a string stays a string
  }
  // The documented stored form, valid JSON for every reader of the file.
  const std::string lr = sqlite() ? "json_extract(params, '$.lr')" : "(params::jsonb)->'lr'";
  const std::string best =
      sqlite() ? "json_extract(results, '$.best')" : "(results::jsonb)->'best'";
  EXPECT_EQ(nlohmann::json::parse(testing::store_query(path_, "SELECT " + lr + " FROM runs")),
            nlohmann::json::parse(R"({"$numberDouble":"NaN"})"));
  EXPECT_EQ(nlohmann::json::parse(testing::store_query(path_, "SELECT " + best + " FROM runs")),
            nlohmann::json::parse(R"({"$numberDouble":"Infinity"})"));
  // JSON output spells them as metric values are spelled.
  nlohmann::json out = store.get_run(run.id());
  EXPECT_EQ(out.at("params").at("lr"), "NaN");
  EXPECT_EQ(out.at("params").at("clip").at("min"), "-Infinity");
  EXPECT_EQ(out.at("results").at("best"), "Infinity");
}

TEST_P(StoreRoundTrip, NullParamsOfOlderStoresStillReadAsNull) {
  Store store = open();
  store.start_run().finish();
  testing::store_exec(path_, R"(UPDATE runs SET params = '{"lr":null}', results = '{"x":null}')");
  RunInfo info = store.list_runs().at(0);
  EXPECT_TRUE(info.params.at("lr").is_null());
  EXPECT_TRUE(info.results.at("x").is_null());
}

TEST_P(StoreRoundTrip, RejectsInvalidOptions) {
  StoreOptions options = fast_options();
  options.flush_interval = std::chrono::milliseconds(0);
  EXPECT_THROW(open(options), InvalidArgument);
  options = fast_options();
  options.max_buffered_points = 0;
  EXPECT_THROW(open(options), InvalidArgument);
}

VIGIL_ON_EVERY_BACKEND(StoreRoundTrip);

}  // namespace
}  // namespace vigil::tracker
