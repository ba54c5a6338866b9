// copy_runs between two stores: everything of a run arrives (chunks byte for byte), copies are
// idempotent, --replace replaces, running runs are skipped, a store is never copied onto
// itself, and readers of the destination never see half a run. Parameterised over
// (source backend, destination backend).
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "backend.h"
#include "store_options.h"
#include "store_uris.h"
#include "temp_dir.h"
#include "vigil/tracker.h"

namespace vigil::tracker {
namespace {

using BackendPair = std::tuple<std::string, std::string>;

class CopyTest : public ::testing::TestWithParam<BackendPair> {
 protected:
  CopyTest()
      : source_(testing::fresh_store_uri(std::get<0>(GetParam()), dir_, "source"),
                testing::quiet_store_options()),
        destination_(testing::fresh_store_uri(std::get<1>(GetParam()), dir_, "destination"),
                     testing::quiet_store_options()) {}

  /// A failed run with params, results, tags, two series (one with context, a NaN and more
  /// points than one chunk holds) and two validations.
  std::string rich_run(const std::string& experiment = "mnist") {
    RunOptions options;
    options.name = "rich";
    options.experiment = experiment;
    options.params = {{"optimizer", {{"lr", 0.01}}}};
    options.tags = {"baseline"};
    auto run = source_.start_run(options);
    for (int step = 0; step < 10000; ++step) {
      run.log_metric("loss",
                     step == 7 ? std::numeric_limits<double>::quiet_NaN() : 1.0 / (step + 1), step);
    }
    run.log_metric("accuracy", 0.9, 10, 1, {{"subset", "val"}});
    run.log_results({{"best", 0.9}});
    run.finish(RunStatus::kFailed, "out of memory");
    for (auto verdict : {kPassVerdict, kFailVerdict}) {
      ValidationRecord record;
      record.run_id = run.id();
      record.rules_name = "default";
      record.rules_hash = "h";
      record.phase = "post";
      record.verdict = std::string(verdict);
      record.score = 10.0;
      record.report = {{"verdict", verdict}};
      source_.add_validation(record);
    }
    return run.id();
  }

  testing::TempDir dir_;
  Store source_;
  Store destination_;
};

std::vector<std::string> chunk_bytes(const Store& store, const std::string& run_id,
                                     const SeriesKey& key) {
  detail::Backend& backend = detail::store_backend(store);
  auto found = backend.find_series(run_id, key);
  std::vector<std::string> chunks;
  if (!found) return chunks;
  backend.scan_chunks(
      found->first, [](const detail::ChunkMeta&) { return true; },
      [&](const detail::ChunkMeta& meta, std::string_view data) {
        chunks.push_back(std::to_string(meta.seq) + ":" + std::string(data));
      });
  return chunks;
}

TEST_P(CopyTest, CopiesEverythingOfARun) {
  const std::string id = rich_run();
  const auto copied = copy_runs(source_, destination_, {});
  ASSERT_EQ(copied.size(), 1u);
  EXPECT_EQ(copied[0].outcome, CopyOutcome::kCopied);
  EXPECT_EQ(copied[0].series, 2);
  EXPECT_EQ(copied[0].points, 10001);
  EXPECT_EQ(copied[0].validations, 2);

  EXPECT_EQ(nlohmann::json(destination_.get_run(id)), nlohmann::json(source_.get_run(id)));
  for (const SeriesSummary& series : source_.series(id)) {
    const auto original = chunk_bytes(source_, id, series.key);
    EXPECT_GT(original.size(), 0u);
    EXPECT_EQ(chunk_bytes(destination_, id, series.key), original) << series.key.qualified_name();
  }
  EXPECT_GT(chunk_bytes(source_, id, SeriesKey{"loss", {}}).size(), 1u);  // several chunks
  const auto points = destination_.points(id, SeriesKey{"loss", {}});
  ASSERT_EQ(points.size(), 10000u);
  EXPECT_TRUE(std::isnan(points[7].value));
  const auto source_validations = source_.validations(id);
  const auto copied_validations = destination_.validations(id);
  ASSERT_EQ(copied_validations.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(copied_validations[i].verdict, source_validations[i].verdict);
    EXPECT_EQ(copied_validations[i].report, source_validations[i].report);
    EXPECT_EQ(copied_validations[i].created_at, source_validations[i].created_at);
  }
  EXPECT_EQ(destination_.get_run(id).verdict, "FAIL");  // the latest stays the latest
}

TEST_P(CopyTest, SecondCopySkipsAndReplaceCopiesAgain) {
  const std::string id = rich_run();
  (void)copy_runs(source_, destination_, {});
  destination_.add_tags(id, {"edited"});
  const auto again = copy_runs(source_, destination_, {});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].outcome, CopyOutcome::kSkippedExisting);
  EXPECT_EQ(again[0].points, 0);
  EXPECT_EQ(destination_.get_run(id).tags.size(), source_.get_run(id).tags.size() + 1);

  CopyOptions replace;
  replace.replace = true;
  const auto replaced = copy_runs(source_, destination_, {}, replace);
  ASSERT_EQ(replaced.size(), 1u);
  EXPECT_EQ(replaced[0].outcome, CopyOutcome::kReplaced);
  EXPECT_EQ(nlohmann::json(destination_.get_run(id)), nlohmann::json(source_.get_run(id)));
  EXPECT_EQ(destination_.validations(id).size(), 2u);
  EXPECT_EQ(destination_.info().points, source_.info().points);
}

TEST_P(CopyTest, RunningRunIsSkippedAndFilterSelects) {
  (void)rich_run("mnist");
  const std::string other = rich_run("cifar");
  auto live = source_.start_run();
  RunFilter cifar;
  cifar.experiment = "cifar";
  std::vector<CopyOutcome> seen;
  const auto copied = copy_runs(source_, destination_, cifar, {},
                                [&](const CopiedRun& run) { seen.push_back(run.outcome); });
  ASSERT_EQ(copied.size(), 1u);
  EXPECT_EQ(copied[0].id, other);
  EXPECT_EQ(seen, std::vector<CopyOutcome>{CopyOutcome::kCopied});

  const auto all = copy_runs(source_, destination_, {});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].id, live.id());  // oldest first: the live run is the newest
  EXPECT_EQ(all[2].outcome, CopyOutcome::kSkippedRunning);
  EXPECT_EQ(all[1].outcome, CopyOutcome::kSkippedExisting);
  EXPECT_EQ(all[0].outcome, CopyOutcome::kCopied);
  EXPECT_EQ(destination_.list_runs().size(), 2u);
  live.finish();
}

TEST_P(CopyTest, RefusesToCopyAStoreOntoItself) {
  (void)rich_run();
  EXPECT_THROW((void)copy_runs(source_, source_, {}), InvalidArgument);
  if (std::get<0>(GetParam()) == "sqlite") {
    Store same("sqlite://" + std::filesystem::absolute(source_.uri()).string(),
               testing::quiet_store_options());
    EXPECT_THROW((void)copy_runs(source_, same, {}), InvalidArgument);
  }
  EXPECT_TRUE(destination_.list_runs().empty());
}

TEST_P(CopyTest, ReadersOfTheDestinationNeverSeeHalfARun) {
  // One run with many series, copied while another Store object on the destination polls.
  RunOptions options;
  options.name = "wide";
  auto run = source_.start_run(options);
  constexpr int kSeries = 40;
  for (int s = 0; s < kSeries; ++s) {
    for (int step = 0; step < 500; ++step) run.log_metric("m" + std::to_string(s), step, step);
  }
  run.finish();
  Store reader(destination_.uri(), testing::quiet_store_options());
  std::atomic<bool> done{false};
  std::atomic<int> partial{0};
  std::atomic<int> complete{0};
  std::thread poll([&] {
    while (!done) {
      for (const RunInfo& seen : reader.list_runs()) {
        std::int64_t points = 0;
        for (const auto& summary : seen.metrics) points += summary.count;
        (seen.metrics.size() == kSeries && points == kSeries * 500 ? complete : partial)++;
      }
    }
  });
  CopyOptions replace;
  replace.replace = true;
  for (int i = 0; i < 5; ++i) (void)copy_runs(source_, destination_, {}, replace);
  // The run stays in the destination: the reader sees it complete at least once.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (complete == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  done = true;
  poll.join();
  EXPECT_EQ(partial.load(), 0);
  EXPECT_GT(complete.load(), 0);
  EXPECT_EQ(reader.list_runs().size(), 1u);
}

std::vector<std::string> audit_actions(const Store& store, const std::string& run_id) {
  AuditQuery query;
  query.run_id = run_id;
  std::vector<std::string> actions;
  for (const AuditEvent& e : store.audit_events(query)) actions.push_back(e.action);
  return actions;
}

TEST_P(CopyTest, PoliciesWaiversAndAuditEventsArriveOnceAndRevocationsFollow) {
  RunOptions options;
  options.name = "governed";
  options.experiment = "mnist";
  auto run = source_.start_run(options);
  run.log_metric("loss", 0.5, 0);
  run.finish();
  const std::string id = run.id();
  source_.put_policy({"00112233aabbccdd", "team", "2026.12", R"({"rules": []})", 0.0});
  ValidationRecord record;
  record.run_id = id;
  record.rules_name = "team";
  record.rules_hash = "00112233aabbccdd";
  record.verdict = std::string(kFailVerdict);
  source_.add_validation(record);
  Waiver for_run;
  for_run.run_id = id;
  for_run.rule_id = "min-epochs";
  for_run.reason = "smoke run";
  const std::int64_t run_waiver = source_.add_waiver(for_run);
  Waiver for_experiment;
  for_experiment.experiment = "mnist";
  for_experiment.rule_id = "final-accuracy";
  for_experiment.reason = "dataset under review";
  (void)source_.add_waiver(for_experiment);
  for_experiment.experiment = "cifar";  // no copied run in it: stays behind
  (void)source_.add_waiver(for_experiment);

  auto first = copy_runs(source_, destination_, {});
  ASSERT_EQ(first.size(), 1u);
  const std::vector<std::string> expected = {"run.started", "run.finished", "validation",
                                             "waiver.granted"};
  EXPECT_EQ(audit_actions(source_, id), expected);
  EXPECT_EQ(first[0].audit_events, 4);
  EXPECT_EQ(audit_actions(destination_, id), expected);
  AuditQuery query;
  query.run_id = id;
  EXPECT_EQ(destination_.audit_events(query).front().at, source_.audit_events(query).front().at);
  auto policy = destination_.policy("00112233aabbccdd");
  ASSERT_TRUE(policy);
  EXPECT_EQ(policy->version, "2026.12");
  EXPECT_EQ(policy->text, R"({"rules": []})");
  auto waivers = destination_.waivers();
  ASSERT_EQ(waivers.size(), 2u);
  EXPECT_EQ(waivers[0].run_id, id);
  EXPECT_EQ(waivers[0].reason, "smoke run");
  EXPECT_EQ(waivers[1].experiment, "mnist");

  // Twice: nothing new. After a revocation in the source: the revocation and its event.
  auto second = copy_runs(source_, destination_, {});
  EXPECT_EQ(second[0].outcome, CopyOutcome::kSkippedExisting);
  EXPECT_EQ(second[0].audit_events, 0);
  EXPECT_EQ(destination_.waivers().size(), 2u);
  source_.revoke_waiver(run_waiver, "lead");
  auto third = copy_runs(source_, destination_, {});
  EXPECT_EQ(third[0].audit_events, 1);
  ASSERT_EQ(destination_.waivers().size(), 2u);
  EXPECT_EQ(destination_.waivers()[0].revoked_by, "lead");
  WaiverQuery in_force;
  in_force.in_force_at = now();
  EXPECT_EQ(destination_.waivers(in_force).size(), 1u);
  EXPECT_EQ(audit_actions(destination_, id), audit_actions(source_, id));

  // Replacing the run keeps the destination's audit rows and adds none twice.
  CopyOptions replace;
  replace.replace = true;
  auto replaced = copy_runs(source_, destination_, {}, replace);
  EXPECT_EQ(replaced[0].outcome, CopyOutcome::kReplaced);
  EXPECT_EQ(replaced[0].audit_events, 0);
  EXPECT_EQ(audit_actions(destination_, id), audit_actions(source_, id));
}

std::vector<BackendPair> backend_pairs() {
  std::vector<BackendPair> pairs;
  for (const auto& from : testing::test_backends()) {
    for (const auto& to : testing::test_backends()) pairs.emplace_back(from, to);
  }
  return pairs;
}

INSTANTIATE_TEST_SUITE_P(Backends, CopyTest, ::testing::ValuesIn(backend_pairs()),
                         [](const auto& param_info) {
                           return std::get<0>(param_info.param) + "_to_" +
                                  std::get<1>(param_info.param);
                         });

}  // namespace
}  // namespace vigil::tracker
