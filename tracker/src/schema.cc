#include "schema.h"

#include <chrono>
#include <string>
#include <string_view>
#include <thread>

#include "log.h"
#include "sqlite_param_rows.h"

namespace vigil::tracker::detail {
namespace {

// migrations[i] upgrades a schema of version i to version i + 1. Version 0 is the empty
// file. A new schema version appends one entry and bumps kSchemaVersion; stores written by
// older builds are then upgraded when first opened for writing.
constexpr const char* kMigrations[] = {
    // 0 -> 1: initial schema.
    R"sql(
CREATE TABLE experiments(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at REAL NOT NULL);
CREATE TABLE runs(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  experiment_id INTEGER NOT NULL REFERENCES experiments(id),
  status TEXT NOT NULL,
  created_at REAL NOT NULL,
  started_at REAL NOT NULL,
  finished_at REAL,
  heartbeat_at REAL NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  command TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  params TEXT NOT NULL DEFAULT '{}',
  results TEXT NOT NULL DEFAULT '{}');
CREATE INDEX runs_by_created ON runs(created_at);
CREATE INDEX runs_by_status ON runs(status);
CREATE TABLE tags(
  run_id TEXT NOT NULL,
  tag TEXT NOT NULL,
  PRIMARY KEY(run_id, tag)) WITHOUT ROWID;
CREATE TABLE series(
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  name TEXT NOT NULL,
  context TEXT NOT NULL,
  count INTEGER NOT NULL DEFAULT 0,
  last REAL,
  min REAL,
  max REAL,
  last_step INTEGER NOT NULL DEFAULT 0,
  last_time REAL NOT NULL DEFAULT 0,
  UNIQUE(run_id, name, context));
-- Points, packed (see chunk_codec.h). min/max are NULL when every value is NaN.
CREATE TABLE chunks(
  series_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  first_step INTEGER NOT NULL,
  last_step INTEGER NOT NULL,
  n INTEGER NOT NULL,
  min REAL,
  max REAL,
  data BLOB NOT NULL,
  PRIMARY KEY(series_id, seq));
CREATE TABLE validations(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  rules_name TEXT NOT NULL,
  rules_hash TEXT NOT NULL,
  phase TEXT NOT NULL,
  verdict TEXT NOT NULL,
  score REAL,
  violations TEXT NOT NULL,
  report TEXT NOT NULL,
  created_at REAL NOT NULL);
CREATE INDEX validations_by_run ON validations(run_id, id);
)sql",
    // 1 -> 2: distributed jobs: one row per rank of a run, and the job-wide stop request.
    R"sql(
CREATE TABLE ranks(
  run_id TEXT NOT NULL,
  rank INTEGER NOT NULL,
  world_size INTEGER NOT NULL,
  local_rank INTEGER NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  device TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at REAL NOT NULL,
  heartbeat_at REAL NOT NULL,
  finished_at REAL,
  error TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(run_id, rank)) WITHOUT ROWID;
-- At most one per run: the first rank to ask wins. value is NULL for NaN.
CREATE TABLE stop_requests(
  run_id TEXT PRIMARY KEY,
  rank INTEGER NOT NULL,
  step INTEGER NOT NULL,
  value REAL,
  message TEXT NOT NULL,
  requested_at REAL NOT NULL);
)sql",
    // 2 -> 3: governance (issue 12): policies kept once per hash, waivers, the audit log.
    // The audit log is append-only: triggers refuse any UPDATE or DELETE of its rows, whoever
    // writes to the file.
    R"sql(
CREATE TABLE policies(
  hash TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  text TEXT NOT NULL,
  stored_at REAL NOT NULL);
CREATE TABLE waivers(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  experiment TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  owner TEXT NOT NULL,
  created_at REAL NOT NULL,
  until REAL,
  revoked_at REAL,
  revoked_by TEXT NOT NULL DEFAULT '');
CREATE INDEX waivers_by_run ON waivers(run_id);
CREATE INDEX waivers_by_experiment ON waivers(experiment);
CREATE TABLE audit(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at REAL NOT NULL,
  user TEXT NOT NULL,
  host TEXT NOT NULL,
  action TEXT NOT NULL,
  run_id TEXT NOT NULL,
  details TEXT NOT NULL);
CREATE INDEX audit_by_run ON audit(run_id, id);
CREATE INDEX audit_by_time ON audit(at);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql",
    // 3 -> 4: listings at scale. The run row is the run's summary for listings: besides its
    // status it carries the latest validation's verdict and score (set by every validation
    // insert, in its transaction); series rows carry each series' aggregates. The indexes
    // let the database filter, sort and page runs (Backend::select_runs).
    R"sql(
ALTER TABLE runs ADD COLUMN verdict TEXT;
ALTER TABLE runs ADD COLUMN score REAL;
UPDATE runs SET (verdict, score) = (SELECT v.verdict, v.score FROM validations v
  WHERE v.run_id = runs.id ORDER BY v.id DESC LIMIT 1);
CREATE INDEX runs_by_experiment ON runs(experiment_id, created_at);
CREATE INDEX runs_by_verdict ON runs(verdict, created_at);
CREATE INDEX runs_by_score ON runs(score);
CREATE INDEX runs_by_name ON runs(name);
CREATE INDEX tags_by_tag ON tags(tag, run_id);
CREATE INDEX series_by_key ON series(name, context, last, run_id);
)sql",
    // 4 -> 5: listings at scale, part 2. The run indexes also hold the id, so a page deep in
    // an index is read from the index alone; names sort with ties newest first as listings
    // do; verdict + score serves "the best PASS runs". No series or tag outlives its run
    // (writes for a deleted run are dropped from now on), so counting a tag or a metric
    // condition counts its rows.
    R"sql(
DELETE FROM chunks WHERE series_id IN
  (SELECT id FROM series WHERE run_id NOT IN (SELECT id FROM runs));
DELETE FROM series WHERE run_id NOT IN (SELECT id FROM runs);
DELETE FROM tags WHERE run_id NOT IN (SELECT id FROM runs);
DROP INDEX runs_by_created;
CREATE INDEX runs_by_created ON runs(created_at, id);
DROP INDEX runs_by_status;
CREATE INDEX runs_by_status ON runs(status, created_at, id);
DROP INDEX runs_by_experiment;
CREATE INDEX runs_by_experiment ON runs(experiment_id, created_at, id, name);
DROP INDEX runs_by_verdict;
CREATE INDEX runs_by_verdict ON runs(verdict, created_at, id);
CREATE INDEX runs_by_verdict_score ON runs(verdict, score, created_at, id);
DROP INDEX runs_by_score;
CREATE INDEX runs_by_score ON runs(score, created_at, id);
DROP INDEX runs_by_name;
CREATE INDEX runs_by_name ON runs(name, created_at DESC, id DESC);
)sql",
    // 5 -> 6: params filtered and sorted with an index: one row per value of a run's params
    // reached through object keys (param_rows.h), kept by every write of runs.params in its
    // transaction. Filled from the stored runs by backfill_param_rows (migrate()).
    R"sql(
CREATE TABLE run_params(
  run_id TEXT NOT NULL,
  path TEXT NOT NULL,
  type TEXT NOT NULL,
  rank INTEGER,
  num REAL,
  text TEXT,
  created_at REAL NOT NULL,
  PRIMARY KEY(run_id, path)) WITHOUT ROWID;
-- Sorting by a param: value order, ties newest first (the run's created_at, copied), read
-- from an index alone in either direction (descending: this one backwards; type makes it
-- cover every filter too); ascending: the next one.
CREATE INDEX run_params_by_value ON run_params(path, rank, num, text, created_at, run_id, type);
CREATE INDEX run_params_ascending ON run_params(path, rank, num, text, created_at DESC,
  run_id DESC);
)sql",
};

static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kSchemaVersion,
              "one migration per schema version");
static_assert(std::string_view(kMigrations[kParamRowsVersion - 1])
                      .find("CREATE TABLE run_params") != std::string_view::npos,
              "kParamRowsVersion names the migration that creates run_params");

std::int64_t pragma_int(Connection& db, const char* sql) {
  Statement stmt(db.get(), sql);
  return stmt.step() ? stmt.column_int64(0) : 0;
}

}  // namespace

SchemaState check_schema(Connection& db, const std::string& path) {
  std::int64_t app_id = 0, version = 0, tables = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    try {
      // One statement, so one snapshot: another process may be creating the schema right
      // now, and three separate reads could see its tables but not yet its application id.
      Statement stmt(db.get(),
                     "SELECT (SELECT application_id FROM pragma_application_id()), "
                     "(SELECT user_version FROM pragma_user_version()), "
                     "(SELECT count(*) FROM sqlite_master)");
      if (stmt.step()) {
        app_id = stmt.column_int64(0);
        version = stmt.column_int64(1);
        tables = stmt.column_int64(2);
      }
      break;
    } catch (const SqliteError& e) {
      // Another process creating or converting the file: wait, it is not a bad file.
      if (e.is_busy() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      throw StoreError("cannot open store " + path +
                       ": not a vigil store (not an SQLite database, or corrupt): " + e.what());
    }
  }
  SchemaState state;
  if (app_id == 0 && version == 0 && tables == 0) {
    state.fresh = true;
    return state;
  }
  if (app_id != kApplicationId) {
    throw StoreError("cannot open store " + path +
                     ": not a vigil store (SQLite database of another application)");
  }
  // Version 0 with vigil's id and no tables is a store created before its first migration;
  // anything else below 1 was never written by vigil (migrating it would fail on SQL).
  if (version < 0 || (version == 0 && tables > 0)) {
    throw StoreError("cannot open store " + path +
                     ": not a vigil store / unsupported schema version " + std::to_string(version) +
                     " (expected 1 to " + std::to_string(kSchemaVersion) + ")");
  }
  if (version > kSchemaVersion) {
    throw StoreError("cannot open store " + path + ": it has schema version " +
                     std::to_string(version) + ", this vigil supports up to version " +
                     std::to_string(kSchemaVersion) + " (upgrade vigil)");
  }
  state.version = static_cast<int>(version);
  return state;
}

void migrate(Connection& db, const std::string& path, int target) {
  Transaction transaction(db);
  int version = static_cast<int>(pragma_int(db, "PRAGMA user_version"));
  if (version >= target) return;  // another process got there first
  for (int v = version; v < target; ++v) {
    try {
      db.exec(kMigrations[v]);
    } catch (const SqliteError& e) {
      throw StoreError("cannot migrate store " + path + " from schema version " +
                       std::to_string(v) + " to " + std::to_string(v + 1) + ": " + e.what());
    }
  }
  if (version < kParamRowsVersion && target >= kParamRowsVersion) backfill_param_rows(db);
  db.exec(("PRAGMA application_id = " + std::to_string(kApplicationId)).c_str());
  db.exec(("PRAGMA user_version = " + std::to_string(target)).c_str());
  transaction.commit();
  if (version > 0) {
    logger()->info("migrated store {} from schema version {} to {}", path, version, target);
  }
}

}  // namespace vigil::tracker::detail
