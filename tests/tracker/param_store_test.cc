// Table run_params (param_rows.h) follows every write of a run's params on every backend:
// start_run, log_params, import_run (store copy), delete, and the migration that creates it.
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>

#include "backend.h"
#include "json_numbers.h"
#include "param_rows.h"
#include "raw_store.h"
#include "schema.h"
#include "store_fixture.h"

namespace vigil::tracker {
namespace {

using detail::ParamRank;
using detail::ParamRow;
using nlohmann::json;

constexpr const char* kSelectRows =
    "SELECT path, type, rank, num, text FROM run_params WHERE run_id = $1 ORDER BY path";

std::vector<ParamRow> sqlite_rows(const std::string& path, const std::string& run_id) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, kSelectRows, -1, &stmt, nullptr) != SQLITE_OK) {
    const std::string message = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw std::runtime_error("reading run_params: " + message);
  }
  sqlite3_bind_text(stmt, 1, run_id.c_str(), -1, SQLITE_TRANSIENT);
  std::vector<ParamRow> rows;
  auto text = [&](int column) {
    return std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, column)),
                       sqlite3_column_bytes(stmt, column));
  };
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    ParamRow row{text(0), text(1), std::nullopt, std::nullopt, std::nullopt};
    if (sqlite3_column_type(stmt, 2) != SQLITE_NULL) {
      row.rank = static_cast<ParamRank>(sqlite3_column_int64(stmt, 2));
    }
    if (sqlite3_column_type(stmt, 3) != SQLITE_NULL) row.num = sqlite3_column_double(stmt, 3);
    if (sqlite3_column_type(stmt, 4) != SQLITE_NULL) row.text = text(4);
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

std::vector<ParamRow> postgres_rows(const std::string& uri, const std::string& run_id) {
  PGconn* conn = PQconnectdb(uri.c_str());
  const char* values[] = {run_id.c_str()};
  PGresult* result = PQexecParams(conn, kSelectRows, 1, nullptr, values, nullptr, nullptr, 0);
  std::vector<ParamRow> rows;
  const bool ok = PQresultStatus(result) == PGRES_TUPLES_OK;
  const std::string error = ok ? "" : PQerrorMessage(conn);
  for (int i = 0; ok && i < PQntuples(result); ++i) {
    // Text results: float8 is printed exactly (shortest round-trip form, "Infinity").
    ParamRow row{PQgetvalue(result, i, 0), PQgetvalue(result, i, 1), std::nullopt, std::nullopt,
                 std::nullopt};
    if (!PQgetisnull(result, i, 2)) {
      row.rank = static_cast<ParamRank>(std::atoll(PQgetvalue(result, i, 2)));
    }
    if (!PQgetisnull(result, i, 3)) row.num = std::strtod(PQgetvalue(result, i, 3), nullptr);
    if (!PQgetisnull(result, i, 4)) row.text = PQgetvalue(result, i, 4);
    rows.push_back(std::move(row));
  }
  PQclear(result);
  PQfinish(conn);
  if (!ok) throw std::runtime_error("reading run_params: " + error);
  return rows;
}

// The stored form's rows in the order of kSelectRows (bytewise by path on both backends).
std::vector<ParamRow> expected_rows(const json& params) {
  std::vector<ParamRow> rows = detail::param_rows(detail::encode_non_finite(params));
  std::sort(rows.begin(), rows.end(),
            [](const ParamRow& a, const ParamRow& b) { return a.path < b.path; });
  return rows;
}

// Every kind of value: nesting, an array, null, booleans, integers, reals, +-Inf and NaN
// (encoded by the store), keys with dots, quotes and non-ASCII letters.
json sample_params() {
  return {{"optimizer", {{"name", "adam"}, {"lr", 0.001}, {"betas", {0.9, 0.999}}}},
          {"epochs", 10},
          {"big", 18446744073709551615u},
          {"flags", {{"amp", true}, {"ema", false}, {"seed", nullptr}}},
          {"a.b", {{"say \"hi\"", "λ-ü"}}},
          {"clip", std::numeric_limits<double>::infinity()},
          {"floor", -std::numeric_limits<double>::infinity()},
          {"nan", std::numeric_limits<double>::quiet_NaN()},
          {"empty", json::object()}};
}

class ParamTable : public StoreTest {
 protected:
  void SetUp() override { store_.emplace(open()); }

  std::vector<ParamRow> rows(const std::string& run_id) {
    return sqlite() ? sqlite_rows(path_, run_id) : postgres_rows(path_, run_id);
  }

  std::string start(const json& params) {
    RunOptions options;
    options.params = params;
    tracker::Run run = store_->start_run(options);
    run.finish();
    return run.id();
  }

  std::optional<Store> store_;
};

TEST_P(ParamTable, StartRunStoresARowPerValue) {
  const std::string id = start(sample_params());
  const std::vector<ParamRow> stored = rows(id);
  EXPECT_EQ(stored, expected_rows(sample_params()));
  ASSERT_EQ(stored.size(), 19u);
  // Spot checks of what the lead's queries rely on (the full policy: param_rows_test.cc).
  const auto find = [&](const std::string& path) {
    auto it = std::find_if(stored.begin(), stored.end(),
                           [&](const ParamRow& row) { return row.path == path; });
    return it == stored.end() ? ParamRow{} : *it;
  };
  EXPECT_EQ(find(R"(["optimizer","lr"])").num, 0.001);
  EXPECT_EQ(find(R"(["clip"])").num, std::numeric_limits<double>::infinity());
  EXPECT_EQ(find(R"(["floor"])").rank, ParamRank::kNumber);
  EXPECT_EQ(find(R"(["a.b","say \"hi\""])").text, "λ-ü");
  EXPECT_EQ(find(R"(["flags","seed"])").type, "null");
  EXPECT_EQ(find(R"(["optimizer","betas"])").text, "[0.9,0.999]");
}

TEST_P(ParamTable, RunsWithoutParamsHaveNoRows) {
  EXPECT_TRUE(rows(start(json())).empty());
  EXPECT_TRUE(rows(start(json::object())).empty());
}

TEST_P(ParamTable, LoggedParamsReplaceTheRowsInTheirCommit) {
  RunOptions options;
  options.params = {{"optimizer", {{"lr", 0.1}, {"name", "sgd"}}}, {"epochs", 3}};
  tracker::Run run = store_->start_run(options);
  const std::string id = run.id();
  run.log_params({{"optimizer", {{"lr", 0.01}}}, {"batch", 64}});
  run.log_param("optimizer.momentum", std::numeric_limits<double>::infinity());
  run.flush();
  const json merged = {
      {"optimizer",
       {{"lr", 0.01}, {"name", "sgd"}, {"momentum", std::numeric_limits<double>::infinity()}}},
      {"epochs", 3},
      {"batch", 64}};
  EXPECT_EQ(rows(id), expected_rows(merged));
  run.log_param("optimizer", "none");  // an object replaced by a string: its children go
  run.finish();
  EXPECT_EQ(rows(id), expected_rows({{"optimizer", "none"}, {"epochs", 3}, {"batch", 64}}));
}

TEST_P(ParamTable, ImportStoresTheRowsAndReplaceReplacesThem) {
  detail::Backend& backend = detail::store_backend(*store_);
  detail::RunExport run;
  run.run.id = std::string(32, 'c');
  run.run.name = "imported";
  run.run.experiment = "import";
  run.run.status = RunStatus::kFinished;
  run.run.params = detail::encode_non_finite(sample_params());  // as another store reads it
  ASSERT_EQ(backend.import_run(run, false), detail::ImportOutcome::kCreated);
  EXPECT_EQ(rows(run.run.id), expected_rows(sample_params()));
  run.run.params = {{"only", 1}};
  ASSERT_EQ(backend.import_run(run, false), detail::ImportOutcome::kExists);
  EXPECT_EQ(rows(run.run.id), expected_rows(sample_params()));
  ASSERT_EQ(backend.import_run(run, true), detail::ImportOutcome::kReplaced);
  EXPECT_EQ(rows(run.run.id), expected_rows({{"only", 1}}));
}

TEST_P(ParamTable, CopyBetweenStoresCarriesTheRows) {
  const std::string id = start(sample_params());
  testing::TempDir other_dir;
  Store copy(testing::fresh_store_uri(GetParam(), other_dir, "copy"), fast_options());
  (void)copy_runs(*store_, copy, RunFilter{}, CopyOptions{});
  const std::string copy_uri = copy.uri();
  EXPECT_EQ(sqlite() ? sqlite_rows(copy_uri, id) : postgres_rows(copy_uri, id),
            expected_rows(sample_params()));
}

TEST_P(ParamTable, DeletingARunDeletesItsRows) {
  const std::string gone = start({{"a", 1}});
  const std::string kept = start({{"a", 2}});
  store_->delete_runs({gone});
  EXPECT_TRUE(rows(gone).empty());
  EXPECT_EQ(rows(kept), expected_rows({{"a", 2}}));
}

// A store of the previous schema version (the table not there yet) gets the rows of every
// stored run when it is upgraded.
TEST_P(ParamTable, UpgradingAnOlderStoreFillsTheTable) {
  const std::string first = start(sample_params());
  const std::string second = start({{"x", {{"y", "z"}}}});
  const std::string empty = start(json::object());
  store_.reset();
  const std::string previous = std::to_string(detail::kParamRowsVersion - 1);
  testing::store_exec(path_, "DROP TABLE run_params; " +
                                 (sqlite() ? "PRAGMA user_version = " + previous
                                           : "UPDATE vigil_schema SET version = " + previous));
  store_.emplace(open());
  EXPECT_EQ(rows(first), expected_rows(sample_params()));
  EXPECT_EQ(rows(second), expected_rows({{"x", {{"y", "z"}}}}));
  EXPECT_TRUE(rows(empty).empty());
  EXPECT_EQ(testing::store_query(path_, "SELECT count(*) FROM run_params"), "21");
}

VIGIL_ON_EVERY_BACKEND(ParamTable);

}  // namespace
}  // namespace vigil::tracker
