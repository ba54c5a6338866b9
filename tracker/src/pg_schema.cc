#include "pg_schema.h"

#include <string_view>

#include "log.h"
#include "pg_param_rows.h"
#include "schema.h"

namespace vigil::tracker::detail {
namespace {

// Key of the advisory lock held while creating or upgrading the schema ("VGIL" again).
constexpr std::int64_t kSchemaLockKey = 0x5647494c;

// kPgMigrations[i] upgrades version i to i + 1 (0: no tables). The tables mirror the SQLite
// schema (schema.cc). Key columns use the "C" collation, so ids sort and compare bytewise as
// in SQLite (prefix ranges of hex ids depend on it). Chunk data is already compressed:
// STORAGE EXTERNAL keeps PostgreSQL from trying to compress it again.
constexpr const char* kPgMigrations[] = {
    R"sql(
CREATE TABLE vigil_schema(version integer NOT NULL);
CREATE TABLE vigil_changes(slot integer PRIMARY KEY, counter bigint NOT NULL);
CREATE TABLE experiments(
  id bigserial PRIMARY KEY,
  name text COLLATE "C" NOT NULL UNIQUE,
  created_at double precision NOT NULL);
CREATE TABLE runs(
  id text COLLATE "C" PRIMARY KEY,
  name text COLLATE "C" NOT NULL,
  experiment_id bigint NOT NULL REFERENCES experiments(id),
  status text NOT NULL,
  created_at double precision NOT NULL,
  started_at double precision NOT NULL,
  finished_at double precision,
  heartbeat_at double precision NOT NULL,
  host text NOT NULL,
  pid bigint NOT NULL,
  command text NOT NULL,
  error text NOT NULL DEFAULT '',
  params text NOT NULL DEFAULT '{}',
  results text NOT NULL DEFAULT '{}');
CREATE INDEX runs_by_created ON runs(created_at);
CREATE INDEX runs_by_status ON runs(status);
CREATE INDEX runs_by_name ON runs(name);
CREATE TABLE tags(
  run_id text COLLATE "C" NOT NULL,
  tag text COLLATE "C" NOT NULL,
  PRIMARY KEY(run_id, tag));
CREATE TABLE series(
  id bigserial PRIMARY KEY,
  run_id text COLLATE "C" NOT NULL,
  name text COLLATE "C" NOT NULL,
  context text COLLATE "C" NOT NULL,
  count bigint NOT NULL DEFAULT 0,
  last double precision NOT NULL DEFAULT 'NaN',
  min double precision NOT NULL DEFAULT 'NaN',
  max double precision NOT NULL DEFAULT 'NaN',
  last_step bigint NOT NULL DEFAULT 0,
  last_time double precision NOT NULL DEFAULT 0,
  UNIQUE(run_id, name, context));
CREATE TABLE chunks(
  series_id bigint NOT NULL,
  seq bigint NOT NULL,
  first_step bigint NOT NULL,
  last_step bigint NOT NULL,
  n bigint NOT NULL,
  min double precision NOT NULL,
  max double precision NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY(series_id, seq));
ALTER TABLE chunks ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE TABLE validations(
  id bigserial PRIMARY KEY,
  run_id text COLLATE "C" NOT NULL,
  rules_name text NOT NULL,
  rules_hash text NOT NULL,
  phase text NOT NULL,
  verdict text NOT NULL,
  score double precision NOT NULL,
  violations text NOT NULL,
  report text NOT NULL,
  created_at double precision NOT NULL);
CREATE INDEX validations_by_run ON validations(run_id, id);
INSERT INTO vigil_schema(version) VALUES(0);
)sql",
    // 1 -> 2: distributed jobs (schema.cc, version 2): ranks of a run and the job's stop request.
    R"sql(
CREATE TABLE ranks(
  run_id text COLLATE "C" NOT NULL,
  rank integer NOT NULL,
  world_size integer NOT NULL,
  local_rank integer NOT NULL,
  host text NOT NULL,
  pid bigint NOT NULL,
  device text NOT NULL,
  status text NOT NULL,
  started_at double precision NOT NULL,
  heartbeat_at double precision NOT NULL,
  finished_at double precision,
  error text NOT NULL DEFAULT '',
  PRIMARY KEY(run_id, rank));
CREATE TABLE stop_requests(
  run_id text COLLATE "C" PRIMARY KEY,
  rank integer NOT NULL,
  step bigint NOT NULL,
  value double precision NOT NULL,
  message text NOT NULL,
  requested_at double precision NOT NULL);
)sql",
    // 2 -> 3: governance (schema.cc, version 3): policies kept once per hash, waivers, the
    // audit log. The audit log is append-only: a trigger refuses UPDATE, DELETE and TRUNCATE,
    // whoever connects.
    R"sql(
CREATE TABLE policies(
  hash text COLLATE "C" PRIMARY KEY,
  name text NOT NULL,
  version text NOT NULL,
  text text NOT NULL,
  stored_at double precision NOT NULL);
CREATE TABLE waivers(
  id bigserial PRIMARY KEY,
  run_id text COLLATE "C" NOT NULL,
  experiment text COLLATE "C" NOT NULL,
  rule_id text NOT NULL,
  reason text NOT NULL,
  owner text NOT NULL,
  created_at double precision NOT NULL,
  until double precision,
  revoked_at double precision,
  revoked_by text NOT NULL DEFAULT '');
CREATE INDEX waivers_by_run ON waivers(run_id);
CREATE INDEX waivers_by_experiment ON waivers(experiment);
CREATE TABLE audit(
  id bigserial PRIMARY KEY,
  at double precision NOT NULL,
  "user" text NOT NULL,
  host text NOT NULL,
  action text NOT NULL,
  run_id text COLLATE "C" NOT NULL,
  details text NOT NULL);
CREATE INDEX audit_by_run ON audit(run_id, id);
CREATE INDEX audit_by_time ON audit(at);
CREATE FUNCTION vigil_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only';
END
$$;
CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
  FOR EACH ROW EXECUTE FUNCTION vigil_audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
  FOR EACH STATEMENT EXECUTE FUNCTION vigil_audit_append_only();
)sql",
    // 3 -> 4: listings at scale (schema.cc, version 4): the latest verdict and score on the
    // run row, and the indexes of Backend::select_runs.
    R"sql(
ALTER TABLE runs ADD COLUMN verdict text COLLATE "C", ADD COLUMN score double precision;
UPDATE runs r SET verdict = v.verdict, score = v.score
  FROM (SELECT DISTINCT ON (run_id) run_id, verdict, score FROM validations
        ORDER BY run_id, id DESC) v
  WHERE v.run_id = r.id;
CREATE INDEX runs_by_experiment ON runs(experiment_id, created_at);
CREATE INDEX runs_by_verdict ON runs(verdict, created_at);
CREATE INDEX runs_by_score ON runs(score);
CREATE INDEX tags_by_tag ON tags(tag, run_id);
CREATE INDEX series_by_key ON series(name, context, last, run_id);
)sql",
    // 4 -> 5: listings at scale, part 2 (schema.cc, version 5): run indexes that hold the id,
    // verdict + score, and no series or tag without its run.
    R"sql(
DELETE FROM chunks WHERE series_id IN
  (SELECT s.id FROM series s WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = s.run_id));
DELETE FROM series s WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = s.run_id);
DELETE FROM tags t WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = t.run_id);
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
    // 5 -> 6: params filtered and sorted with an index (schema.cc, version 6): one row per
    // value of a run's params reached through object keys (param_rows.h). Filled from the
    // stored runs by backfill_param_rows (ensure_pg_schema).
    R"sql(
CREATE TABLE run_params(
  run_id text COLLATE "C" NOT NULL,
  path text COLLATE "C" NOT NULL,
  type text NOT NULL,
  rank integer,
  num float8,
  text text COLLATE "C",
  created_at float8 NOT NULL,
  PRIMARY KEY(run_id, path));
CREATE INDEX run_params_by_value ON run_params(path, rank, num, text, created_at, run_id, type);
CREATE INDEX run_params_ascending ON run_params(path, rank, num, text, created_at DESC,
  run_id DESC);
)sql",
};

static_assert(sizeof(kPgMigrations) / sizeof(kPgMigrations[0]) == kPgSchemaVersion,
              "one migration per schema version");
static_assert(kPgSchemaVersion == kSchemaVersion,
              "both backends store the same tables: their schema versions move together");
static_assert(std::string_view(kPgMigrations[kParamRowsVersion - 1])
                      .find("CREATE TABLE run_params") != std::string_view::npos,
              "kParamRowsVersion names the migration that creates run_params");

std::string too_new(const std::string& display, int version) {
  return "cannot open store " + display + ": it has schema version " + std::to_string(version) +
         ", this vigil supports up to version " + std::to_string(kPgSchemaVersion) +
         " (upgrade vigil)";
}

}  // namespace

int pg_schema_version(PgConnection& conn) {
  PgResult exists =
      conn.exec("reading the schema version", "SELECT to_regclass('vigil_schema') IS NOT NULL");
  if (!exists.boolean(0, 0)) return 0;
  PgResult version =
      conn.exec("reading the schema version", "SELECT max(version)::int8 FROM vigil_schema");
  return version.rows() == 0 || version.is_null(0, 0) ? 0 : static_cast<int>(version.int64(0, 0));
}

int ensure_pg_schema(PgConnection& conn, const std::string& display, bool read_only) {
  int version = pg_schema_version(conn);
  if (version > kPgSchemaVersion) throw StoreError(too_new(display, version));
  if (version == kPgSchemaVersion) return version;
  if (read_only && version == 0) {
    throw StoreError("cannot open store " + display +
                     " read-only: the database holds no vigil store (open it once for writing)");
  }
  if (read_only) {
    throw StoreNeedsUpgrade("cannot open store " + display + " read-only: it has schema version " +
                            std::to_string(version) + " and needs an upgrade to version " +
                            std::to_string(kPgSchemaVersion) +
                            " (run `vigil store migrate`, or open it once for writing)");
  }
  try {
    // A session lock, taken before the transaction starts: the transaction then begins after
    // the previous holder committed, and sees its tables (a lock taken inside the transaction
    // would leave this session's catalog view from before the wait).
    conn.exec("locking the schema", "SELECT pg_advisory_lock($1)", PgParams().add(kSchemaLockKey));
    struct Unlock {
      PgConnection& conn;
      ~Unlock() {
        if (!conn.ok()) return;  // a lost session holds no lock
        PQclear(PQexec(conn.get(), "SELECT pg_advisory_unlock_all()"));
      }
    } unlock{conn};
    PgTransaction transaction(conn);
    version = pg_schema_version(conn);  // another process may have got there first
    if (version >= kPgSchemaVersion) {
      if (version > kPgSchemaVersion) throw StoreError(too_new(display, version));
      return version;
    }
    for (int v = version; v < kPgSchemaVersion; ++v) {
      conn.exec_script("creating schema version " + std::to_string(v + 1), kPgMigrations[v]);
    }
    if (version < kParamRowsVersion) backfill_param_rows(conn);
    conn.exec("storing the schema version", "UPDATE vigil_schema SET version = $1",
              PgParams().add(static_cast<std::int64_t>(kPgSchemaVersion)));
    transaction.commit();
  } catch (const PgError& e) {
    throw StoreError("cannot create the vigil schema in store " + display + ": " + e.what());
  }
  if (version > 0) {
    logger()->info("migrated store {} from schema version {} to {}", display, version,
                   kPgSchemaVersion);
  }
  return kPgSchemaVersion;
}

}  // namespace vigil::tracker::detail
