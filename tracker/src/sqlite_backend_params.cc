// The rows of run_params in an SQLite store: see sqlite_param_rows.h.

#include "param_rows.h"
#include "sqlite_param_rows.h"

namespace vigil::tracker::detail {

void insert_param_rows(Connection& db, const std::string& run_id, const nlohmann::json& params) {
  auto& insert = db.cached(
      // created_at copied from the run (the sort's tie order); only for a stored run.
      "INSERT INTO run_params(run_id, path, type, rank, num, text, created_at) "
      "SELECT ?1, ?2, ?3, ?4, ?5, ?6, created_at FROM runs WHERE id = ?1");
  for (const ParamRow& row : param_rows(params)) {
    insert.reset();
    insert.bind(1, run_id).bind(2, row.path).bind(3, row.type);
    if (row.rank) insert.bind(4, static_cast<std::int64_t>(*row.rank));  // unbound: NULL
    if (row.num) insert.bind(5, *row.num);
    if (row.text) insert.bind(6, *row.text);
    insert.run();
  }
}

void replace_param_rows(Connection& db, const std::string& run_id, const std::string& params_json) {
  db.cached("DELETE FROM run_params WHERE run_id = ?1").bind(1, run_id).run();
  insert_param_rows(db, run_id, nlohmann::json::parse(params_json));
}

void backfill_param_rows(Connection& db) {
  Statement runs(db.get(), "SELECT id, params FROM runs");
  while (runs.step()) {
    // A params column that is not JSON (written by hand) gets no rows rather than blocking
    // the upgrade of the whole store.
    const nlohmann::json params = nlohmann::json::parse(runs.column_text(1), nullptr, false);
    insert_param_rows(db, runs.column_text(0), params);
  }
}

}  // namespace vigil::tracker::detail
