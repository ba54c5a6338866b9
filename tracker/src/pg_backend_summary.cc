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

// The statements of one selection, on one connection in one snapshot.
class PgReader : public SqlReader {
 public:
  explicit PgReader(PgConnection& c) : c_(c) {}

  std::vector<std::string> ids(const SqlQuery& query) override {
    PgResult r = c_.exec("listing runs", query.sql, params_of(query.values));
    std::vector<std::string> ids;
    ids.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) ids.push_back(r.text(i, 0));
    return ids;
  }

  std::vector<std::int64_t> integers(const SqlQuery& query) override {
    PgResult r = c_.exec("counting runs", query.sql, params_of(query.values));
    std::vector<std::int64_t> row;
    if (r.rows() > 0) {
      for (int i = 0; i < r.columns(); ++i) row.push_back(r.is_null(0, i) ? 0 : r.int64(0, i));
    }
    return row;
  }

 private:
  PgConnection& c_;
};

}  // namespace

std::vector<std::string> PgBackend::select_runs(const RunSelection& selection) {
  return read("listing runs", [&](PgConnection& c) {
    PgTransaction snapshot(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    PgReader reader(c);
    return select_run_ids(selection, SqlDialect::kPostgres, reader);
  });
}

std::size_t PgBackend::count_runs(const RunSelection& selection) {
  return read("counting runs", [&](PgConnection& c) {
    PgTransaction snapshot(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    PgReader reader(c);
    return count_selected_runs(selection, SqlDialect::kPostgres, reader);
  });
}

}  // namespace vigil::tracker::detail
