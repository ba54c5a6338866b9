#include "run_select_sql.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "param_rows.h"

namespace vigil::tracker::detail {
namespace {

const char* sql_operator(CompareOp op) {
  switch (op) {
    case CompareOp::kLess:
      return " < ";
    case CompareOp::kLessEqual:
      return " <= ";
    case CompareOp::kGreater:
      return " > ";
    case CompareOp::kGreaterEqual:
      return " >= ";
    case CompareOp::kEqual:
      return " = ";
    case CompareOp::kNotEqual:
      return " <> ";
  }
  return " = ";
}

// A param path as run_params stores it: the JSON array of its keys (ParamCondition::parse
// has refused empty segments).
std::string param_path(const std::string& path) {
  std::vector<std::string> keys;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = path.find('.', start);
    keys.push_back(path.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  std::string text;
  try {
    text = encode_param_path(keys);
  } catch (const nlohmann::json::exception&) {
    throw InvalidArgument(
        "param path '" +
        nlohmann::json(keys).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
        "' is not valid UTF-8: expected UTF-8 keys");
  }
  if (text.size() > kMaxParamPathBytes) {
    throw InvalidArgument("param path '" + path.substr(0, 64) +
                          "...' is too long: expected at most " +
                          std::to_string(kMaxParamPathBytes) + " bytes as a JSON array of keys");
  }
  return text;
}

// Longest string a param condition compares with. run_params keeps at least
// kMaxParamTextBytes - 3 bytes of a longer stored string (cut at a UTF-8 boundary), so a
// shorter value compares with the stored prefix exactly as with the whole string.
constexpr std::size_t kMaxParamConditionText = 1000;
static_assert(kMaxParamConditionText + 3 < kMaxParamTextBytes, "comparisons stay exact");

// One statement under construction: the text's placeholders and their values.
class Builder {
 public:
  explicit Builder(SqlDialect dialect) : dialect_(dialect) {}

  bool postgres() const { return dialect_ == SqlDialect::kPostgres; }

  // A placeholder for `value`.
  std::string bind(SqlValue value) {
    query_.values.push_back(std::move(value));
    return (postgres() ? "$" : "?") + std::to_string(query_.values.size());
  }
  // "column IN list" for a list of texts.
  std::string in_list(const std::string& column, const std::vector<std::string>& values) {
    const std::string list = bind(values);
    return postgres() ? column + " = ANY(" + list + ")"
                      : column + " IN (SELECT value FROM json_each(" + list + "))";
  }
  // " LIMIT ... OFFSET ...", or nothing for every row.
  std::string page(std::size_t limit, std::size_t offset) {
    if (limit == 0 && offset == 0) return {};
    std::string sql = " LIMIT " + (limit != 0 ? bind(static_cast<std::int64_t>(limit))
                                              : std::string(postgres() ? "ALL" : "-1"));
    if (offset != 0) sql += " OFFSET " + bind(static_cast<std::int64_t>(offset));
    return sql;
  }
  SqlQuery take(std::string sql) {
    query_.sql = std::move(sql);
    return std::move(query_);
  }

 private:
  SqlDialect dialect_;
  SqlQuery query_;
};

// ---- sets: conditions on another table's rows, at most one row per run ----

// `table` aliased c; `where` over c's columns.
struct SetCondition {
  const char* table;
  std::string where;
};

std::string in_set(const SetCondition& s) {
  return std::string("r.id IN (SELECT c.run_id FROM ") + s.table + " c WHERE " + s.where + ")";
}

std::string exists_set(const SetCondition& s) {
  return std::string("EXISTS (SELECT 1 FROM ") + s.table + " c WHERE c.run_id = r.id AND " +
         s.where + ")";
}

// run_params rows (schema.cc): rank 0 holds numbers and booleans, rank 1 strings. The
// redundant terms let the database range over run_params_by_value.
const std::string kParamIsNumber = "c.rank = 0 AND c.type NOT IN ('true', 'false')";
const std::string kParamIsString = "c.rank = 1 AND c.num IS NULL AND c.type = 'text'";

std::string param_test(Builder& b, const ParamCondition& c) {
  const bool ne = c.op == CompareOp::kNotEqual;
  if (c.value.is_number() || c.value.is_string()) {
    const bool number = c.value.is_number();
    if (!number && c.value.get_ref<const std::string&>().size() > kMaxParamConditionText) {
      throw InvalidArgument("param condition on '" + c.path +
                            "': the string is too long: " + "expected at most " +
                            std::to_string(kMaxParamConditionText) + " bytes");
    }
    const std::string x =
        number ? b.bind(c.value.get<double>()) : b.bind(c.value.get<std::string>());
    const std::string& kind = number ? kParamIsNumber : kParamIsString;
    const std::string column = number ? "c.num" : "c.text";
    // "present and not equal": any other type at the path counts as not equal.
    return ne ? "NOT COALESCE(" + kind + " AND " + column + " = " + x + ", FALSE)"
              : kind + " AND " + column + sql_operator(c.op) + x;
  }
  std::string type;
  if (c.value.is_boolean()) {
    type = c.value.get<bool>() ? "'true'" : "'false'";
  } else if (c.value.is_null()) {
    type = "'null'";
  } else {
    throw InvalidArgument("param condition on '" + c.path + "' compares with " +
                          std::string(c.value.type_name()) +
                          ": expected a number, string, boolean or null");
  }
  if (c.op == CompareOp::kEqual) return "c.type = " + type;
  if (ne) return "c.type <> " + type;
  return "FALSE";  // ordering booleans or null: never a match
}

SetCondition param_set(Builder& b, const ParamCondition& c) {
  return {"run_params", "c.path = " + b.bind(param_path(c.path)) + " AND " + param_test(b, c)};
}

SetCondition metric_set(Builder& b, const MetricCondition& c) {
  const std::string x = b.bind(c.value);
  std::string test;
  if (c.op == CompareOp::kNotEqual) {
    // A series without points has a NaN (SQLite: NULL) last value, which no comparison but
    // != satisfies: only != needs the count.
    const std::string last = b.postgres() ? "NULLIF(c.last, 'NaN'::float8)" : "c.last";
    test = "c.count > 0 AND NOT COALESCE(" + last + " = " + x + ", FALSE)";
  } else {
    // PostgreSQL sorts NaN above every number; SQLite stored it as NULL.
    test = "c.last" + std::string(sql_operator(c.op)) + x +
           (b.postgres() ? " AND c.last <> 'NaN'::float8" : "");
  }
  return {"series", "c.name = " + b.bind(c.series.name) + " AND c.context = " +
                        b.bind(canonical_context(c.series.context)) + " AND " + test};
}

// Tags, then metrics, then params: the order SelectPlan's choice refers to.
std::vector<SetCondition> set_conditions(Builder& b, const RunFilter& f) {
  std::vector<SetCondition> sets;
  for (const auto& tag : f.tags) sets.push_back({"tags", "c.tag = " + b.bind(tag)});
  for (const auto& condition : f.metrics) sets.push_back(metric_set(b, condition));
  for (const auto& condition : f.params) sets.push_back(param_set(b, condition));
  return sets;
}

std::size_t set_count(const RunFilter& f) {
  return f.tags.size() + f.metrics.size() + f.params.size();
}

// ---- conditions on the run row ----

// Runs stored `running` but found crashed count as crashed; so does a status text this
// build does not know (list_runs reads it as crashed).
std::string status_condition(Builder& b, const RunSelection& selection) {
  std::vector<std::string> wanted;
  for (RunStatus status : selection.filter.statuses) wanted.emplace_back(to_string(status));
  std::string sql = "(" + b.in_list("r.status", wanted);
  if (!selection.crashed_ids.empty()) {
    sql += " AND NOT " + b.in_list("r.id", selection.crashed_ids);
  }
  sql += ")";
  const auto& statuses = selection.filter.statuses;
  if (std::find(statuses.begin(), statuses.end(), RunStatus::kCrashed) != statuses.end()) {
    std::vector<std::string> known;
    for (RunStatus status : kRunStatuses) known.emplace_back(to_string(status));
    sql += " OR NOT " + b.in_list("r.status", known);
    if (!selection.crashed_ids.empty()) sql += " OR " + b.in_list("r.id", selection.crashed_ids);
  }
  return "(" + sql + ")";
}

std::vector<std::string> row_conditions(Builder& b, const RunSelection& selection) {
  const RunFilter& f = selection.filter;
  std::vector<std::string> conditions;
  if (!f.ids.empty()) conditions.push_back(b.in_list("r.id", f.ids));
  if (f.experiment) {
    conditions.push_back("r.experiment_id = (SELECT id FROM experiments WHERE name = " +
                         b.bind(*f.experiment) + ")");
  }
  if (f.created_since) conditions.push_back("r.created_at >= " + b.bind(*f.created_since));
  if (f.created_until) conditions.push_back("r.created_at <= " + b.bind(*f.created_until));
  if (f.name_contains) {
    // ASCII case folding, as the in-memory filter: SQLite's lower() and PostgreSQL's under
    // the "C" collation fold ASCII letters only.
    const std::string needle = b.bind(*f.name_contains);
    conditions.push_back(b.postgres() ? "strpos(lower(r.name), lower(" + needle +
                                            "::text COLLATE \"C\")) > 0"
                                      : "instr(lower(r.name), lower(" + needle + ")) > 0");
  }
  if (!f.statuses.empty()) conditions.push_back(status_condition(b, selection));
  if (f.verdict) conditions.push_back("r.verdict = " + b.bind(*f.verdict));
  return conditions;
}

bool has_row_conditions(const RunSelection& selection) {
  const RunFilter& f = selection.filter;
  return !f.ids.empty() || f.experiment || f.created_since || f.created_until || f.name_contains ||
         !f.statuses.empty() || f.verdict;
}

// ---- the plan ----

// Which set drives a statement (nullopt: the runs are scanned in the statement's order and
// every set probed run by run).
using Drive = std::optional<std::size_t>;

// " WHERE a AND b ..." over the run row and the sets (the driving one as an IN list), plus
// `extra` terms.
std::string where_clause(Builder& b, const RunSelection& selection, Drive drive,
                         const std::vector<std::string>& extra = {}) {
  std::vector<std::string> terms = row_conditions(b, selection);
  const std::vector<SetCondition> sets = set_conditions(b, selection.filter);
  for (std::size_t i = 0; i < sets.size(); ++i) {
    terms.push_back(drive == i ? in_set(sets[i]) : exists_set(sets[i]));
  }
  terms.insert(terms.end(), extra.begin(), extra.end());
  if (terms.empty()) return {};
  std::string sql = " WHERE ";
  for (std::size_t i = 0; i < terms.size(); ++i) sql += (i ? " AND " : "") + terms[i];
  return sql;
}

// Probing the runs in order visits about wanted * runs / size of them until `wanted` match;
// driving reads the set's `size` ids and sorts them. A set drives when size^2 <= wanted *
// runs (wanted 0: every match is wanted, and a set drives when it holds at most a tenth of
// the runs). SQLite only: PostgreSQL plans IN and EXISTS alike, from its own statistics.
Drive choose_drive(const RunSelection& selection, SqlDialect dialect, SqlReader& reader,
                   std::size_t wanted) {
  if (dialect != SqlDialect::kSqlite || set_count(selection.filter) == 0) return std::nullopt;
  // The largest rowid bounds the number of runs (deleted runs leave gaps): an estimate.
  const double runs =
      static_cast<double>(reader.integers({"SELECT max(rowid) FROM runs", {}}).at(0));
  const double threshold = wanted == 0 ? runs / 10 : std::sqrt(static_cast<double>(wanted) * runs);
  // Counting stops past the threshold: a large set costs no more than a small one.
  Builder b(dialect);
  const std::string cap = b.bind(static_cast<std::int64_t>(threshold) + 1);
  std::string sql = "SELECT ";
  const std::vector<SetCondition> sets = set_conditions(b, selection.filter);
  for (std::size_t i = 0; i < sets.size(); ++i) {
    sql += std::string(i ? ", " : "") + "(SELECT count(*) FROM (SELECT 1 FROM " + sets[i].table +
           " c WHERE " + sets[i].where + " LIMIT " + cap + ") x)";
  }
  const std::vector<std::int64_t> sizes = reader.integers(b.take(std::move(sql)));
  const auto smallest = std::min_element(sizes.begin(), sizes.end());
  if (static_cast<double>(*smallest) > threshold) return std::nullopt;
  return static_cast<std::size_t>(smallest - sizes.begin());
}

// ---- sorting ----

std::string direction(bool descending) { return descending ? " DESC" : " ASC"; }

// The columns ties are broken by (newest first): the run's, or the copies a value's row holds.
struct TieColumns {
  const char* created_at = "r.created_at";
  const char* id = "r.id";
};

const std::string kNewestFirst = " ORDER BY r.created_at DESC, r.id DESC";

// ORDER BY over `keys` (in the sort's direction), then newest first (created_at's own
// direction when it is the key).
std::string order_clause(const RunSort& sort, const std::vector<std::string>& keys,
                         bool nulls_last = false, TieColumns tie_columns = {}) {
  std::string sql = " ORDER BY ";
  for (const std::string& key : keys) {
    sql += key + direction(sort.descending) + (nulls_last ? " NULLS LAST" : "") + ", ";
  }
  const std::string tie = sort.key == RunSort::Key::kCreated ? direction(sort.descending) : " DESC";
  return sql + tie_columns.created_at + tie + ", " + tie_columns.id + tie;
}

// A sort by a value a run may lack (score, a metric's last value, a param): the table with
// the value (none: the run row), the condition of a row with a value over alias v, the keys,
// and the tie columns its index holds.
struct ValueSort {
  const char* table;
  std::string has_value;
  std::vector<std::string> keys;
  TieColumns ties;
};

std::optional<ValueSort> value_sort(Builder& b, const RunSort& sort) {
  switch (sort.key) {
    case RunSort::Key::kCreated:
    case RunSort::Key::kName:
      return std::nullopt;
    case RunSort::Key::kScore:
      return ValueSort{nullptr, "r.score IS NOT NULL", {"r.score"}, {}};
    case RunSort::Key::kMetric:
      return ValueSort{"series",
                       "v.name = " + b.bind(sort.metric.name) +
                           " AND v.context = " + b.bind(canonical_context(sort.metric.context)) +
                           " AND v.count > 0 AND v.last IS NOT NULL" +
                           (b.postgres() ? " AND v.last <> 'NaN'::float8" : ""),
                       {"v.last"},
                       {}};
    case RunSort::Key::kParam:
      // Numbers and booleans, then strings, then other JSON: run_params' rank, num, text;
      // ties by its copy of created_at, so run_params_by_value alone gives the order.
      return ValueSort{"run_params",
                       "v.path = " + b.bind(param_path(sort.param)) + " AND v.rank >= 0",
                       {"v.rank", "v.num", "v.text"},
                       {"v.created_at", "v.run_id"}};
  }
  return std::nullopt;
}

std::vector<std::string> plain_keys(const RunSort& sort) {
  if (sort.key == RunSort::Key::kName) return {"r.name"};
  return {};
}

// Created or name order, or a value sort driven by a set: one statement.
SqlQuery one_statement(const RunSelection& selection, SqlDialect dialect, Drive drive) {
  Builder b(dialect);
  const RunFilter& f = selection.filter;
  std::string from = "FROM runs r";
  std::vector<std::string> keys = plain_keys(f.sort);
  bool nulls_last = false;
  if (auto value = value_sort(b, f.sort)) {
    if (value->table != nullptr) {
      from += std::string(" LEFT JOIN ") + value->table + " v ON v.run_id = r.id AND " +
              value->has_value;
    }
    keys = value->keys;
    nulls_last = true;
  }
  std::string sql = "SELECT r.id " + from + where_clause(b, selection, drive);
  sql += order_clause(f.sort, keys, nulls_last) + b.page(f.limit, f.offset);
  return b.take(std::move(sql));
}

// The runs with a value, in value order: read from the value's index.
SqlQuery valued_runs(const RunSelection& selection, SqlDialect dialect, std::size_t limit,
                     std::size_t offset, bool count) {
  Builder b(dialect);
  const RunFilter& f = selection.filter;
  const ValueSort value = *value_sort(b, f.sort);
  std::string from = "FROM runs r";
  std::vector<std::string> extra = {value.has_value};
  if (value.table != nullptr) {
    // CROSS JOIN: SQLite keeps the value's table outer, read in its index order.
    from = std::string("FROM ") + value.table + " v CROSS JOIN runs r";
    extra.insert(extra.begin(), "r.id = v.run_id");
  }
  const std::string where = where_clause(b, selection, std::nullopt, extra);
  if (count) return b.take("SELECT count(*) " + from + where);
  return b.take("SELECT r.id " + from + where +
                order_clause(f.sort, value.keys, false, value.ties) + b.page(limit, offset));
}

// The runs without a value, newest first.
SqlQuery unvalued_runs(const RunSelection& selection, SqlDialect dialect, std::size_t limit,
                       std::size_t offset) {
  Builder b(dialect);
  const ValueSort value = *value_sort(b, selection.filter.sort);
  const std::string lacks = value.table == nullptr
                                ? std::string("r.score IS NULL")
                                : std::string("NOT EXISTS (SELECT 1 FROM ") + value.table +
                                      " v WHERE v.run_id = r.id AND " + value.has_value + ")";
  return b.take("SELECT r.id FROM runs r" + where_clause(b, selection, std::nullopt, {lacks}) +
                kNewestFirst + b.page(limit, offset));
}

// A value sort scanned in value order: the runs with a value, then (once those run out)
// the runs without one.
std::vector<std::string> two_part_select(const RunSelection& selection, SqlDialect dialect,
                                         SqlReader& reader) {
  const RunFilter& f = selection.filter;
  std::vector<std::string> ids =
      reader.ids(valued_runs(selection, dialect, f.limit, f.offset, false));
  if (f.limit != 0 && ids.size() == f.limit) return ids;
  // How many runs have a value: known from this page unless it began past them all.
  std::size_t valued = f.offset + ids.size();
  if (ids.empty() && f.offset != 0) {
    valued = static_cast<std::size_t>(
        reader.integers(valued_runs(selection, dialect, 0, 0, true)).at(0));
  }
  const std::size_t offset = f.offset > valued ? f.offset - valued : 0;
  const std::size_t limit = f.limit == 0 ? 0 : f.limit - ids.size();
  std::vector<std::string> rest = reader.ids(unvalued_runs(selection, dialect, limit, offset));
  ids.insert(ids.end(), rest.begin(), rest.end());
  return ids;
}

}  // namespace

std::vector<std::string> select_run_ids(const RunSelection& selection, SqlDialect dialect,
                                        SqlReader& reader) {
  const RunFilter& f = selection.filter;
  const std::size_t wanted = f.limit == 0 ? 0 : f.limit + f.offset;
  const Drive drive = choose_drive(selection, dialect, reader, wanted);
  const bool value = f.sort.key == RunSort::Key::kScore || f.sort.key == RunSort::Key::kMetric ||
                     f.sort.key == RunSort::Key::kParam;
  if (value && !drive) return two_part_select(selection, dialect, reader);
  return reader.ids(one_statement(selection, dialect, drive));
}

std::size_t count_selected_runs(const RunSelection& selection, SqlDialect dialect,
                                SqlReader& reader) {
  Builder b(dialect);
  if (set_count(selection.filter) == 1 && !has_row_conditions(selection)) {
    // One row per run, and only for stored runs (written with the run, deleted with it).
    const SetCondition set = set_conditions(b, selection.filter).front();
    return static_cast<std::size_t>(reader
                                        .integers(b.take(std::string("SELECT count(*) FROM ") +
                                                         set.table + " c WHERE " + set.where))
                                        .at(0));
  }
  const Drive drive = choose_drive(selection, dialect, reader, 0);
  return static_cast<std::size_t>(
      reader.integers(b.take("SELECT count(*) FROM runs r" + where_clause(b, selection, drive)))
          .at(0));
}

}  // namespace vigil::tracker::detail
