#pragma once

// The PostgreSQL statements on table run_params (pg_backend_params.cc), for every write of a
// run's params (pg_backend.cc) and the migration that creates the table (pg_schema.cc). Each
// runs on `c` inside the caller's transaction.

#include <string>

#include <nlohmann/json.hpp>

#include "pg_util.h"

namespace vigil::tracker::detail {

/// Inserts the rows of `params` (the stored form, param_rows.h) for a run that has none.
void insert_param_rows(PgConnection& c, const std::string& run_id, const nlohmann::json& params);
/// Replaces the rows of a run by those of `params_json` (the stored params text). Deleting a
/// run deletes its rows with its other rows (delete_run_rows).
void replace_param_rows(PgConnection& c, const std::string& run_id, const std::string& params_json);
/// Fills run_params from every stored run's params (the migration that creates the table).
void backfill_param_rows(PgConnection& c);

}  // namespace vigil::tracker::detail
