#include "sqlite_util.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <thread>

#include "log.h"

namespace vigil::tracker::detail {

namespace {

// SQLite reports ENOSPC as SQLITE_FULL, but EFBIG (file size limit) and EDQUOT (quota) only
// as I/O errors. The cause is the errno of the failed write: `call_errno`, taken right after
// the failed call (sqlite3_system_errno often reads 0 by then), else SQLite's record of it.
int out_of_room_errno(sqlite3* db, int rc, int call_errno) {
  if ((rc & 0xff) == SQLITE_FULL) return ENOSPC;
  if (!db || (rc & 0xff) != SQLITE_IOERR) return 0;
  for (int e : {call_errno, sqlite3_system_errno(db)}) {
    if (e == ENOSPC || e == EFBIG || e == EDQUOT) return e;
  }
  return 0;
}

// `message`, plus the system's reason when a generic I/O error hides a lack of room.
SqliteError make_error(sqlite3* db, int rc, std::string message, int call_errno) {
  const int full_errno = out_of_room_errno(db, rc, call_errno);
  if (full_errno != 0 && (rc & 0xff) != SQLITE_FULL) {
    message += " (";
    message += std::strerror(full_errno);
    message += ")";
  }
  return SqliteError(rc, message, full_errno != 0);
}

}  // namespace

void throw_sqlite(sqlite3* db, int rc, std::string_view what, int call_errno) {
  std::string message(what);
  message += ": ";
  message += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (db) {
    const char* file = sqlite3_db_filename(db, "main");
    if (file && *file) {
      message += " (";
      message += file;
      message += ")";
    }
  }
  throw make_error(db, rc, std::move(message), call_errno);
}

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  if (rc != SQLITE_OK) throw_sqlite(db, rc, "cannot prepare '" + std::string(sql) + "'");
  stmt_.reset(raw);
}

Statement& Statement::bind(int index, std::int64_t value) {
  int rc = sqlite3_bind_int64(stmt_.get(), index, value);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, "bind");
  return *this;
}

Statement& Statement::bind(int index, double value) {
  int rc = value != value ? sqlite3_bind_null(stmt_.get(), index)
                          : sqlite3_bind_double(stmt_.get(), index, value);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, "bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  int rc = sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, "bind");
  return *this;
}

Statement& Statement::bind_blob(int index, const void* data, std::size_t size) {
  int rc = sqlite3_bind_blob64(stmt_.get(), index, data, size, SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, "bind");
  return *this;
}

Statement& Statement::bind_null(int index) {
  int rc = sqlite3_bind_null(stmt_.get(), index);
  if (rc != SQLITE_OK) throw_sqlite(db_, rc, "bind");
  return *this;
}

bool Statement::step() {
  errno = 0;
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const int call_errno = errno;
  std::string sql = sqlite3_sql(stmt_.get()) ? sqlite3_sql(stmt_.get()) : "";
  sqlite3_reset(stmt_.get());
  throw_sqlite(db_, rc, "query '" + sql.substr(0, 60) + "' failed", call_errno);
}

void Statement::reset() noexcept {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

int Statement::column_count() const { return sqlite3_column_count(stmt_.get()); }

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

std::int64_t Statement::column_int64(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

double Statement::column_double(int column) const {
  if (is_null(column)) return std::numeric_limits<double>::quiet_NaN();
  return sqlite3_column_double(stmt_.get(), column);
}

std::string Statement::column_text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_.get(), column);
  if (!text) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), column)));
}

std::string_view Statement::column_blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_.get(), column);
  if (!data) return {};
  return std::string_view(static_cast<const char*>(data),
                          static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), column)));
}

Connection::Connection(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  db_.reset(raw);
  if (rc != SQLITE_OK) {
    std::string message = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    db_.reset();
    throw StoreError("cannot open store file " + path + ": " + message);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 5000);
}

void Connection::exec(const char* sql) {
  char* error = nullptr;
  errno = 0;
  int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    const int call_errno = errno;
    std::string message = error ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    std::string statement(sql);
    throw make_error(db_.get(), rc, "'" + statement.substr(0, 60) + "' failed: " + message,
                     call_errno);
  }
}

Statement& Connection::cached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    it = cache_.emplace(sql, std::make_unique<Statement>(db_.get(), sql)).first;
  } else {
    it->second->reset();
  }
  return *it->second;
}

Transaction::Transaction(Connection& connection, int max_wait_ms) : connection_(connection) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(max_wait_ms);
  int attempt = 0;
  for (;;) {
    try {
      connection_.exec("BEGIN IMMEDIATE");
      open_ = true;
      return;
    } catch (const SqliteError& e) {
      if (!e.is_busy() || std::chrono::steady_clock::now() >= deadline) throw;
      if (++attempt % 10 == 1) {
        logger()->debug("store busy, retrying BEGIN IMMEDIATE (attempt {})", attempt);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5 + (attempt % 20)));
    }
  }
}

Transaction::~Transaction() noexcept {
  // A failed COMMIT (I/O error, full disk) may have rolled back already.
  if (!open_ || sqlite3_get_autocommit(connection_.get())) return;
  int rc = sqlite3_exec(connection_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) logger()->warn("rollback failed: {}", sqlite3_errstr(rc));
}

void Transaction::commit() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    try {
      connection_.exec("COMMIT");
      open_ = false;
      return;
    } catch (const SqliteError& e) {
      if (!e.is_busy() || std::chrono::steady_clock::now() >= deadline) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

}  // namespace vigil::tracker::detail
