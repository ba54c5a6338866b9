#pragma once

// The SQL of Backend::select_runs and count_runs, one builder for both backends: a RunFilter
// becomes a WHERE clause, an ORDER BY and LIMIT/OFFSET over `runs r`, with numbered
// placeholders and the values to bind to them. The dialects differ only in placeholders,
// list parameters, JSON access and NaN (PostgreSQL stores it; SQLite stores NULL).
//
// The conditions keep the semantics documented on ParamCondition and MetricCondition
// (tracker/src/query.cc evaluates the same in memory): numbers compare numerically (a stored
// non-finite number, {"$numberDouble": ...}, as the double), ==/!= also compare strings,
// booleans and null, a missing path never matches, != matches any present value that is not
// equal (NaN included); a metric condition needs a series with points and a last value that
// is not NaN, except != which NaN satisfies.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "backend.h"
#include "vigil/tracker/errors.h"

namespace vigil::tracker::detail {

enum class SqlDialect { kSqlite, kPostgres };

/// A value bound to a placeholder. A list is a JSON array text for SQLite (json_each) and a
/// text[] for PostgreSQL (ANY).
using SqlValue = std::variant<std::int64_t, double, std::string, std::vector<std::string>>;

/// One statement's text and its values, in placeholder order (?1/$1 first).
struct SqlQuery {
  std::string sql;
  std::vector<SqlValue> values;
};

/// "SELECT r.id FROM runs r ... ORDER BY ... [LIMIT ...]": the ids of a page, in order.
/// Throws InvalidArgument for a filter the SQL cannot express: a param path with a key holding
/// a double quote on SQLite (its JSON paths cannot quote one), or a ParamCondition value that
/// is an object or an array (ParamCondition::parse never makes one).
SqlQuery select_runs_sql(const RunSelection& selection, SqlDialect dialect);

/// "SELECT count(*) FROM runs r WHERE ...". Throws like select_runs_sql.
SqlQuery count_runs_sql(const RunSelection& selection, SqlDialect dialect);

}  // namespace vigil::tracker::detail
