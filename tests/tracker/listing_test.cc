// Listings at scale (issue 14): the run summary the database filters on is kept by every
// write that changes it, the database's filters mean what the in-memory conditions mean,
// crash detection applies before a status filter, and a migrated store gets its summary.
#include <cmath>
#include <limits>

#include "raw_store.h"
#include "schema.h"
#include "store_fixture.h"

namespace vigil::tracker {
namespace {

class Listing : public StoreTest {
 protected:
  void SetUp() override { store_.emplace(open()); }

  std::size_t count(const RunFilter& filter) { return store_->count_runs(filter); }

  std::vector<std::string> ids(const RunFilter& filter) {
    std::vector<std::string> out;
    for (const auto& run : store_->list_runs(filter)) out.push_back(run.id);
    return out;
  }

  // Every run of the store that `matches` accepts, newest first (the in-memory reference).
  template <typename Matches>
  std::vector<std::string> reference(Matches&& matches) {
    std::vector<std::string> out;
    for (const auto& run : store_->list_runs()) {
      if (matches(run)) out.push_back(run.id);
    }
    return out;
  }

  std::optional<Store> store_;
};

TEST_P(Listing, SummaryFollowsEveryWrite) {
  tracker::Run run = store_->start_run({});
  const std::string id = run.id();
  run.log_metric("acc", 0.7, 1);
  run.flush();
  RunFilter good;
  good.metrics = {MetricCondition::parse("acc > 0.5")};
  EXPECT_EQ(count(good), 1u);
  run.log_metric("acc", 0.2, 2);  // a later batch changes the last value
  run.flush();
  EXPECT_EQ(count(good), 0u);

  RunFilter tagged;
  tagged.tags = {"keep"};
  store_->add_tags(id, {"keep"});
  EXPECT_EQ(ids(tagged), (std::vector<std::string>{id}));
  store_->remove_tags(id, {"keep"});
  EXPECT_EQ(count(tagged), 0u);

  ValidationRecord record;
  record.run_id = id;
  record.verdict = "PASS";
  record.score = 80;
  store_->add_validation(record);
  RunFilter pass;
  pass.verdict = "PASS";
  RunFilter fail;
  fail.verdict = "FAIL";
  EXPECT_EQ(count(pass), 1u);
  record.verdict = "FAIL";
  record.score = 20;
  store_->add_validation(record);  // the latest validation wins
  EXPECT_EQ(count(pass), 0u);
  EXPECT_EQ(count(fail), 1u);
  EXPECT_EQ(store_->get_run(id).score, 20.0);

  RunFilter rejected;
  rejected.statuses = {RunStatus::kRejected};
  EXPECT_EQ(count(rejected), 0u);
  run.finish(RunStatus::kRejected);
  EXPECT_EQ(count(rejected), 1u);

  store_->delete_runs({id});
  EXPECT_EQ(count(fail), 0u);
  EXPECT_EQ(count(rejected), 0u);
  EXPECT_EQ(count({}), 0u);
}

TEST_P(Listing, ImportedRunsCarryTheirLatestVerdict) {
  tracker::Run run = store_->start_run({});
  run.finish();
  ValidationRecord record;
  record.run_id = run.id();
  record.verdict = "FAIL";
  record.score = 10;
  store_->add_validation(record);
  record.verdict = "PASS";
  record.score = 95;
  store_->add_validation(record);
  testing::TempDir other_dir;
  Store other(testing::fresh_store_uri("sqlite", other_dir, "copy"), fast_options());
  copy_runs(*store_, other, {});
  RunFilter pass;
  pass.verdict = "PASS";
  EXPECT_EQ(other.count_runs(pass), 1u);
  pass.sort.key = RunSort::Key::kScore;
  ASSERT_EQ(other.list_runs(pass).size(), 1u);
  EXPECT_EQ(other.list_runs(pass)[0].score, 95.0);
}

// A run stored `running` whose process is gone: a status filter sees it crashed, also on a
// read-only store (which does not store it); a writable store stores it.
TEST_P(Listing, StatusFilterAppliesCrashDetectionFirst) {
  store_->start_run({}).finish();
  const std::string ghost = "00000000000000000000000000000abc";
  testing::store_exec(path_,
                      "INSERT INTO runs(id, name, experiment_id, status, created_at, started_at, "
                      "heartbeat_at, host, pid, command) VALUES('" +
                          ghost +
                          "', 'ghost', (SELECT min(id) FROM experiments), 'running', 5, 5, 5, "
                          "'elsewhere', 1, 'train')");
  RunFilter crashed;
  crashed.statuses = {RunStatus::kCrashed};
  RunFilter running;
  running.statuses = {RunStatus::kRunning};
  StoreOptions read_only = fast_options();
  read_only.read_only = true;
  Store reader(path_, read_only);
  EXPECT_EQ(reader.count_runs(crashed), 1u);
  ASSERT_EQ(reader.list_runs(crashed).size(), 1u);
  EXPECT_EQ(reader.list_runs(crashed)[0].id, ghost);
  EXPECT_EQ(reader.count_runs(running), 0u);
  EXPECT_TRUE(reader.list_runs(running).empty());
  EXPECT_EQ(testing::store_query(path_, "SELECT status FROM runs WHERE id = '" + ghost + "'"),
            "running");
  EXPECT_EQ(ids(crashed), (std::vector<std::string>{ghost}));
  EXPECT_EQ(testing::store_query(path_, "SELECT status FROM runs WHERE id = '" + ghost + "'"),
            "crashed");
}

// The database evaluates param conditions as ParamCondition::matches does in memory, for
// every kind of stored value (non-finite numbers included) and every operator.
TEST_P(Listing, ParamConditionsMatchTheInMemorySemantics) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<nlohmann::json> params = {
      {{"x", 1}, {"s", "adam"}, {"b", true}, {"n", nullptr}, {"o", {{"k", 2}}}},
      {{"x", 2.5}, {"s", "sgd"}, {"b", false}},
      {{"x", "1"}, {"s", 3}},
      {{"x", std::nan("")}},
      {{"x", inf}, {"o", {{"k", "v"}}}},
      {{"x", -inf}, {"a b", {{"c\"d", 1}}}},
      {{"x", {1, 2}}},
      nlohmann::json::object()};
  for (const auto& p : params) {
    RunOptions options;
    options.params = p;
    store_->start_run(options).finish();
  }
  std::vector<ParamCondition> conditions;
  for (const char* text :
       {"x < 2",      "x <= 1",       "x > 1",        "x >= 2.5",        "x == 1",
        "x != 1",     "x == \"1\"",   "x != \"1\"",   "x == true",       "x != true",
        "b == true",  "b != true",    "b == false",   "s == adam",       "s != adam",
        "s == 3",     "s != 3",       "o.k == 2",     "o.k != 2",        "o.k == v",
        "o.k > 1",    "n == 1",       "n != 1",       "x > 1e300",       "x < -1e300",
        "x != 1e300", "missing == 1", "missing != 1", "o.k.deeper == 1", "s != \"a b\""}) {
    conditions.push_back(ParamCondition::parse(text));
  }
  // Forms only a program builds: ordering strings, comparing with null.
  conditions.push_back({"s", CompareOp::kLess, "b"});
  conditions.push_back({"n", CompareOp::kEqual, nullptr});
  conditions.push_back({"n", CompareOp::kNotEqual, nullptr});
  conditions.push_back({"a b.c\"d", CompareOp::kEqual, 1});  // quotes are plain key bytes
  for (const auto& condition : conditions) {
    RunFilter filter;
    filter.params = {condition};
    const auto expected =
        reference([&](const RunInfo& run) { return condition.matches(run.params); });
    EXPECT_EQ(ids(filter), expected) << condition.path << " " << condition.value.dump();
    EXPECT_EQ(count(filter), expected.size()) << condition.path;
  }
}

TEST_P(Listing, MetricConditionsMatchTheInMemorySemantics) {
  for (double last : {1.0, 2.0, std::nan(""), -1.0}) {
    tracker::Run run = store_->start_run({});
    run.log_metric("m", 5.0, 0);
    run.log_metric("m", last, 1);
    run.log_metric("other", 1.0, 0, std::nullopt, {{"subset", "val"}});
    run.finish();
  }
  store_->start_run({}).finish();  // no series at all
  for (const char* text : {"m < 1.5", "m <= 1", "m > 1", "m >= -1", "m == 2", "m != 2",
                           "other{subset=val} == 1", "other == 1", "missing > 0"}) {
    const auto condition = MetricCondition::parse(text);
    RunFilter filter;
    filter.metrics = {condition};
    const auto expected =
        reference([&](const RunInfo& run) { return condition.matches(run.metrics); });
    EXPECT_EQ(ids(filter), expected) << text;
    EXPECT_EQ(count(filter), expected.size()) << text;
  }
}

TEST_P(Listing, ParamConditionsTheDatabaseCannotEvaluateAreOneLineErrors) {
  RunFilter filter;
  filter.params = {{"o", CompareOp::kEqual, nlohmann::json::object()}};
  EXPECT_THROW(store_->list_runs(filter), InvalidArgument);
  filter.params = {{"bad\xff", CompareOp::kEqual, 1}};  // a key that is not UTF-8
  EXPECT_THROW((void)store_->count_runs(filter), InvalidArgument);
  filter.params.clear();
  filter.sort.key = RunSort::Key::kParam;
  filter.sort.param = "bad\xff";
  EXPECT_THROW(store_->list_runs(filter), InvalidArgument);
}

// Every page of every sort, whatever its limit and offset, is the slice of the full listing:
// the plans a page's size chooses (a small set drives the statement or every set is probed
// run by run; a value sort reads its index in value order, then the runs without a value)
// give the same order.
TEST_P(Listing, PagesAreSlicesOfTheFullListingWhateverThePlan) {
  for (int i = 0; i < 30; ++i) {
    RunOptions options;
    options.name = "run-" + std::to_string(i % 7);  // ties on the name
    options.tags = {i % 10 == 0 ? "rare" : "common"};
    if (i % 6 != 5) {  // numbers (ties), strings, a boolean; some runs lack the param
      options.params = {{"p", i % 4 == 0   ? nlohmann::json("s" + std::to_string(i % 3))
                              : i % 9 == 0 ? nlohmann::json(true)
                                           : nlohmann::json(i % 5)}};
    }
    tracker::Run run = store_->start_run(options);
    if (i % 3 != 0) run.log_metric("m", (i % 4) * 0.5, 0);  // ties; a third lack it
    run.finish();
    if (i % 5 < 2) {
      ValidationRecord record;
      record.run_id = run.id();
      record.verdict = i % 2 ? "PASS" : "FAIL";
      record.score = (i % 3) * 10;  // ties; most runs have no score
      store_->add_validation(record);
    }
  }
  std::vector<RunFilter> filters(6);
  filters[1].tags = {"rare"};
  filters[2].tags = {"common"};
  filters[3].metrics = {MetricCondition::parse("m < 1")};
  filters[4].params = {ParamCondition::parse("p >= 1")};
  filters[5].tags = {"common"};
  filters[5].metrics = {MetricCondition::parse("m > 0")};
  std::vector<RunSort> sorts;
  for (auto key : {RunSort::Key::kCreated, RunSort::Key::kName, RunSort::Key::kScore,
                   RunSort::Key::kMetric, RunSort::Key::kParam}) {
    for (bool descending : {true, false}) {
      RunSort sort;
      sort.key = key;
      sort.descending = descending;
      sort.metric = SeriesKey::parse("m");
      sort.param = "p";
      sorts.push_back(sort);
    }
  }
  for (std::size_t f = 0; f < filters.size(); ++f) {
    for (const RunSort& sort : sorts) {
      RunFilter filter = filters[f];
      filter.sort = sort;
      const std::vector<std::string> full = ids(filter);
      ASSERT_EQ(count(filter), full.size()) << "filter " << f;
      // Limit 1 from the start probes every set but the smallest; deeper pages drive by
      // sets; offset 17 crosses from the runs with a value to those without.
      const std::vector<std::pair<std::size_t, std::size_t>> pages = {{1, 0},  {7, 0},  {7, 5},
                                                                      {7, 17}, {7, 29}, {7, 40}};
      for (const auto& [limit, offset] : pages) {
        filter.limit = limit;
        filter.offset = offset;
        const auto begin =
            full.begin() + static_cast<std::ptrdiff_t>(std::min(offset, full.size()));
        const auto end =
            full.begin() + static_cast<std::ptrdiff_t>(std::min(offset + limit, full.size()));
        EXPECT_EQ(ids(filter), std::vector<std::string>(begin, end))
            << "filter " << f << ", sort " << static_cast<int>(sort.key) << " " << sort.descending
            << ", limit " << limit << ", offset " << offset;
      }
    }
  }
}

// A run deleted while its owner still logs: the owner's later writes leave no series and no
// tags behind (counting a set counts its rows, so none may outlive its run).
TEST_P(Listing, WritesForADeletedRunLeaveNoRows) {
  tracker::Run run = store_->start_run({});
  const std::string id = run.id();
  run.log_metric("m", 1.0, 0);
  run.flush();
  store_->delete_runs({id});
  run.log_metric("m", 2.0, 1);
  run.log_metric("fresh", 3.0, 0);
  run.add_tag("late");
  run.flush();
  RunFilter metric;
  metric.metrics = {MetricCondition::parse("fresh > 0")};
  EXPECT_EQ(count(metric), 0u);
  RunFilter tagged;
  tagged.tags = {"late"};
  EXPECT_EQ(count(tagged), 0u);
  EXPECT_EQ(testing::store_query(path_, "SELECT count(*) FROM series"), "0");
  EXPECT_EQ(testing::store_query(path_, "SELECT count(*) FROM tags"), "0");
}

// A store written before the run summary existed (schema version 3) is migrated on open, and
// its runs' latest verdicts and scores are filled in from their validations.
TEST_P(Listing, MigrationBackfillsTheSummaryOfAnOlderStore) {
  std::vector<std::string> made;
  for (const char* verdict : {"PASS", "FAIL", ""}) {
    tracker::Run run = store_->start_run({});
    run.finish();
    made.push_back(run.id());
    if (*verdict == '\0') continue;
    ValidationRecord record;
    record.run_id = run.id();
    record.verdict = std::string(verdict) == "PASS" ? "FAIL" : "PASS";
    store_->add_validation(record);  // an earlier, different verdict
    record.verdict = verdict;
    record.score = 42;
    store_->add_validation(record);
  }
  store_.reset();
  // Version 3's tables: the summary columns and the indexes of versions 4 and 5 dropped (the
  // run indexes that version 5 replaces may stay: it drops and recreates them), and the
  // run_params table of version 6.
  const std::string before_summary = "3";
  testing::store_exec(
      path_, sqlite() ? "DROP TABLE run_params; DROP INDEX runs_by_experiment; "
                        "DROP INDEX runs_by_verdict; "
                        "DROP INDEX runs_by_verdict_score; DROP INDEX runs_by_score; "
                        "DROP INDEX runs_by_name; DROP INDEX tags_by_tag; "
                        "DROP INDEX series_by_key; "
                        "ALTER TABLE runs DROP COLUMN verdict; ALTER TABLE runs DROP COLUMN score; "
                        "PRAGMA user_version = " +
                            before_summary
                      : "DROP TABLE run_params; DROP INDEX runs_by_experiment; "
                        "DROP INDEX tags_by_tag; "
                        "DROP INDEX series_by_key; "
                        "ALTER TABLE runs DROP COLUMN verdict, DROP COLUMN score; "
                        "UPDATE vigil_schema SET version = " +
                            before_summary);
  store_.emplace(open());
  RunFilter pass;
  pass.verdict = "PASS";
  EXPECT_EQ(ids(pass), (std::vector<std::string>{made[0]}));
  RunFilter fail;
  fail.verdict = "FAIL";
  EXPECT_EQ(ids(fail), (std::vector<std::string>{made[1]}));
  EXPECT_EQ(store_->get_run(made[1]).score, 42.0);
  EXPECT_FALSE(store_->get_run(made[2]).verdict.has_value());
}

VIGIL_ON_EVERY_BACKEND(Listing);

}  // namespace
}  // namespace vigil::tracker
