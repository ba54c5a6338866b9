// Store::list_runs: every RunFilter field, ordering and limit.
#include <thread>

#include "raw_store.h"
#include "store_fixture.h"

namespace vigil::tracker {
namespace {

class ListRuns : public StoreTest {
 protected:
  void SetUp() override {
    store_.emplace(open());
    auto make = [&](const std::string& name, const std::string& experiment, double lr,
                    const std::string& opt, double val_loss, std::vector<std::string> tags,
                    RunStatus status) {
      RunOptions options;
      options.name = name;
      options.experiment = experiment;
      options.params = {{"optimizer", {{"lr", lr}, {"name", opt}}}};
      options.tags = std::move(tags);
      auto run = store_->start_run(options);
      run.log_metric("loss", val_loss, 1, 0, {{"subset", "val"}});
      run.log_metric("loss", val_loss * 2, 1);
      run.finish(status);
      ids_.push_back(run.id());
    };
    make("Baseline-A", "mnist", 0.1, "sgd", 0.9, {"baseline"}, RunStatus::kFinished);
    make("baseline-b", "mnist", 0.01, "adam", 0.4, {"baseline", "gpu"}, RunStatus::kFinished);
    make("sweep-1", "mnist", 0.001, "adam", 0.3, {"sweep"}, RunStatus::kFailed);
    make("other", "cifar", 0.05, "sgd", 0.6, {"gpu"}, RunStatus::kRejected);
    // Distinct creation times, in order (ids_ are oldest first).
    for (std::size_t i = 0; i < ids_.size(); ++i) {
      testing::store_exec(path_, "UPDATE runs SET created_at = " + std::to_string(1000 + i) +
                                     " WHERE id = '" + ids_[i] + "'");
    }
    ValidationRecord pass;
    pass.run_id = ids_[1];
    pass.verdict = "PASS";
    pass.score = 90;
    store_->add_validation(pass);
    ValidationRecord fail = pass;
    fail.run_id = ids_[2];
    fail.verdict = "FAIL";
    store_->add_validation(fail);
  }

  std::vector<std::string> names(const RunFilter& filter) {
    std::vector<std::string> out;
    for (const auto& run : store_->list_runs(filter)) out.push_back(run.name);
    return out;
  }

  std::optional<Store> store_;
  std::vector<std::string> ids_;
};

using Names = std::vector<std::string>;

TEST_P(ListRuns, NewestFirstWithEverythingFilledIn) {
  auto runs = store_->list_runs();
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(names({}), (Names{"other", "sweep-1", "baseline-b", "Baseline-A"}));
  const RunInfo& b = runs[2];
  EXPECT_EQ(b.params["optimizer"]["name"], "adam");
  EXPECT_EQ(b.tags, (Names{"PASS", "baseline", "gpu", "validated"}));
  ASSERT_EQ(b.metrics.size(), 2u);
  EXPECT_EQ(b.metrics[1].key.qualified_name(), "loss{subset=val}");
  EXPECT_EQ(b.metrics[1].last, 0.4);
  EXPECT_EQ(b.verdict, "PASS");
  EXPECT_EQ(b.score, 90.0);
  EXPECT_FALSE(runs[0].verdict.has_value());
}

TEST_P(ListRuns, FiltersByIdsAndPrefixes) {
  RunFilter filter;
  filter.ids = {ids_[0], ids_[3].substr(0, 20), "ffffffffffffffffffffffffffffffff"};
  EXPECT_EQ(names(filter), (Names{"other", "Baseline-A"}));
  filter.ids = {"ffffffffffffffffffffffffffffffff"};
  EXPECT_TRUE(names(filter).empty());
}

TEST_P(ListRuns, FiltersByExperimentAndNameSubstringIgnoringCase) {
  RunFilter filter;
  filter.experiment = "cifar";
  EXPECT_EQ(names(filter), (Names{"other"}));
  filter = {};
  filter.name_contains = "BASELINE";
  EXPECT_EQ(names(filter), (Names{"baseline-b", "Baseline-A"}));
}

TEST_P(ListRuns, FiltersByAllTags) {
  RunFilter filter;
  filter.tags = {"baseline", "gpu"};
  EXPECT_EQ(names(filter), (Names{"baseline-b"}));
  filter.tags = {"gpu"};
  EXPECT_EQ(names(filter), (Names{"other", "baseline-b"}));
}

TEST_P(ListRuns, FiltersByStatuses) {
  RunFilter filter;
  filter.statuses = {RunStatus::kFailed, RunStatus::kRejected};
  EXPECT_EQ(names(filter), (Names{"other", "sweep-1"}));
}

TEST_P(ListRuns, FiltersByCreationTime) {
  RunFilter filter;
  filter.created_since = 1001;
  filter.created_until = 1002;
  EXPECT_EQ(names(filter), (Names{"sweep-1", "baseline-b"}));
}

TEST_P(ListRuns, FiltersByParamConditions) {
  RunFilter filter;
  filter.params = {ParamCondition::parse("optimizer.lr < 0.05"),
                   ParamCondition::parse("optimizer.name == adam")};
  EXPECT_EQ(names(filter), (Names{"sweep-1", "baseline-b"}));
}

TEST_P(ListRuns, FiltersByMetricConditionOnLastValue) {
  RunFilter filter;
  filter.metrics = {MetricCondition::parse("loss{subset=val} <= 0.4")};
  EXPECT_EQ(names(filter), (Names{"sweep-1", "baseline-b"}));
  filter.metrics = {MetricCondition::parse("loss > 1.5")};
  EXPECT_EQ(names(filter), (Names{"Baseline-A"}));
}

TEST_P(ListRuns, FiltersByVerdict) {
  RunFilter filter;
  filter.verdict = "FAIL";
  EXPECT_EQ(names(filter), (Names{"sweep-1"}));
  filter.verdict = "PASS";
  EXPECT_EQ(names(filter), (Names{"baseline-b"}));
}

TEST_P(ListRuns, LimitKeepsTheNewest) {
  RunFilter filter;
  filter.limit = 2;
  EXPECT_EQ(names(filter), (Names{"other", "sweep-1"}));
  filter.experiment = "mnist";
  filter.tags = {"baseline"};  // limit applies after the in-memory filters too
  filter.limit = 1;
  EXPECT_EQ(names(filter), (Names{"baseline-b"}));
}

TEST_P(ListRuns, FiltersCombineWithAnd) {
  RunFilter filter;
  filter.experiment = "mnist";
  filter.tags = {"gpu"};
  filter.statuses = {RunStatus::kFinished};
  EXPECT_EQ(names(filter), (Names{"baseline-b"}));
}

RunFilter sorted(RunSort::Key key, bool descending) {
  RunFilter filter;
  filter.sort.key = key;
  filter.sort.descending = descending;
  return filter;
}

TEST_P(ListRuns, SortsByCreationAndNameBytewise) {
  EXPECT_EQ(names(sorted(RunSort::Key::kCreated, false)),
            (Names{"Baseline-A", "baseline-b", "sweep-1", "other"}));
  EXPECT_EQ(names(sorted(RunSort::Key::kName, false)),
            (Names{"Baseline-A", "baseline-b", "other", "sweep-1"}));
  EXPECT_EQ(names(sorted(RunSort::Key::kName, true)),
            (Names{"sweep-1", "other", "baseline-b", "Baseline-A"}));
}

TEST_P(ListRuns, SortsByScoreWithTiesNewestFirstAndMissingLast) {
  // baseline-b and sweep-1 both scored 90; the others were never validated.
  const Names expected{"sweep-1", "baseline-b", "other", "Baseline-A"};
  EXPECT_EQ(names(sorted(RunSort::Key::kScore, true)), expected);
  EXPECT_EQ(names(sorted(RunSort::Key::kScore, false)), expected);
}

TEST_P(ListRuns, SortsByAMetricsLastValue) {
  RunFilter filter = sorted(RunSort::Key::kMetric, false);
  filter.sort.metric = SeriesKey::parse("loss{subset=val}");
  EXPECT_EQ(names(filter), (Names{"sweep-1", "baseline-b", "other", "Baseline-A"}));
  filter.sort.descending = true;
  filter.sort.metric = SeriesKey::parse("loss");
  EXPECT_EQ(names(filter), (Names{"Baseline-A", "other", "baseline-b", "sweep-1"}));
  filter.sort.metric = SeriesKey::parse("accuracy");  // nobody has it: newest first
  EXPECT_EQ(names(filter), (Names{"other", "sweep-1", "baseline-b", "Baseline-A"}));
}

TEST_P(ListRuns, SortsByAParamNumbersBeforeStringsMissingLast) {
  RunFilter filter = sorted(RunSort::Key::kParam, true);
  filter.sort.param = "optimizer.lr";
  EXPECT_EQ(names(filter), (Names{"Baseline-A", "other", "baseline-b", "sweep-1"}));
  filter.sort.param = "optimizer.name";
  filter.sort.descending = false;
  EXPECT_EQ(names(filter), (Names{"sweep-1", "baseline-b", "other", "Baseline-A"}));
  RunOptions options;
  options.name = "numeric-name";
  options.params = {{"optimizer", {{"name", 7}}}};
  store_->start_run(options).finish();
  store_->start_run({}).finish();  // no params: last in both directions
  EXPECT_EQ(names(filter).front(), "numeric-name");
  EXPECT_EQ(names(filter).back(), "");
  filter.sort.descending = true;
  EXPECT_EQ(names(filter).front(), "other");  // "sgd" is the largest string
  EXPECT_EQ(names(filter).at(4), "numeric-name");
  EXPECT_EQ(names(filter).back(), "");
}

TEST_P(ListRuns, OffsetPagesAndCountIgnoresPaging) {
  RunFilter filter;
  filter.offset = 1;
  filter.limit = 2;
  EXPECT_EQ(names(filter), (Names{"sweep-1", "baseline-b"}));
  EXPECT_EQ(store_->count_runs(filter), 4u);
  filter.offset = 3;
  EXPECT_EQ(names(filter), (Names{"Baseline-A"}));
  filter.offset = 4;
  EXPECT_TRUE(names(filter).empty());
  filter = sorted(RunSort::Key::kName, false);
  filter.experiment = "mnist";
  filter.offset = 1;
  EXPECT_EQ(names(filter), (Names{"baseline-b", "sweep-1"}));
  EXPECT_EQ(store_->count_runs(filter), 3u);
  filter.tags = {"gpu"};
  EXPECT_EQ(store_->count_runs(filter), 1u);
  filter.ids = {"ffffffffffffffffffffffffffffffff"};
  EXPECT_EQ(store_->count_runs(filter), 0u);
}

TEST_P(ListRuns, AmbiguousIdPrefixInFilterThrows) {
  for (int i = 0; i < 13; ++i) store_->start_run().finish();  // 17 runs: a shared first digit
  std::map<char, int> first;
  for (const auto& run : store_->list_runs()) ++first[run.id[0]];
  for (const auto& [c, n] : first) {
    if (n < 2) continue;
    RunFilter filter;
    filter.ids = {std::string(1, c)};
    EXPECT_THROW(store_->list_runs(filter), AmbiguousRunId);
    return;
  }
  FAIL() << "no shared first digit among 17 ids";
}

VIGIL_ON_EVERY_BACKEND(ListRuns);

}  // namespace
}  // namespace vigil::tracker
