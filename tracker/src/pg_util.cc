#include "pg_util.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "backend.h"
#include "log.h"

namespace vigil::tracker::detail {
namespace {

void put_be32(std::string& out, std::uint32_t v) {
  const char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                         static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(bytes, 4);
}

void put_be64(std::string& out, std::uint64_t v) {
  put_be32(out, static_cast<std::uint32_t>(v >> 32));
  put_be32(out, static_cast<std::uint32_t>(v));
}

std::uint64_t get_be64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string be64_of(std::uint64_t v) {
  std::string out;
  put_be64(out, v);
  return out;
}

std::uint64_t bits_of(double value) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

// The binary array header (one dimension) of `count` elements of type `elem_oid`.
std::string array_header(unsigned elem_oid, std::size_t count, bool has_nulls = false) {
  std::string out;
  put_be32(out, count == 0 ? 0 : 1);  // dimensions (an empty array has none)
  put_be32(out, has_nulls ? 1 : 0);
  put_be32(out, elem_oid);
  if (count > 0) {
    put_be32(out, static_cast<std::uint32_t>(count));
    put_be32(out, 1);  // lower bound
  }
  return out;
}

// A binary array of nullable elements: `put` appends an element's bytes (after its length).
template <typename T, typename Put>
std::string nullable_array(unsigned elem_oid, const std::vector<std::optional<T>>& values,
                           Put&& put) {
  bool has_nulls = false;
  for (const auto& v : values) has_nulls = has_nulls || !v;
  std::string out = array_header(elem_oid, values.size(), has_nulls);
  std::string element;
  for (const auto& v : values) {
    if (!v) {
      put_be32(out, 0xFFFFFFFFu);  // length -1: NULL
      continue;
    }
    element.clear();
    put(element, *v);
    put_be32(out, static_cast<std::uint32_t>(element.size()));
    out += element;
  }
  return out;
}

// Messages of a lost connection: libpq reports them without SQLSTATE, the server with class
// 08 (connection exception) or 57P01..57P03 (shutdown, crash, starting up).
bool is_connection_state(std::string_view sqlstate) {
  return sqlstate.substr(0, 2) == "08" || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

std::string one_line(std::string message) {
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  for (char& c : message) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return message;
}

// A port list as libpq takes it: comma-separated numbers 1..65535 (empty parts: default).
bool valid_ports(std::string_view ports) {
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = std::min(ports.find(',', start), ports.size());
    const std::string_view part = ports.substr(start, end - start);
    if (!part.empty()) {
      if (part.size() > 5) return false;
      int value = 0;
      for (char c : part) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + (c - '0');
      }
      if (value < 1 || value > 65535) return false;
    }
    if (end == ports.size()) return true;
    start = end + 1;
  }
}

}  // namespace

PgParams& PgParams::push(unsigned oid, std::string bytes, bool null) {
  types_.push_back(oid);
  lengths_.push_back(static_cast<int>(bytes.size()));
  formats_.push_back(1);
  null_.push_back(null);
  data_.push_back(std::move(bytes));
  return *this;
}

PgParams& PgParams::add(std::int64_t value) {
  return push(kInt8Oid, be64_of(static_cast<std::uint64_t>(value)));
}
PgParams& PgParams::add(double value) { return push(kFloat8Oid, be64_of(bits_of(value))); }
PgParams& PgParams::add(bool value) { return push(kBoolOid, std::string(1, value ? 1 : 0)); }
PgParams& PgParams::add(std::string_view text) { return push(kTextOid, std::string(text)); }
PgParams& PgParams::add_bytes(std::string_view bytes) {
  return push(kByteaOid, std::string(bytes));
}
PgParams& PgParams::add_null(unsigned oid) { return push(oid, std::string(), true); }

PgParams& PgParams::add_array(const std::vector<std::int64_t>& values) {
  std::string out = array_header(kInt8Oid, values.size());
  out.reserve(out.size() + values.size() * 12);
  for (std::int64_t v : values) {
    put_be32(out, 8);
    put_be64(out, static_cast<std::uint64_t>(v));
  }
  return push(kInt8ArrayOid, std::move(out));
}

PgParams& PgParams::add_array(const std::vector<double>& values) {
  std::string out = array_header(kFloat8Oid, values.size());
  out.reserve(out.size() + values.size() * 12);
  for (double v : values) {
    put_be32(out, 8);
    put_be64(out, bits_of(v));
  }
  return push(kFloat8ArrayOid, std::move(out));
}

PgParams& PgParams::add_array(const std::vector<std::optional<std::int64_t>>& values) {
  return push(kInt8ArrayOid, nullable_array(kInt8Oid, values, [](std::string& out, std::int64_t v) {
                put_be64(out, static_cast<std::uint64_t>(v));
              }));
}

PgParams& PgParams::add_array(const std::vector<std::optional<double>>& values) {
  return push(kFloat8ArrayOid, nullable_array(kFloat8Oid, values, [](std::string& out, double v) {
                put_be64(out, bits_of(v));
              }));
}

PgParams& PgParams::add_array(const std::vector<std::optional<std::string>>& texts) {
  return push(
      kTextArrayOid,
      nullable_array(kTextOid, texts, [](std::string& out, const std::string& t) { out += t; }));
}

PgParams& PgParams::add_array(const std::vector<std::string>& texts) {
  std::string out = array_header(kTextOid, texts.size());
  for (const std::string& t : texts) {
    put_be32(out, static_cast<std::uint32_t>(t.size()));
    out += t;
  }
  return push(kTextArrayOid, std::move(out));
}

PgParams& PgParams::add_bytes_array(const std::vector<std::string_view>& values) {
  std::size_t total = 0;
  for (std::string_view v : values) total += v.size() + 4;
  std::string out = array_header(kByteaOid, values.size());
  out.reserve(out.size() + total);
  for (std::string_view v : values) {
    put_be32(out, static_cast<std::uint32_t>(v.size()));
    out.append(v.data(), v.size());
  }
  return push(kByteaArrayOid, std::move(out));
}

std::vector<const char*> PgParams::values() const {
  std::vector<const char*> out(data_.size());
  for (std::size_t i = 0; i < data_.size(); ++i) out[i] = null_[i] ? nullptr : data_[i].data();
  return out;
}

const char* PgResult::value(int row, int column, unsigned oid, int size) const {
  PGresult* r = result_.get();
  if (PQftype(r, column) != oid || (size >= 0 && PQgetlength(r, row, column) != size)) {
    throw Error(std::string("PostgreSQL result column ") + PQfname(r, column) + " has type oid " +
                std::to_string(PQftype(r, column)) + ", expected " + std::to_string(oid));
  }
  return PQgetvalue(r, row, column);
}

std::int64_t PgResult::int64(int row, int column) const {
  return static_cast<std::int64_t>(get_be64(value(row, column, kInt8Oid, 8)));
}

double PgResult::float8(int row, int column) const {
  if (is_null(row, column)) return std::numeric_limits<double>::quiet_NaN();
  std::uint64_t bits = get_be64(value(row, column, kFloat8Oid, 8));
  double v = 0.0;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

bool PgResult::boolean(int row, int column) const { return *value(row, column, kBoolOid, 1) != 0; }

std::string_view PgResult::bytes(int row, int column) const {
  const unsigned type = PQftype(result_.get(), column);
  const char* p = value(row, column, type == kByteaOid ? kByteaOid : kTextOid, -1);
  return {p, static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}

std::int64_t PgResult::affected() const {
  const char* n = PQcmdTuples(result_.get());
  return n && *n ? std::stoll(n) : 0;
}

PgConnection::PgConnection(const std::string& uri, const std::string& display)
    : conn_(PQconnectdb(uri.c_str())) {
  if (!conn_) throw PgError("cannot connect to " + display + ": out of memory", "", true);
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    throw PgError("cannot connect to " + display + ": " + one_line(PQerrorMessage(conn_.get())), "",
                  true);
  }
  // Server notices (e.g. "relation already exists, skipping") are not for the user's terminal.
  PQsetNoticeProcessor(
      conn_.get(), [](void*, const char* message) { logger()->debug("postgresql: {}", message); },
      nullptr);
}

void PgConnection::fail(std::string_view what, PGresult* result) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : "";
  std::string message =
      one_line(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_.get()));
  if (message.empty()) message = one_line(PQerrorMessage(conn_.get()));
  if (result) PQclear(result);
  const bool lost = PQstatus(conn_.get()) != CONNECTION_OK || is_connection_state(sqlstate);
  throw PgError(std::string(what) + ": " + message, std::move(sqlstate), lost);
}

PgResult PgConnection::exec(std::string_view what, const std::string& sql, const PgParams& params) {
  std::vector<const char*> values = params.values();
  PGresult* result =
      PQexecParams(conn_.get(), sql.c_str(), params.size(), params.types(), values.data(),
                   params.lengths(), params.formats(), /*resultFormat=*/1);
  const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(what, result);
  return PgResult(result);
}

void PgConnection::exec_script(std::string_view what, const std::string& sql) {
  PGresult* result = PQexec(conn_.get(), sql.c_str());
  const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(what, result);
  PQclear(result);
}

PgTransaction::PgTransaction(PgConnection& conn, const char* begin) : conn_(conn) {
  conn_.exec_script("starting a transaction", begin);
}

PgTransaction::~PgTransaction() noexcept {
  if (done_ || !conn_.ok()) return;
  PGresult* result = PQexec(conn_.get(), "ROLLBACK");
  if (!result || PQresultStatus(result) != PGRES_COMMAND_OK) {
    logger()->warn("postgresql: rollback failed: {}", one_line(PQerrorMessage(conn_.get())));
  }
  PQclear(result);
}

void PgTransaction::commit() {
  done_ = true;  // a failed COMMIT leaves nothing to roll back
  conn_.exec_script("committing", "COMMIT");
}

PgPipeline::PgPipeline(PgConnection& conn) : conn_(conn) {
  if (PQenterPipelineMode(conn_.get()) != 1) conn_.fail("starting a pipeline", nullptr);
}

PgPipeline::~PgPipeline() noexcept {
  if (done_ || !conn_.ok()) return;  // a lost connection is replaced before its next use
  if (drain()) {
    if (PQtransactionStatus(conn_.get()) == PQTRANS_IDLE) return;
    PGresult* result = PQexec(conn_.get(), "ROLLBACK");
    const bool rolled_back = result && PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
    if (rolled_back) return;
  }
  // A connection lost meanwhile stays as it is (the backend reconnects and retries); one that
  // is still up but in an unknown state is closed.
  if (!conn_.ok()) return;
  logger()->warn("postgresql: cannot end a pipeline ({}): closing the connection",
                 one_line(PQerrorMessage(conn_.get())));
  conn_.close();
}

// Reads the results left up to the end of the batch and leaves pipeline mode.
bool PgPipeline::drain() noexcept {
  PGconn* c = conn_.get();
  if (!synced_ && PQpipelineSync(c) != 1) return false;
  // Each statement's results end with a null; two nulls in a row: nothing more will come.
  for (int nulls = 0; nulls < 2;) {
    PGresult* result = PQgetResult(c);
    if (!result) {
      if (PQstatus(c) != CONNECTION_OK) return false;
      ++nulls;
      continue;
    }
    nulls = 0;
    const bool end = PQresultStatus(result) == PGRES_PIPELINE_SYNC;
    PQclear(result);
    if (end) return PQexitPipelineMode(c) == 1;
  }
  return false;
}

void PgPipeline::send(std::string_view what, const std::string& sql, const PgParams& params) {
  std::vector<const char*> values = params.values();
  if (PQsendQueryParams(conn_.get(), sql.c_str(), params.size(), params.types(), values.data(),
                        params.lengths(), params.formats(), /*resultFormat=*/1) != 1) {
    conn_.fail(what, nullptr);
  }
}

void PgPipeline::sync(std::string_view what) {
  if (PQpipelineSync(conn_.get()) != 1) conn_.fail(what, nullptr);
  synced_ = true;
  if (PQflush(conn_.get()) != 0) conn_.fail(what, nullptr);
}

PgResult PgPipeline::next(std::string_view what) {
  PGresult* result = PQgetResult(conn_.get());
  const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) conn_.fail(what, result);
  PgResult out(result);
  if (PGresult* extra = PQgetResult(conn_.get())) {  // one statement, one result: a bug
    PQclear(extra);
    throw Error(std::string(what) + ": a pipelined statement returned several results");
  }
  return out;
}

void PgPipeline::finish(std::string_view what) {
  PGresult* result = PQgetResult(conn_.get());
  const bool end = result && PQresultStatus(result) == PGRES_PIPELINE_SYNC;
  PQclear(result);
  if (!end) throw Error(std::string(what) + ": a pipeline returned more results than expected");
  if (PQexitPipelineMode(conn_.get()) != 1) conn_.fail(what, nullptr);
  done_ = true;
}

void check_pg_uri(const std::string& uri) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(uri.c_str(), &error);
  std::string reason;
  if (options) {
    // libpq checks the port only when connecting: check it now, like the URI's form.
    for (const PQconninfoOption* o = options; o->keyword; ++o) {
      if (std::string_view(o->keyword) == "port" && o->val && !valid_ports(o->val)) {
        reason = "invalid port \"" + std::string(o->val) + "\"";
      }
    }
    PQconninfoFree(options);
    if (reason.empty()) return;
  } else {
    reason = error ? one_line(error) : "out of memory";
    PQfreemem(error);
  }
  // Some libpq messages quote the whole URI: never its password.
  for (std::size_t at = reason.find(uri); at != std::string::npos; at = reason.find(uri, at + 1)) {
    reason.replace(at, uri.size(), redact_uri(uri));
  }
  throw InvalidArgument("invalid store URI '" + redact_uri(uri) + "': " + reason +
                        " (expected postgresql://[USER[:PASSWORD]@][HOST][:PORT]/DBNAME[?PARAMS])");
}

}  // namespace vigil::tracker::detail
