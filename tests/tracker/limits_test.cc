// Hostile params, results and stored JSON (issue 9): refused at the call with nothing stored
// half, and a store holding JSON beyond the limits still lists.
#include <string>

#include "deep_json.h"
#include "raw_store.h"
#include "store_fixture.h"

namespace vigil::tracker {
namespace {

using JsonLimitsInStore = StoreTest;

std::string message_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "(no InvalidArgument)";
}

TEST_P(JsonLimitsInStore, TooDeepParamsThrowAtTheCallAndStoreNothing) {
  Store store = open();
  RunOptions options;
  options.params = {{"lr", 0.1}};
  auto run = store.start_run(options);
  const nlohmann::json deep = testing::deep_object(100'000);
  EXPECT_NE(message_of([&] { run.log_params(deep); }).find("log_params: nested deeper"),
            std::string::npos);
  EXPECT_NE(message_of([&] {
              run.log_params({{"x", testing::deep_object(64)}});
            }).find("limit of 64"),
            std::string::npos);  // 65 levels once inside the params object
  EXPECT_NE(message_of([&] { run.log_results(deep); }).find("log_results"), std::string::npos);
  EXPECT_NE(
      message_of([&] { run.log_param("a.b", testing::deep_object(63)); }).find("log_param 'a.b'"),
      std::string::npos);
  std::string long_path = "a";
  for (int i = 0; i < 100; ++i) long_path += ".a";
  EXPECT_NE(message_of([&] { run.log_param(long_path, 1); }).find("path segments"),
            std::string::npos);
  EXPECT_NE(message_of([&] { (void)run.metric("acc", deep); }).find("context"), std::string::npos);
  EXPECT_NE(message_of([&] { run.log_metric("loss", 1.0, 0, std::nullopt, deep); }).find("context"),
            std::string::npos);
  run.log_params({{"ok", testing::deep_object(60)}});  // within the limit: kept
  run.finish();

  const RunInfo info = store.get_run(run.id());
  EXPECT_EQ(info.params.at("lr"), 0.1);
  EXPECT_EQ(json_depth(info.params), 61);
  EXPECT_EQ(info.params.size(), 2u);  // nothing of the refused calls
  EXPECT_TRUE(info.results.empty());
}

TEST_P(JsonLimitsInStore, StartRunRefusesTooDeepParams) {
  Store store = open();
  RunOptions options;
  options.params = testing::deep_object(100'000);
  EXPECT_NE(message_of([&] { (void)store.start_run(options); }).find("RunOptions::params"),
            std::string::npos);
  EXPECT_TRUE(store.list_runs().empty());
}

TEST_P(JsonLimitsInStore, OversizedParamsAreRefused) {
  Store store = open();
  auto run = store.start_run();
  const std::string big(kMaxJsonBytes, 'x');
  EXPECT_NE(message_of([&] {
              run.log_params({{"blob", big}});
            }).find("larger than the limit"),
            std::string::npos);
  run.log_params({{"blob", std::string(1000, 'x')}});
  run.finish();
  EXPECT_EQ(store.get_run(run.id()).params.at("blob").get<std::string>().size(), 1000u);
}

TEST_P(JsonLimitsInStore, StoredJsonBeyondTheLimitsListsWithEmptyParams) {
  {
    Store store = open();
    RunOptions options;
    options.name = "hostile";
    options.params = {{"lr", 0.1}};
    store.start_run(options).finish();
  }
  // Another tool (or an older vigil) wrote params nested 100,000 deep and damaged results.
  testing::store_exec(path_, "UPDATE runs SET params = '" + testing::deep_object_text(100'000) +
                                 "', results = '{\"x\": 1e999}'");
  Store store = open();
  const auto runs = store.list_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].name, "hostile");
  EXPECT_EQ(runs[0].params, nlohmann::json::object());
  EXPECT_EQ(runs[0].results, nlohmann::json::object());
  // Nothing lost: the row is left as it was.
  EXPECT_EQ(testing::store_query(path_, "SELECT length(params) FROM runs"),
            std::to_string(testing::deep_object_text(100'000).size()));
}

VIGIL_ON_EVERY_BACKEND(JsonLimitsInStore);

}  // namespace
}  // namespace vigil::tracker
