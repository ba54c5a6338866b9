// What only a server backend has to get right: a writer that survives its connection being
// killed, the schema created once by many concurrent first users and refused when newer,
// URIs checked before use and passwords never shown, a read-only role. Runs on the test
// server of the ctest fixture `postgres` (tests/support/store_uris.h); the server-restart test
// starts its own.
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "pg_schema.h"
#include "process.h"
#include "store_options.h"
#include "store_uris.h"
#include "temp_dir.h"
#include "vigil/tracker.h"

namespace vigil::tracker {
namespace {

// After `run` logged loss = 1 / (step + 1) at steps 0..points-1 through at least
// `reconnects` reconnects: the writer lost nothing, and the store holds every point once.
void expect_every_point_once(const std::string& uri, const Run& run, std::int64_t points,
                             std::uint64_t reconnects) {
  const WriterStats stats = run.stats();
  EXPECT_GE(stats.reconnects, reconnects);
  EXPECT_EQ(stats.points_logged, static_cast<std::uint64_t>(points));
  EXPECT_EQ(stats.points_committed, static_cast<std::uint64_t>(points));
  EXPECT_EQ(stats.points_dropped, 0u);
  Store reader(uri, testing::quiet_store_options());
  const auto stored = reader.points(run.id(), SeriesKey{"loss", {}});
  ASSERT_EQ(stored.size(), static_cast<std::size_t>(points));
  for (std::int64_t step = 0; step < points; ++step) {
    ASSERT_EQ(stored[static_cast<std::size_t>(step)].step, step);
    ASSERT_EQ(stored[static_cast<std::size_t>(step)].value, 1.0 / static_cast<double>(step + 1));
  }
  EXPECT_EQ(reader.get_run(run.id()).status, RunStatus::kFinished);
  EXPECT_EQ(reader.info().points, points);
}

class PgBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::postgres_tests_enabled()) GTEST_SKIP() << "VIGIL_TEST_POSTGRES=off";
    uri_ = testing::fresh_store_uri("postgresql", dir_, "store");
    schema_ = uri_.substr(uri_.rfind("%3D") + 3);
  }
  // Closes every connection whose application_name is `name` (as a DBA or a failover would),
  // once there is one (a connection killed before is re-established only when next used).
  static int terminate(const std::string& name) {
    const std::string where = " FROM pg_stat_activity WHERE application_name = '" + name + "'";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (testing::postgres_count("SELECT count(*)" + where) == 0 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return static_cast<int>(
        testing::postgres_count("SELECT count(pg_terminate_backend(pid))" + where));
  }
  testing::TempDir dir_;
  std::string uri_;
  std::string schema_;
};

TEST_F(PgBackendTest, WriterReconnectsAfterItsConnectionIsKilledAndEveryPointArrivesOnce) {
  const std::string app = "reconnect_" + schema_;
  Store store(uri_ + "&application_name=" + app, testing::quiet_store_options());
  RunOptions options;
  options.name = "reconnect";
  auto run = store.start_run(options);
  constexpr int kPoints = 60'000;
  constexpr int kKills = 3;
  int killed = 0;
  for (int step = 0; step < kPoints; ++step) {
    run.log_metric("loss", 1.0 / (step + 1), step);
    if (step % (kPoints / (kKills + 1)) == kPoints / (kKills + 1) - 1 && killed < kKills) {
      // Wait until a batch is in flight or just committed, then kill both connections.
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      EXPECT_GE(terminate(app), 1);
      ++killed;
    }
  }
  run.finish();
  expect_every_point_once(uri_, run, kPoints, kKills);
}

// The server itself restarts mid-run (an administrator's `pg_ctl restart`, a failover): on a
// private throwaway server (scripts/pg_test_cluster.sh), so the server the other tests share
// stays up. The writer keeps its batches while the server is down, reconnects once it is back,
// and every point is committed exactly once.
class PgServerRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::postgres_tests_enabled()) GTEST_SKIP() << "VIGIL_TEST_POSTGRES=off";
    ASSERT_EQ(cluster("start"), "");
    started_ = true;
    std::ifstream in(dir_.file("pg") + "/uri");
    std::getline(in, uri_);
    ASSERT_FALSE(uri_.empty());
    uri_ += "/vigil_test";
  }
  void TearDown() override {
    if (started_) {
      EXPECT_EQ(cluster("stop"), "");
    }
  }
  // Runs the cluster script; returns "" on success, else its exit code and output.
  std::string cluster(const std::string& action, const std::string& option = "") const {
    std::vector<std::string> argv = {VIGIL_PG_TEST_CLUSTER, action, dir_.file("pg")};
    if (!option.empty()) argv.push_back(option);
    const testing::ProcessResult result = testing::run_process(argv);
    if (result.exit_code == 0) return "";
    return action + " exited " + std::to_string(result.exit_code) + ": " + result.out + result.err;
  }
  testing::TempDir dir_;
  bool started_ = false;
  std::string uri_;
};

TEST_F(PgServerRestartTest, WriterSurvivesAServerRestartAndEveryPointArrivesOnce) {
  Store store(uri_, testing::quiet_store_options());
  RunOptions options;
  options.name = "server-restart";
  auto run = store.start_run(options);
  auto loss = run.metric("loss");
  std::int64_t step = 0;
  const auto log_points = [&](int count) {
    for (int i = 0; i < count; ++i, ++step) loss.log(1.0 / static_cast<double>(step + 1), step);
  };
  log_points(10'000);
  run.flush();  // committed before the restart
  std::atomic<bool> restarted{false};
  std::string restart_error;
  std::thread restart([&] {
    restart_error = cluster("restart", "1");  // down for a second
    restarted = true;
  });
  // Training goes on while the server stops, is down and starts again.
  while (!restarted) {
    log_points(1'000);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  restart.join();
  ASSERT_EQ(restart_error, "");
  log_points(10'000);
  run.finish();
  expect_every_point_once(uri_, run, step, 1);
}

TEST_F(PgBackendTest, ReadsRetryOnAFreshConnectionAfterItIsKilled) {
  const std::string app = "reader_" + schema_;
  Store store(uri_ + "&application_name=" + app, testing::quiet_store_options());
  auto run = store.start_run({});
  run.log_metric("loss", 0.5, 0);
  run.finish();
  ASSERT_EQ(store.list_runs().size(), 1u);
  EXPECT_GE(terminate(app), 1);
  EXPECT_EQ(store.list_runs().size(), 1u);
}

TEST_F(PgBackendTest, ManyFirstOpensOfAnEmptyDatabaseCreateTheSchemaOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  std::vector<std::string> errors(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      try {
        Store store(uri_, testing::quiet_store_options());
        store.start_run({}).finish();
        ++opened;
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(i)] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(opened.load(), 8);
  EXPECT_EQ(Store(uri_, testing::quiet_store_options()).list_runs().size(), 8u);
}

TEST_F(PgBackendTest, NewerSchemaIsRefusedAndLeftAlone) {
  { Store store(uri_, testing::quiet_store_options()); }
  testing::postgres_admin("UPDATE " + schema_ + ".vigil_schema SET version = 99", "vigil_test");
  try {
    Store store(uri_, testing::quiet_store_options());
    FAIL() << "a store with a newer schema opened";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("upgrade vigil"), std::string::npos) << e.what();
  }
  EXPECT_EQ(testing::postgres_count("SELECT version FROM " + schema_ + ".vigil_schema"), 99);
}

TEST_F(PgBackendTest, AuditRowsCannotBeChangedEvenBySql) {
  {
    Store store(uri_, testing::quiet_store_options());
    store.start_run({}).finish();
  }
  const std::string audit = schema_ + ".audit";
  const long long count = testing::postgres_count("SELECT count(*) FROM " + audit);
  EXPECT_EQ(count, 2);  // run.started, run.finished
  for (const std::string& change : {"UPDATE " + audit + " SET \"user\" = 'someone else'",
                                    "DELETE FROM " + audit, "TRUNCATE " + audit}) {
    try {
      testing::postgres_admin(change, "vigil_test");
      ADD_FAILURE() << change << " changed the audit log";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("append-only"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(testing::postgres_count("SELECT count(*) FROM " + audit), count);
}

TEST_F(PgBackendTest, Version2StoreGainsGovernanceTablesAndKeepsItsRuns) {
  std::string id;
  {
    Store store(uri_, testing::quiet_store_options());
    auto run = store.start_run({});
    run.finish();
    id = run.id();
  }
  // Back to the tables of version 2 (before governance, the listing columns of version 4 and
  // run_params of version 6), as an older vigil left them.
  testing::postgres_admin(
      "SET search_path TO " + schema_ +
          "; DROP TABLE policies, waivers, audit, run_params; DROP FUNCTION "
          "vigil_audit_append_only(); "
          "DROP INDEX runs_by_experiment, runs_by_verdict, runs_by_score, tags_by_tag, "
          "series_by_key; ALTER TABLE runs DROP COLUMN verdict, DROP COLUMN score; "
          "UPDATE vigil_schema SET version = 2",
      "vigil_test");
  Store store(uri_, testing::quiet_store_options());
  EXPECT_EQ(testing::postgres_count("SELECT version FROM " + schema_ + ".vigil_schema"),
            detail::kPgSchemaVersion);
  EXPECT_EQ(store.get_run(id).status, RunStatus::kFinished);
  EXPECT_TRUE(store.audit_events().empty());  // the old run's history was never recorded
  store.put_policy({"abc", "p", "1", "{}", 0.0});
  EXPECT_TRUE(store.policy("abc"));
  ASSERT_EQ(store.audit_events().size(), 1u);
  EXPECT_EQ(store.audit_events()[0].action, "policy.stored");
}

TEST_F(PgBackendTest, ReadOnlyOpenOfAnEmptyDatabaseSaysSoAndCreatesNothing) {
  StoreOptions options = testing::quiet_store_options();
  options.read_only = true;
  try {
    Store store(uri_, options);
    FAIL() << "an empty database opened read-only";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("holds no vigil store"), std::string::npos) << e.what();
  }
  EXPECT_EQ(testing::postgres_count("SELECT count(*) FROM pg_tables WHERE schemaname = '" +
                                    schema_ + "'"),
            0);
}

TEST_F(PgBackendTest, ReadOnlyRoleListsRunsAndCannotWrite) {
  std::string id;
  {
    Store store(uri_, testing::quiet_store_options());
    auto run = store.start_run({});
    run.log_metric("loss", 0.25, 1);
    run.finish();
    id = run.id();
  }
  const std::string role = "ro_" + schema_;
  testing::postgres_admin("CREATE ROLE " + role + " LOGIN; GRANT USAGE ON SCHEMA " + schema_ +
                              " TO " + role + "; GRANT SELECT ON ALL TABLES IN SCHEMA " + schema_ +
                              " TO " + role,
                          "vigil_test");
  std::string ro_uri = uri_;
  ro_uri.replace(ro_uri.find("vigil@"), 6, role + "@");
  StoreOptions options = testing::quiet_store_options();
  options.read_only = true;
  Store reader(ro_uri, options);
  ASSERT_EQ(reader.list_runs().size(), 1u);
  EXPECT_EQ(reader.points(id, SeriesKey{"loss", {}}).size(), 1u);
  (void)reader.change_token();
  // Even a writable open cannot write through this role: the error names the store.
  Store writer(ro_uri, testing::quiet_store_options());
  EXPECT_THROW(writer.add_tags(id, {"x"}), Error);
}

// A listing sends its statements in one pipeline: a statement failing on the server (here:
// no right to read series) is reported, and the same connection serves the next listing (no
// transaction left open or aborted, no reconnect).
TEST_F(PgBackendTest, FailedListingLeavesItsConnectionUsable) {
  {
    Store store(uri_, testing::quiet_store_options());
    RunOptions run_options;
    run_options.tags = {"kept"};
    auto run = store.start_run(run_options);
    run.log_metric("loss", 0.25, 1);
    run.finish();
  }
  const std::string role = "lister_" + schema_;
  const std::string app = "lister_app_" + schema_;
  testing::postgres_admin("CREATE ROLE " + role + " LOGIN; GRANT USAGE ON SCHEMA " + schema_ +
                              " TO " + role + "; GRANT SELECT ON ALL TABLES IN SCHEMA " + schema_ +
                              " TO " + role,
                          "vigil_test");
  std::string ro_uri = uri_ + "&application_name=" + app;
  ro_uri.replace(ro_uri.find("vigil@"), 6, role + "@");
  StoreOptions options = testing::quiet_store_options();
  options.read_only = true;
  Store reader(ro_uri, options);
  ASSERT_EQ(reader.list_runs().size(), 1u);
  const std::string backend_pid =
      "SELECT pid FROM pg_stat_activity WHERE application_name = '" + app + "'";
  const std::int64_t pid = testing::postgres_count(backend_pid);
  testing::postgres_admin("REVOKE SELECT ON " + schema_ + ".series FROM " + role, "vigil_test");
  try {
    (void)reader.list_runs();
    FAIL() << "a listing without the right to read series succeeded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("listing runs"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("series"), std::string::npos) << e.what();
  }
  EXPECT_EQ(testing::postgres_count("SELECT count(*) FROM pg_stat_activity WHERE "
                                    "application_name = '" +
                                    app + "' AND state = 'idle'"),
            1);
  testing::postgres_admin("GRANT SELECT ON " + schema_ + ".series TO " + role, "vigil_test");
  const auto runs = reader.list_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].tags, std::vector<std::string>{"kept"});
  ASSERT_EQ(runs[0].metrics.size(), 1u);
  EXPECT_EQ(runs[0].metrics[0].last, 0.25);
  EXPECT_EQ(testing::postgres_count(backend_pid), pid);  // the same connection
}

TEST(PgUri, MalformedOrUnsupportedUrisAreUsageErrorsWithoutThePassword) {
  EXPECT_THROW(Store::check_uri("postgresql://u:pw@host:notaport/db"), InvalidArgument);
  EXPECT_THROW(Store::check_uri("postgresql://u:pw@[::1/db"), InvalidArgument);
  EXPECT_THROW(Store::check_uri("mysql://u:pw@host/db"), InvalidArgument);
  EXPECT_NO_THROW(Store::check_uri("postgresql://u:pw@host:5432/db?sslmode=require"));
  EXPECT_NO_THROW(Store::check_uri("postgres:///db?host=/var/run/postgresql"));
  for (const char* uri : {"postgresql://u:pw@[::1/db", "postgresql://u:pw@host:notaport/db",
                          "mysql://u:pw@host/db"}) {
    try {
      Store::check_uri(uri);
    } catch (const InvalidArgument& e) {
      EXPECT_EQ(std::string(e.what()).find("pw"), std::string::npos) << e.what();
      EXPECT_EQ(e.exit_code(), kExitUsage);
    }
  }
}

TEST(PgUri, RedactionHidesEveryPasswordForm) {
  EXPECT_EQ(Store::redact_uri("postgresql://u:secret@h:5/db"), "postgresql://u:***@h:5/db");
  EXPECT_EQ(Store::redact_uri("postgres://u@h/db?password=secret&sslmode=require"),
            "postgres://u@h/db?password=***&sslmode=require");
  EXPECT_EQ(Store::redact_uri("postgresql://u:p%40ss@h/db"), "postgresql://u:***@h/db");
  EXPECT_EQ(Store::redact_uri("postgresql://h/db"), "postgresql://h/db");
  EXPECT_EQ(Store::redact_uri("/tmp/a:b@c.db"), "/tmp/a:b@c.db");
}

TEST(PgUri, UnreachableServerErrorNamesTheStoreWithoutThePassword) {
  // Port 1 on loopback: nothing listens there; connecting fails at once.
  try {
    Store store("postgresql://someone:topsecret@127.0.0.1:1/db?connect_timeout=2",
                testing::quiet_store_options());
    FAIL() << "opened a store on a closed port";
  } catch (const StoreError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find("topsecret"), std::string::npos) << message;
    EXPECT_NE(message.find("postgresql://someone:***@127.0.0.1:1/db"), std::string::npos)
        << message;
  }
}

}  // namespace
}  // namespace vigil::tracker
