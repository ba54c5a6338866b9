#pragma once

// Backend::select_runs and count_runs for both backends: a RunFilter becomes a few SQL
// statements over `runs r`, with numbered placeholders and the values to bind to them, and
// the statements' plan is chosen here, not left to the database's guess. The dialects differ
// only in placeholders, list parameters and NaN (PostgreSQL stores it; SQLite stores NULL).
//
// Conditions on the run row (ids, experiment, time, name, status, verdict) are plain WHERE
// terms over its indexes. Conditions on rows of another table, one row per run (a tag, a
// metric's series summary, a param's value in run_params), are "sets": a selective set
// drives the statement (its run ids are read from its index first), any other set is probed
// run by run while the runs are scanned in the order asked for. Sorting by a value another
// row holds (score, a metric's last value, a param) reads that row's index in value order,
// then the runs without a value, newest first. Counting one set alone counts its rows.
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

/// Runs the statements of one selection for its backend, all in one read snapshot.
class SqlReader {
 public:
  virtual ~SqlReader() = default;
  /// The first column of every row, as text.
  virtual std::vector<std::string> ids(const SqlQuery& query) = 0;
  /// The first row's columns, as integers (a NULL as 0).
  virtual std::vector<std::int64_t> integers(const SqlQuery& query) = 0;
};

/// The ids of the selection's page, in its sort order. Throws InvalidArgument for a
/// ParamCondition value that is an object or an array (ParamCondition::parse never makes one).
std::vector<std::string> select_run_ids(const RunSelection& selection, SqlDialect dialect,
                                        SqlReader& reader);

/// How many runs the selection matches, ignoring its limit and offset. Throws like
/// select_run_ids.
std::size_t count_selected_runs(const RunSelection& selection, SqlDialect dialect,
                                SqlReader& reader);

}  // namespace vigil::tracker::detail
