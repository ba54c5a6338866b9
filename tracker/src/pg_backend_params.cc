// The rows of run_params in a PostgreSQL store: see pg_param_rows.h.

#include "param_rows.h"
#include "pg_param_rows.h"

namespace vigil::tracker::detail {
namespace {

// Runs read at once by the backfill.
constexpr std::int64_t kBackfillBatch = 1000;

// The rows of many runs in one statement: each column travels as one binary array.
class ParamColumns {
 public:
  void add(const std::string& run_id, const nlohmann::json& params) {
    for (ParamRow& row : param_rows(params)) {
      run_id_.push_back(run_id);
      path_.push_back(std::move(row.path));
      type_.push_back(std::move(row.type));
      rank_.push_back(row.rank ? std::optional<std::int64_t>(static_cast<std::int64_t>(*row.rank))
                               : std::nullopt);
      num_.push_back(row.num);
      text_.push_back(std::move(row.text));
    }
  }

  void insert(PgConnection& c) const {
    if (run_id_.empty()) return;
    c.exec("storing params",
           // created_at copied from the run (the sort's tie order); only for stored runs.
           "INSERT INTO run_params(run_id, path, type, rank, num, text, created_at) "
           "SELECT u.*, r.created_at FROM unnest($1::text[], $2::text[], $3::text[], "
           "$4::int8[], $5::float8[], $6::text[]) AS u(run_id, path, type, rank, num, text) "
           "JOIN runs r ON r.id = u.run_id",
           PgParams()
               .add_array(run_id_)
               .add_array(path_)
               .add_array(type_)
               .add_array(rank_)
               .add_array(num_)
               .add_array(text_));
  }

 private:
  std::vector<std::string> run_id_, path_, type_;
  std::vector<std::optional<std::int64_t>> rank_;
  std::vector<std::optional<double>> num_;
  std::vector<std::optional<std::string>> text_;
};

}  // namespace

void insert_param_rows(PgConnection& c, const std::string& run_id, const nlohmann::json& params) {
  ParamColumns columns;
  columns.add(run_id, params);
  columns.insert(c);
}

void replace_param_rows(PgConnection& c, const std::string& run_id,
                        const std::string& params_json) {
  c.exec("storing params", "DELETE FROM run_params WHERE run_id = $1", PgParams().add(run_id));
  insert_param_rows(c, run_id, nlohmann::json::parse(params_json));
}

void backfill_param_rows(PgConnection& c) {
  std::string after;  // ids sort bytewise (COLLATE "C"): "" is before every id
  for (;;) {
    PgResult runs = c.exec("filling run_params",
                           "SELECT id, params FROM runs WHERE id > $1 ORDER BY id LIMIT $2",
                           PgParams().add(after).add(kBackfillBatch));
    if (runs.rows() == 0) return;
    ParamColumns columns;
    for (int i = 0; i < runs.rows(); ++i) {
      // A params column that is not JSON (written by hand) gets no rows rather than blocking
      // the upgrade of the whole store.
      columns.add(runs.text(i, 0), nlohmann::json::parse(runs.bytes(i, 1), nullptr, false));
    }
    columns.insert(c);
    after = runs.text(runs.rows() - 1, 0);
  }
}

}  // namespace vigil::tracker::detail
