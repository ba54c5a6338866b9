// Store behaviour that every backend must provide the same way: the change token, the
// verdict-tag policy living in Store (the backend applies only the tag changes it is given),
// atomic import_run, and info(). Parameterised over test_backends().
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backend.h"
#include "store_options.h"
#include "store_uris.h"
#include "temp_dir.h"
#include "vigil/tracker.h"

namespace vigil::tracker {
namespace {

class BackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::string uri(const std::string& name = "store") {
    return testing::fresh_store_uri(GetParam(), dir_, name);
  }
  testing::TempDir dir_;
};

std::string finished_run(Store& store, const std::string& name = "r", int points = 3) {
  RunOptions options;
  options.name = name;
  auto run = store.start_run(options);
  for (int step = 0; step < points; ++step) run.log_metric("loss", 1.0 / (step + 1), step);
  run.finish();
  return run.id();
}

ValidationRecord validation(const std::string& run_id, std::string_view verdict) {
  ValidationRecord record;
  record.run_id = run_id;
  record.rules_name = "default";
  record.rules_hash = "h";
  record.phase = "post";
  record.verdict = std::string(verdict);
  record.score = 50.0;
  record.created_at = 1.0;
  return record;
}

TEST_P(BackendTest, ChangeTokenStaysWithoutWrites) {
  Store store(uri(), testing::quiet_store_options());
  const std::string id = finished_run(store);
  const auto token = store.change_token();
  (void)store.list_runs();
  (void)store.get_run(id);
  (void)store.points(id, SeriesKey{"loss", {}});
  (void)store.info();
  EXPECT_EQ(store.change_token(), token);
}

TEST_P(BackendTest, ChangeTokenChangesOnWritesOfThisStoreAndOfAnotherInTheProcess) {
  Store store(uri(), testing::quiet_store_options());
  const std::string id = finished_run(store);
  auto token = store.change_token();
  store.add_tags(id, {"keep"});  // a write through this very Store object
  EXPECT_NE(store.change_token(), token);

  token = store.change_token();
  auto run = store.start_run();  // a write by this Store's background writer
  run.log_metric("loss", 1.0, 0);
  run.flush();
  EXPECT_NE(store.change_token(), token);
  run.finish();

  StoreOptions read_only = testing::quiet_store_options();
  read_only.read_only = true;
  Store reader(store.uri(), read_only);
  token = reader.change_token();
  Store other(store.uri(),
              testing::quiet_store_options());  // another Store (connection) in this process
  other.remove_tags(id, {"keep"});
  EXPECT_NE(reader.change_token(), token);
}

TEST_P(BackendTest, ValidationVerdictTagsComeFromTheOnePublicList) {
  Store store(uri(), testing::quiet_store_options());
  const std::string id = finished_run(store);
  store.add_tags(id, {"mine"});
  store.add_validation(validation(id, kFailVerdict));
  store.add_validation(validation(id, kPassVerdict));
  const RunInfo run = store.get_run(id);
  EXPECT_EQ(run.tags, (std::vector<std::string>{std::string(kPassVerdict), "mine",
                                                std::string(kValidatedTag)}));
  for (const std::string& tag : run.tags) {
    EXPECT_EQ(is_verdict_tag(tag), tag != "mine") << tag;
  }
}

TEST_P(BackendTest, BackendAppliesOnlyTheTagChangesItIsGiven) {
  Store store(uri(), testing::quiet_store_options());
  const std::string id = finished_run(store);
  detail::Backend& backend = detail::store_backend(store);
  // The policy is Store's: a backend told to change no tags changes none.
  const auto record_id = backend.add_validation(validation(id, kPassVerdict), {});
  EXPECT_GT(record_id, 0);
  EXPECT_TRUE(store.get_run(id).tags.empty());
  (void)backend.add_validation(validation(id, kFailVerdict),
                               {{"x", true}, {"y", true}, {"x", false}});
  EXPECT_EQ(store.get_run(id).tags, (std::vector<std::string>{"y"}));
  EXPECT_EQ(store.validations(id).size(), 2u);
  EXPECT_THROW(
      (void)backend.add_validation(validation(std::string(32, 'f'), kPassVerdict), {{"z", true}}),
      RunNotFound);
}

detail::RunExport sample_export(const std::string& id, int series_count) {
  detail::RunExport out;
  out.run.id = id;
  out.run.name = "imported";
  out.run.experiment = "import";
  out.run.status = RunStatus::kFinished;
  out.run.created_at = out.run.started_at = out.run.heartbeat_at = 100.0;
  out.run.finished_at = 200.0;
  out.run.host = "h";
  out.run.pid = 1;
  out.run.tags = {"a"};
  for (int i = 0; i < series_count; ++i) {
    detail::SeriesExport series;
    series.summary.key = SeriesKey{"m" + std::to_string(i), nlohmann::json::object()};
    series.summary.count = 0;
    out.series.push_back(series);
  }
  out.validations.push_back(validation(id, kPassVerdict));
  return out;
}

TEST_P(BackendTest, FailedImportLeavesNothingBehind) {
  Store store(uri(), testing::quiet_store_options());
  detail::Backend& backend = detail::store_backend(store);
  const std::string id(32, 'a');
  detail::RunExport broken = sample_export(id, 3);
  broken.series.push_back(broken.series.front());  // same key twice: fails mid-import
  EXPECT_ANY_THROW((void)backend.import_run(broken, false));
  EXPECT_TRUE(store.list_runs().empty());
  EXPECT_TRUE(store.experiments().empty());
  EXPECT_EQ(store.info().series, 0);
  EXPECT_THROW((void)store.get_run(id), RunNotFound);
}

TEST_P(BackendTest, FailedReplaceKeepsTheOldRun) {
  Store store(uri(), testing::quiet_store_options());
  detail::Backend& backend = detail::store_backend(store);
  const std::string id(32, 'b');
  EXPECT_EQ(backend.import_run(sample_export(id, 2), false), detail::ImportOutcome::kCreated);
  EXPECT_EQ(backend.import_run(sample_export(id, 5), false), detail::ImportOutcome::kExists);
  EXPECT_EQ(store.series(id).size(), 2u);
  detail::RunExport broken = sample_export(id, 4);
  broken.series.push_back(broken.series.back());
  EXPECT_ANY_THROW((void)backend.import_run(broken, true));
  EXPECT_EQ(store.series(id).size(), 2u);  // the delete inside the failed import rolled back
  EXPECT_EQ(store.validations(id).size(), 1u);
  EXPECT_EQ(backend.import_run(sample_export(id, 4), true), detail::ImportOutcome::kReplaced);
  EXPECT_EQ(store.series(id).size(), 4u);
  EXPECT_EQ(store.validations(id).size(), 1u);  // replaced, not appended
  EXPECT_EQ(store.get_run(id).tags, (std::vector<std::string>{"a"}));
}

TEST_P(BackendTest, InfoCountsRunsSeriesAndPoints) {
  Store store(uri(), testing::quiet_store_options());
  StoreInfo empty = store.info();
  EXPECT_EQ(empty.runs, 0);
  EXPECT_EQ(empty.points, 0);
  EXPECT_FALSE(empty.backend.empty());
  EXPECT_GT(empty.schema_version, 0);
  (void)finished_run(store, "a", 5);
  (void)finished_run(store, "b", 7);
  StoreInfo info = store.info();
  EXPECT_EQ(info.backend, empty.backend);
  EXPECT_EQ(info.location, empty.location);
  EXPECT_EQ(info.runs, 2);
  EXPECT_EQ(info.series, 2);
  EXPECT_EQ(info.points, 12);
  EXPECT_EQ(info.location.find("password"), std::string::npos);
  if (GetParam() == "sqlite") {
    EXPECT_EQ(info.backend, "sqlite");
    ASSERT_TRUE(info.size_bytes.has_value());
    EXPECT_GT(*info.size_bytes, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendTest, ::testing::ValuesIn(testing::test_backends()),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace vigil::tracker
