#include "run_select_sql.h"

#include <algorithm>

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

// Splits a dotted path into its keys (ParamCondition::parse has refused empty segments).
std::vector<std::string> path_keys(const std::string& path) {
  std::vector<std::string> keys;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = path.find('.', start);
    keys.push_back(path.substr(start, dot - start));
    if (dot == std::string::npos) return keys;
    start = dot + 1;
  }
}

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
  SqlQuery& query() { return query_; }

 private:
  SqlDialect dialect_;
  SqlQuery query_;
};

// The JSON value at a param path, as SQL expressions over one row of `runs r`: its type
// (NULL when missing), its number (stored non-finite objects decoded; NaN is NULL), its text
// (strings, and the stored JSON of objects and arrays for sorting) and its boolean.
struct JsonAccess {
  std::string type;      ///< SQLite json_type names; PostgreSQL's mapped to them below
  std::string number;    ///< a number, or NULL
  std::string text;      ///< a string's value, or NULL
  std::string compound;  ///< stored JSON text of an object or array, or NULL
};

JsonAccess sqlite_json(Builder& b, const std::string& path) {
  std::string json_path = "$";
  for (const std::string& key : path_keys(path)) {
    if (key.find('"') != std::string::npos) {
      throw InvalidArgument("param path '" + path +
                            "': a key with a double quote cannot be queried in an SQLite store");
    }
    json_path += ".\"" + key + "\"";
  }
  const std::string p = b.bind(json_path);
  JsonAccess a;
  a.type = "json_type(r.params, " + p + ")";
  const std::string value = "json_extract(r.params, " + p + ")";
  a.number =
      "(CASE WHEN " + a.type + " IN ('integer', 'real') THEN " + value + " WHEN " + a.type +
      " = 'object' THEN (CASE json_extract(r.params, " + p +
      " || '.\"$numberDouble\"') WHEN 'Infinity' THEN 9e999 WHEN '-Infinity' THEN -9e999 END) END)";
  a.text = "(CASE WHEN " + a.type + " = 'text' THEN " + value + " END)";
  a.compound = "(CASE WHEN " + a.type + " IN ('object', 'array') THEN " + value + " END)";
  return a;
}

// `j` is a column holding the jsonb value (see param_source).
JsonAccess postgres_json(const std::string& j) {
  JsonAccess a;
  a.type = "(CASE jsonb_typeof(" + j + ") WHEN 'number' THEN 'real' WHEN 'string' THEN 'text' " +
           "WHEN 'boolean' THEN (CASE WHEN " + j +
           " = 'true'::jsonb THEN 'true' ELSE 'false' END) " + "ELSE jsonb_typeof(" + j + ") END)";
  a.number = "(CASE jsonb_typeof(" + j + ") WHEN 'number' THEN (" + j + ")::float8 WHEN 'object' " +
             "THEN (CASE " + j + "->>'$numberDouble' WHEN 'Infinity' THEN 'Infinity'::float8 " +
             "WHEN '-Infinity' THEN '-Infinity'::float8 END) END)";
  a.text =
      "(CASE WHEN jsonb_typeof(" + j + ") = 'string' THEN (" + j + " #>> '{}') COLLATE \"C\" END)";
  a.compound = "(CASE WHEN jsonb_typeof(" + j + ") IN ('object', 'array') THEN (" + j +
               ")::text COLLATE \"C\" END)";
  return a;
}

// The jsonb value at `path` as a one-row subquery (OFFSET 0: evaluated once, not inlined).
std::string param_source(Builder& b, const std::string& path, const std::string& alias) {
  return "(SELECT r.params::jsonb #> " + b.bind(path_keys(path)) + " AS j OFFSET 0) " + alias;
}

// "present and not equal": NULL (no number, no text) counts as not equal.
std::string not_equal(const JsonAccess& a, const std::string& value, const std::string& bound) {
  return "(" + a.type + " IS NOT NULL AND NOT COALESCE(" + value + " = " + bound + ", FALSE))";
}

std::string param_test(Builder& b, const JsonAccess& a, const ParamCondition& c) {
  const bool ne = c.op == CompareOp::kNotEqual;
  const bool eq = c.op == CompareOp::kEqual;
  if (c.value.is_number()) {
    const std::string x = b.bind(c.value.get<double>());
    return ne ? not_equal(a, a.number, x) : "(" + a.number + sql_operator(c.op) + x + ")";
  }
  if (c.value.is_string()) {
    const std::string x = b.bind(c.value.get<std::string>());
    return ne ? not_equal(a, a.text, x) : "(" + a.text + sql_operator(c.op) + x + ")";
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
  if (eq) return "(" + a.type + " = " + type + ")";
  if (ne) return "(" + a.type + " IS NOT NULL AND " + a.type + " <> " + type + ")";
  return "FALSE";  // ordering booleans or null: never a match
}

std::string param_condition(Builder& b, const ParamCondition& c) {
  if (!b.postgres()) return param_test(b, sqlite_json(b, c.path), c);
  const std::string source = param_source(b, c.path, "p");
  return "EXISTS (SELECT 1 FROM " + source + " WHERE " + param_test(b, postgres_json("p.j"), c) +
         ")";
}

// The last value of a series with points, NaN as NULL (SQLite already stores NULL).
std::string metric_last(const Builder& b, const std::string& alias) {
  return b.postgres() ? "NULLIF(" + alias + ".last, 'NaN'::float8)" : alias + ".last";
}

std::string metric_condition(Builder& b, const MetricCondition& c) {
  const std::string x = b.bind(c.value);
  const std::string last = metric_last(b, "s");
  // A series without points has a NaN (SQLite: NULL) last value, which no comparison but
  // != satisfies: only != needs the count. Otherwise series_by_key covers the subquery.
  const std::string test = c.op == CompareOp::kNotEqual
                               ? "s.count > 0 AND NOT COALESCE(" + last + " = " + x + ", FALSE)"
                               : last + sql_operator(c.op) + x;
  return "r.id IN (SELECT s.run_id FROM series s WHERE s.name = " + b.bind(c.series.name) +
         " AND s.context = " + b.bind(canonical_context(c.series.context)) + " AND " + test + ")";
}

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

std::string where_clause(Builder& b, const RunSelection& selection) {
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
  for (const auto& tag : f.tags) {
    conditions.push_back("r.id IN (SELECT run_id FROM tags WHERE tag = " + b.bind(tag) + ")");
  }
  if (!f.statuses.empty()) conditions.push_back(status_condition(b, selection));
  if (f.verdict) conditions.push_back("r.verdict = " + b.bind(*f.verdict));
  for (const auto& condition : f.params) conditions.push_back(param_condition(b, condition));
  for (const auto& condition : f.metrics) conditions.push_back(metric_condition(b, condition));
  if (conditions.empty()) return {};
  std::string sql = " WHERE ";
  for (std::size_t i = 0; i < conditions.size(); ++i) {
    sql += (i ? " AND " : "") + conditions[i];
  }
  return sql;
}

// ORDER BY keys for a param sort: rank (numbers and booleans, strings, other JSON; NULL when
// missing), then the number, then the text.
std::vector<std::string> param_sort_keys(const JsonAccess& a) {
  return {"(CASE WHEN " + a.number + " IS NOT NULL OR " + a.type +
              " IN ('true', 'false') THEN 0 WHEN " + a.type + " = 'text' THEN 1 WHEN " + a.type +
              " IN ('object', 'array') THEN 2 END)",
          "(CASE " + a.type + " WHEN 'true' THEN 1 WHEN 'false' THEN 0 ELSE " + a.number + " END)",
          "COALESCE(" + a.text + ", " + a.compound + ")"};
}

// The sort keys of `sort` (each NULLS LAST); `from` gains what a param sort reads.
std::vector<std::string> sort_keys(Builder& b, const RunSort& sort, std::string& from) {
  switch (sort.key) {
    case RunSort::Key::kCreated:
      return {};
    case RunSort::Key::kName:
      return {"r.name"};
    case RunSort::Key::kScore:
      return {"r.score"};
    case RunSort::Key::kMetric:
      return {"(SELECT " + metric_last(b, "m") + " FROM series m WHERE m.run_id = r.id AND " +
              "m.name = " + b.bind(sort.metric.name) + " AND m.context = " +
              b.bind(canonical_context(sort.metric.context)) + " AND m.count > 0)"};
    case RunSort::Key::kParam:
      if (!b.postgres()) return param_sort_keys(sqlite_json(b, sort.param));
      from += " CROSS JOIN LATERAL " + param_source(b, sort.param, "ps");
      return param_sort_keys(postgres_json("ps.j"));
  }
  return {};
}

std::string order_clause(const RunSort& sort, const std::vector<std::string>& keys) {
  const std::string direction = sort.descending ? " DESC" : " ASC";
  std::string sql = " ORDER BY ";
  for (const std::string& key : keys) sql += key + direction + " NULLS LAST, ";
  // Ties (and the default order): newest first; created_at's own direction when it is the key.
  const std::string tie = sort.key == RunSort::Key::kCreated ? direction : " DESC";
  return sql + "r.created_at" + tie + ", r.id" + tie;
}

}  // namespace

SqlQuery select_runs_sql(const RunSelection& selection, SqlDialect dialect) {
  Builder b(dialect);
  const RunFilter& f = selection.filter;
  std::string from = "FROM runs r";
  // Sort keys first: their placeholders come before the WHERE clause's in the text too.
  const std::vector<std::string> keys = sort_keys(b, f.sort, from);
  std::string order = order_clause(f.sort, keys);
  std::string sql = "SELECT r.id " + from;
  // The WHERE clause binds after the sort keys; placeholders are numbered, so the order of
  // binding and the order in the text need not agree.
  sql += where_clause(b, selection) + order;
  if (f.limit != 0 || f.offset != 0) {
    sql += " LIMIT " + (f.limit != 0 ? b.bind(static_cast<std::int64_t>(f.limit))
                                     : std::string(b.postgres() ? "ALL" : "-1"));
    if (f.offset != 0) sql += " OFFSET " + b.bind(static_cast<std::int64_t>(f.offset));
  }
  b.query().sql = std::move(sql);
  return std::move(b.query());
}

SqlQuery count_runs_sql(const RunSelection& selection, SqlDialect dialect) {
  Builder b(dialect);
  b.query().sql = "SELECT count(*) FROM runs r" + where_clause(b, selection);
  return std::move(b.query());
}

}  // namespace vigil::tracker::detail
