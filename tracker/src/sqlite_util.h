#pragma once

// RAII wrappers around the SQLite C API, used only by the SQLite backend.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "vigil/tracker/errors.h"

namespace vigil::tracker::detail {

/// An SQLite call failed; `code()` is the (extended) SQLite result code.
class SqliteError : public Error {
 public:
  SqliteError(int code, const std::string& message, bool full = false)
      : Error(message), code_(code), full_(full) {}
  int code() const noexcept { return code_; }
  /// True for SQLITE_BUSY / SQLITE_LOCKED: the operation may succeed when retried.
  bool is_busy() const noexcept {
    int primary = code_ & 0xff;
    return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
  }
  /// True when the write failed for lack of room: SQLITE_FULL, or an I/O error whose cause
  /// was ENOSPC, EDQUOT or EFBIG (file size limit).
  bool is_full() const noexcept { return full_; }

 private:
  int code_;
  bool full_;
};

/// Throws SqliteError with `what`, the SQLite message and the file name. `call_errno`: errno
/// right after the failed call (tells a full disk from other I/O errors), 0 if unknown.
[[noreturn]] void throw_sqlite(sqlite3* db, int rc, std::string_view what, int call_errno = 0);

/// A prepared statement. Move-only; must not outlive its connection. Not thread-safe.
class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, std::string_view sql);
  Statement(Statement&&) noexcept = default;
  Statement& operator=(Statement&&) noexcept = default;

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  /// NaN is bound as NULL (SQLite would do so anyway); +-Inf are stored as REAL.
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, const void* data, std::size_t size);
  Statement& bind_null(int index);

  /// Runs one step: true when a row is available, false when done. Throws SqliteError.
  bool step();
  /// Steps to completion (for statements without result rows).
  void run() {
    while (step()) {
    }
  }
  /// Resets the statement and clears its bindings, ready for reuse.
  void reset() noexcept;

  /// Columns of the result (0 for statements without results).
  int column_count() const;
  bool is_null(int column) const;
  std::int64_t column_int64(int column) const;
  /// NULL reads as NaN.
  double column_double(int column) const;
  std::string column_text(int column) const;
  std::string_view column_blob(int column) const;

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
  };
  sqlite3* db_ = nullptr;
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
};

/// One SQLite connection plus a cache of its prepared statements. Move-only; not thread-safe
/// (callers serialise access with their own mutex).
class Connection {
 public:
  Connection() = default;
  /// Opens `path` with sqlite3_open_v2 `flags`; throws StoreError naming the file on failure.
  Connection(const std::string& path, int flags);
  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;

  sqlite3* get() const noexcept { return db_.get(); }
  explicit operator bool() const noexcept { return db_ != nullptr; }

  /// Runs one or more statements without results.
  void exec(const char* sql);
  /// A cached prepared statement for `sql` (keyed by the text), reset and ready to bind.
  Statement& cached(const std::string& sql);
  void clear_cache() noexcept { cache_.clear(); }

 private:
  struct Closer {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
  };
  std::unique_ptr<sqlite3, Closer> db_;
  // Declared after db_: statements are finalized before the connection closes.
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

/// BEGIN IMMEDIATE ... COMMIT; rolls back on destruction unless committed. BEGIN is retried
/// while the database is busy (on top of the connection's busy_timeout) for up to
/// `max_wait_ms`, so another writer holding the lock never surfaces as "database is locked".
class Transaction {
 public:
  explicit Transaction(Connection& connection, int max_wait_ms = 120000);
  ~Transaction() noexcept;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Connection& connection_;
  bool open_ = false;
};

}  // namespace vigil::tracker::detail
