// SqliteBackend: run selection in the database (filters, sort, paging, counts), with the SQL
// of run_select_sql.h. The run row carries the listing's summary (status, latest verdict and
// score, kept by the writes that change them); series rows carry each series' aggregates.

#include <type_traits>

#include "run_select_sql.h"
#include "sqlite_backend.h"
#include "sqlite_backend_tx.h"

namespace vigil::tracker::detail {
namespace {

void bind_all(Statement& stmt, const std::vector<SqlValue>& values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    const int index = static_cast<int>(i + 1);
    std::visit(
        [&](const auto& value) {
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            stmt.bind(index, nlohmann::json(value).dump());
          } else if constexpr (std::is_same_v<T, std::string>) {
            stmt.bind(index, std::string_view(value));
          } else {
            stmt.bind(index, value);
          }
        },
        values[i]);
  }
}

// The statements of one selection, on the reader connection in one snapshot.
class SqliteReader : public SqlReader {
 public:
  explicit SqliteReader(Connection& db) : db_(db) {}

  std::vector<std::string> ids(const SqlQuery& query) override {
    auto& stmt = db_.cached(query.sql);
    bind_all(stmt, query.values);
    std::vector<std::string> ids;
    while (stmt.step()) ids.push_back(stmt.column_text(0));
    stmt.reset();
    return ids;
  }

  std::vector<std::int64_t> integers(const SqlQuery& query) override {
    auto& stmt = db_.cached(query.sql);
    bind_all(stmt, query.values);
    std::vector<std::int64_t> row;
    if (stmt.step()) {
      for (int i = 0; i < stmt.column_count(); ++i) row.push_back(stmt.column_int64(i));
    }
    stmt.reset();
    return row;
  }

 private:
  Connection& db_;
};

}  // namespace

std::vector<std::string> SqliteBackend::select_runs(const RunSelection& selection) {
  return read("listing runs", [&] {
    ReadTransaction snapshot(reader_);
    SqliteReader reader(reader_);
    return select_run_ids(selection, SqlDialect::kSqlite, reader);
  });
}

std::size_t SqliteBackend::count_runs(const RunSelection& selection) {
  return read("counting runs", [&] {
    ReadTransaction snapshot(reader_);
    SqliteReader reader(reader_);
    return count_selected_runs(selection, SqlDialect::kSqlite, reader);
  });
}

}  // namespace vigil::tracker::detail
