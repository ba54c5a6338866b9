#pragma once

// RAII wrappers around libpq, used only by the PostgreSQL backend. Every statement is sent
// with PQexecParams: values travel as binary parameters (never spliced into SQL text) and
// results come back in binary format (no text parsing of numbers, NaN kept exactly).

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/tracker/errors.h"

namespace vigil::tracker::detail {

// Type OIDs of the binary values we send and read (pg_type.dat; fixed since PostgreSQL 7).
inline constexpr unsigned kBoolOid = 16;
inline constexpr unsigned kByteaOid = 17;
inline constexpr unsigned kInt8Oid = 20;
inline constexpr unsigned kTextOid = 25;
inline constexpr unsigned kFloat8Oid = 701;
inline constexpr unsigned kTextArrayOid = 1009;
inline constexpr unsigned kByteaArrayOid = 1001;
inline constexpr unsigned kInt8ArrayOid = 1016;
inline constexpr unsigned kFloat8ArrayOid = 1022;

/// A libpq call failed. `sqlstate()` is the server's SQLSTATE ("" when the failure happened
/// on the client side, e.g. a lost connection).
class PgError : public Error {
 public:
  PgError(const std::string& message, std::string sqlstate, bool connection_lost)
      : Error(message), sqlstate_(std::move(sqlstate)), connection_lost_(connection_lost) {}
  const std::string& sqlstate() const noexcept { return sqlstate_; }
  /// The connection is gone (dropped, server restarted, terminated): reconnecting may help.
  bool connection_lost() const noexcept { return connection_lost_; }
  /// The server ran out of room (disk full, quota).
  bool is_full() const noexcept { return sqlstate_ == "53100"; }
  /// A conflict with a concurrent transaction (serialization failure, deadlock): retry.
  bool is_conflict() const noexcept { return sqlstate_ == "40001" || sqlstate_ == "40P01"; }

 private:
  std::string sqlstate_;
  bool connection_lost_;
};

/// Binary parameters of one statement, added in $1, $2, ... order. Each value is copied.
class PgParams {
 public:
  PgParams& add(std::int64_t value);
  PgParams& add(int value) { return add(static_cast<std::int64_t>(value)); }
  PgParams& add(double value);
  PgParams& add(bool value);
  PgParams& add(std::string_view text);
  PgParams& add(const std::string& text) { return add(std::string_view(text)); }
  PgParams& add(const char* text) { return add(std::string_view(text)); }
  PgParams& add_bytes(std::string_view bytes);
  PgParams& add_null(unsigned oid);
  /// One-dimensional arrays (for unnest() bulk statements and `= ANY($n)`).
  PgParams& add_array(const std::vector<std::int64_t>& values);
  PgParams& add_array(const std::vector<double>& values);
  PgParams& add_array(const std::vector<std::string>& texts);
  PgParams& add_bytes_array(const std::vector<std::string_view>& values);
  /// Arrays whose nullopt elements are NULL.
  PgParams& add_array(const std::vector<std::optional<std::int64_t>>& values);
  PgParams& add_array(const std::vector<std::optional<double>>& values);
  PgParams& add_array(const std::vector<std::optional<std::string>>& texts);

  int size() const { return static_cast<int>(types_.size()); }
  const unsigned* types() const { return types_.data(); }
  /// Pointers into the stored values: valid until the next add.
  std::vector<const char*> values() const;
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  PgParams& push(unsigned oid, std::string bytes, bool null = false);
  std::vector<unsigned> types_;
  std::vector<std::string> data_;
  std::vector<bool> null_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

/// A statement's result in binary format. Column getters check the column's type (a query
/// that returns another type than its reader expects is a bug, reported as Error).
class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result) {}
  int rows() const { return PQntuples(result_.get()); }
  int columns() const { return PQnfields(result_.get()); }
  bool is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  std::int64_t int64(int row, int column) const;
  /// NULL reads as NaN.
  double float8(int row, int column) const;
  bool boolean(int row, int column) const;
  /// text or bytea: the bytes, valid while the result lives.
  std::string_view bytes(int row, int column) const;
  std::string text(int row, int column) const { return std::string(bytes(row, column)); }
  /// Rows changed by an INSERT/UPDATE/DELETE.
  std::int64_t affected() const;

 private:
  const char* value(int row, int column, unsigned oid, int size) const;
  struct Clear {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
  };
  std::unique_ptr<PGresult, Clear> result_;
};

/// One libpq connection. Move-only; not thread-safe.
class PgConnection {
 public:
  PgConnection() = default;
  /// Connects with a libpq connection URI. Throws PgError (connection_lost) naming
  /// `display` (the URI without password).
  PgConnection(const std::string& uri, const std::string& display);

  bool ok() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }
  PGconn* get() const { return conn_.get(); }

  /// Runs one statement; throws PgError with `what` and the server's message.
  PgResult exec(std::string_view what, const std::string& sql, const PgParams& params = {});
  /// Runs statements without parameters (may hold several ';'-separated statements).
  void exec_script(std::string_view what, const std::string& sql);

 private:
  friend class PgPipeline;
  [[noreturn]] void fail(std::string_view what, PGresult* result);
  /// Closes the connection (ok() turns false: the backend reconnects before its next use).
  void close() noexcept { conn_.reset(); }
  struct Finish {
    void operator()(PGconn* c) const noexcept { PQfinish(c); }
  };
  std::unique_ptr<PGconn, Finish> conn_;
};

/// A transaction on `conn`: BEGIN now, ROLLBACK on destruction unless commit() ran. Move-only.
class PgTransaction {
 public:
  /// `begin`: the statement that starts it (e.g. with an isolation level).
  explicit PgTransaction(PgConnection& conn, const char* begin = "BEGIN");
  ~PgTransaction() noexcept;
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;
  void commit();

 private:
  PgConnection& conn_;
  bool done_ = false;
};

/// Statements sent at once in libpq's pipeline mode and read back in the order sent: one
/// round trip for all of them, and the server runs the later statements while the client
/// still reads the results of the earlier ones. Usage: send() each statement, sync(), then
/// next() once per statement, then finish(). Statements without an explicit transaction run
/// in one implicit transaction; after a failed statement the server skips the rest (next()
/// throws for each). Not movable; the connection must not be used otherwise meanwhile.
class PgPipeline {
 public:
  explicit PgPipeline(PgConnection& conn);
  /// Unless finish() ran: reads what is left, leaves pipeline mode and rolls back an open
  /// transaction; if that fails on a connection still up, closes it (the next use connects
  /// again).
  ~PgPipeline() noexcept;
  PgPipeline(const PgPipeline&) = delete;
  PgPipeline& operator=(const PgPipeline&) = delete;

  /// Queues one statement (binary parameters and results, as PgConnection::exec).
  void send(std::string_view what, const std::string& sql, const PgParams& params = {});
  /// Ends the batch and sends it.
  void sync(std::string_view what);
  /// The result of the next statement sent; throws PgError as PgConnection::exec.
  PgResult next(std::string_view what);
  /// Reads the end of the batch and leaves pipeline mode.
  void finish(std::string_view what);

 private:
  bool drain() noexcept;
  PgConnection& conn_;
  bool synced_ = false;
  bool done_ = false;
};

/// Checks that libpq can parse `uri` as a connection URI; throws InvalidArgument naming the
/// redacted URI and libpq's reason otherwise.
void check_pg_uri(const std::string& uri);

}  // namespace vigil::tracker::detail
