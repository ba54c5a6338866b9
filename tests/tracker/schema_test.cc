// Opening files that are not (current) vigil stores: clear errors, files left untouched;
// migration of older stores.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "raw_sqlite.h"
#include "schema.h"
#include "store_fixture.h"

namespace vigil::tracker {
namespace {

void write_file(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

using Schema = SqliteStoreTest;

void expect_store_error_leaving_file_unchanged(const std::string& path,
                                               const std::vector<std::string>& fragments) {
  const std::string before = testing::read_file(path);
  for (bool read_only : {false, true}) {
    StoreOptions options;
    options.read_only = read_only;
    options.handle_signals = false;
    try {
      Store store(path, options);
      FAIL() << "opened " << path;
    } catch (const StoreError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      for (const auto& fragment : fragments) {
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
      }
    }
  }
  EXPECT_EQ(testing::read_file(path), before);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST_F(Schema, NewerSchemaIsRefusedNamingBothVersions) {
  open().start_run().finish();
  testing::raw_exec(path_,
                    "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE; "
                    "PRAGMA user_version = 99");
  expect_store_error_leaving_file_unchanged(
      path_, {"version 99", "up to version " + std::to_string(detail::kSchemaVersion)});
}

// A single-line message for versions no vigil ever wrote, not SQL errors from a migration.
void expect_unsupported_version(const std::string& path, const std::string& version) {
  for (bool read_only : {false, true}) {
    StoreOptions options;
    options.read_only = read_only;
    options.handle_signals = false;
    try {
      Store store(path, options);
      FAIL() << "opened " << path;
    } catch (const StoreError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
      EXPECT_NE(message.find("unsupported schema version " + version), std::string::npos)
          << message;
      EXPECT_NE(message.find(path), std::string::npos) << message;
    }
  }
}

TEST_F(Schema, NegativeSchemaVersionIsOneLineError) {
  open().start_run().finish();
  testing::raw_exec(path_, "PRAGMA user_version = -3");
  expect_unsupported_version(path_, "-3");
}

TEST_F(Schema, ZeroSchemaVersionWithTablesIsOneLineError) {
  open().start_run().finish();
  testing::raw_exec(path_, "PRAGMA user_version = 0");
  expect_unsupported_version(path_, "0");
  // Still the tables of the store: nothing was dropped or recreated.
  EXPECT_EQ(testing::raw_query(path_, "SELECT count(*) FROM runs"), "1");
}

TEST_F(Schema, GarbageFileIsNotAVigilStore) {
  std::string garbage;
  for (int i = 0; i < 8192; ++i) garbage.push_back(static_cast<char>((i * 7919) % 251));
  write_file(path_, garbage);
  expect_store_error_leaving_file_unchanged(path_, {"not a vigil store"});
}

TEST_F(Schema, CorruptStoreIsReportedNotCrashedOn) {
  open().start_run().finish();
  testing::raw_exec(path_, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE");
  std::string bytes = testing::read_file(path_);
  for (std::size_t i = 100; i < bytes.size(); ++i) bytes[i] = static_cast<char>(0xA5);
  write_file(path_, bytes);
  expect_store_error_leaving_file_unchanged(path_, {"not a vigil store"});
}

TEST_F(Schema, OtherSqliteDatabaseIsNotAVigilStore) {
  testing::raw_exec(path_, "CREATE TABLE notes(text TEXT); INSERT INTO notes VALUES('hi')");
  expect_store_error_leaving_file_unchanged(path_, {"another application"});
}

TEST_F(Schema, OlderStoreIsMigratedOnOpen) {
  // Version 0 with vigil's application id: a store created before its first migration.
  testing::raw_exec(path_, "PRAGMA application_id = " + std::to_string(detail::kApplicationId));
  StoreOptions read_only = fast_options();
  read_only.read_only = true;
  EXPECT_THROW(Store(path_, read_only), StoreError);  // a reader never migrates
  Store store = open();
  EXPECT_EQ(testing::raw_query(path_, "PRAGMA user_version"),
            std::to_string(detail::kSchemaVersion));
  store.start_run().finish();
  EXPECT_EQ(store.list_runs().size(), 1u);
}

TEST_F(Schema, MigrateStepsToTheTargetVersionOnce) {
  detail::Connection db(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  EXPECT_TRUE(detail::check_schema(db, path_).fresh);
  detail::migrate(db, path_, 1);
  EXPECT_EQ(detail::check_schema(db, path_).version, 1);
  detail::migrate(db, path_, 1);  // already there: nothing to do, no error
  EXPECT_EQ(testing::raw_query(path_, "SELECT count(*) FROM sqlite_master WHERE name='runs'"), "1");
}

TEST_F(Schema, VersionOneStoreGainsRankTablesAndKeepsItsRuns) {
  {
    detail::Connection db(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    detail::migrate(db, path_, 1);  // a store written before distributed jobs
  }
  testing::raw_exec(path_,
                    "INSERT INTO experiments(name, created_at) VALUES('old', 1); "
                    "INSERT INTO runs(id, name, experiment_id, status, created_at, started_at, "
                    "finished_at, heartbeat_at, host, pid, command) VALUES('"
                    "00000000000000000000000000000001', 'kept', 1, 'finished', 1, 1, 2, 2, 'h', 1, "
                    "'c')");
  Store store = open();
  EXPECT_EQ(testing::raw_query(path_, "PRAGMA user_version"),
            std::to_string(detail::kSchemaVersion));
  EXPECT_EQ(store.get_run("0000000000000000000000000000000").name, "kept");
  EXPECT_TRUE(store.ranks("00000000000000000000000000000001").empty());
  RankOptions rank;
  rank.job_id = "after-migration";
  tracker::Run joined = store.join_run({}, rank);
  joined.finish();
  ASSERT_EQ(store.ranks(joined.id()).size(), 1u);
  EXPECT_EQ(store.get_run(joined.id()).status, RunStatus::kFinished);
}

TEST_F(Schema, ConcurrentFirstOpensCreateOneSchema) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      try {
        Store store(path_, fast_options());
        store.start_run().finish();
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(open().list_runs().size(), 4u);
}

TEST_F(Schema, DirectoryPathIsAStoreError) {
  EXPECT_THROW(Store(dir_.path().string(), fast_options()), StoreError);
}

}  // namespace
}  // namespace vigil::tracker
