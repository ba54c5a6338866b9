// PgBackend: run selection in the database (filters, sort, paging, counts), with the SQL of
// run_select_sql.h (as SqliteBackend's).

#include <type_traits>

#include "pg_backend.h"
#include "run_select_sql.h"

namespace vigil::tracker::detail {
namespace {

PgParams params_of(const std::vector<SqlValue>& values) {
  PgParams params;
  for (const SqlValue& value : values) {
    std::visit(
        [&](const auto& v) {
          if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::vector<std::string>>) {
            params.add_array(v);
          } else {
            params.add(v);
          }
        },
        value);
  }
  return params;
}

}  // namespace

std::vector<std::string> PgBackend::select_runs(const RunSelection& selection) {
  const SqlQuery query = select_runs_sql(selection, SqlDialect::kPostgres);
  return read("listing runs", [&](PgConnection& c) {
    PgResult r = c.exec("listing runs", query.sql, params_of(query.values));
    std::vector<std::string> ids;
    ids.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) ids.push_back(r.text(i, 0));
    return ids;
  });
}

std::size_t PgBackend::count_runs(const RunSelection& selection) {
  const SqlQuery query = count_runs_sql(selection, SqlDialect::kPostgres);
  return read("counting runs", [&](PgConnection& c) {
    PgResult r = c.exec("counting runs", query.sql, params_of(query.values));
    return static_cast<std::size_t>(r.int64(0, 0));
  });
}

}  // namespace vigil::tracker::detail
