#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "backend.h"
#include "pg_util.h"

namespace vigil::tracker::detail {

/// Backend on a PostgreSQL database (libpq). Two connections, like SqliteBackend: one for
/// writes (write_ link) and one for reads (read_ link), each used under its own mutex.
/// A lost connection (server restart, pg_terminate_backend, network) is re-established by the
/// next call, with backoff between failed attempts (see kReconnect* in pg_backend.cc); an
/// operation that lost its connection is retried once on a fresh one when retrying cannot
/// apply it twice. Thread-safe.
class PgBackend final : public Backend {
 public:
  /// Connects to `uri` (a libpq connection URI) and checks or, unless read_only, creates the
  /// schema. Throws StoreError naming the URI without its password.
  PgBackend(std::string uri, bool read_only);
  ~PgBackend() override = default;

  const std::string& location() const override { return display_; }

  void create_run(const NewRun& run) override;
  void commit(WriteBatch& batch) override;
  void change_tags(const std::string& run_id, const std::vector<std::string>& tags,
                   bool add) override;
  void delete_runs(const std::vector<std::string>& run_ids) override;
  bool set_status(const std::string& run_id, RunStatus status, std::string_view error,
                  Timestamp finished_at, bool only_if_running) override;
  std::int64_t add_validation(const ValidationRecord& record, const TagOps& tag_ops) override;
  ImportOutcome import_run(const RunExport& run, bool replace) override;
  bool join_run(const NewRun& run, const NewRank& rank) override;
  bool set_rank_crashed(const std::string& run_id, int rank, std::string_view error,
                        Timestamp at) override;
  bool request_stop(const std::string& run_id, const StopRequest& request) override;

  std::vector<RunInfo> load_runs(const RunQuery& query) override;
  std::vector<std::string> select_runs(const RunSelection& selection) override;
  std::size_t count_runs(const RunSelection& selection) override;
  std::vector<std::string> ids_with_prefix(std::string_view prefix, std::size_t limit) override;
  std::vector<RunRef> find_runs(std::string_view id_prefix, std::string_view name,
                                std::size_t limit) override;
  std::vector<std::string> experiments() override;
  std::optional<std::pair<std::int64_t, SeriesSummary>> find_series(const std::string& run_id,
                                                                    const SeriesKey& key) override;
  std::vector<SeriesSummary> series(const std::string& run_id) override;
  void scan_chunks(std::int64_t series_id, const std::function<bool(const ChunkMeta&)>& want,
                   const std::function<void(const ChunkMeta&, std::string_view)>& consume) override;
  std::vector<ValidationRecord> validations(const std::string& run_id) override;
  std::vector<ValidationRecord> latest_validations(
      const std::vector<std::string>& run_ids) override;
  std::vector<RankInfo> ranks(const std::string& run_id) override;
  std::optional<StopRequest> stop_request(const std::string& run_id) override;
  std::uint64_t change_token() override;
  StoreInfo info() override;
  bool put_policy(const PolicyRecord& policy) override;
  std::optional<PolicyRecord> policy(const std::string& hash) override;
  void append_audit(const std::vector<AuditEvent>& events) override;
  std::vector<AuditEvent> audit_events(const AuditQuery& query) override;
  std::int64_t add_waiver(const Waiver& waiver) override;
  bool revoke_waiver(std::int64_t id, const std::string& by, Timestamp at) override;
  std::vector<Waiver> waivers(const WaiverQuery& query) override;
  RecodeBatch recode_chunks(
      ChunkCursor& cursor, std::size_t limit,
      const std::function<std::optional<std::string>(const ChunkCursor&, std::string_view)>& recode)
      override;
  std::uint64_t reconnects() const override { return reconnects_.load(); }

 private:
  /// Whether an operation may run again after a failure at COMMIT (whose outcome is unknown).
  enum class Idempotent { kYes, kNo };

  /// One connection with its lock and reconnect state.
  struct Link {
    std::mutex mu;
    PgConnection conn;  // guarded by mu; not ok() after a loss until reconnected
    std::chrono::steady_clock::time_point next_attempt;  // guarded by mu
    std::chrono::milliseconds delay{0};                  // guarded by mu: current backoff
  };

  /// Runs `body(conn, commit_sent)` on `link` under its mutex, reconnecting first if needed.
  /// On a lost connection it reconnects and runs `body` once more, unless the loss happened
  /// after `body` set commit_sent and the operation is not idempotent. Throws Error/StoreFull
  /// naming `what` and the store.
  void run_on(Link& link, const char* what, Idempotent idempotent,
              const std::function<void(PgConnection&, bool& commit_sent)>& body);
  /// Runs `body(conn)` in a write transaction that also bumps this object's change counter.
  template <typename Body>
  auto write(const char* what, Idempotent idempotent, Body&& body) {
    require_writable();
    using Result = decltype(body(std::declval<PgConnection&>()));
    if constexpr (std::is_void_v<Result>) {
      run_on(write_, what, idempotent, [&](PgConnection& conn, bool& commit_sent) {
        PgTransaction transaction(conn);
        body(conn);
        finish_write(conn, transaction, commit_sent);
      });
    } else {
      std::optional<Result> result;
      run_on(write_, what, idempotent, [&](PgConnection& conn, bool& commit_sent) {
        PgTransaction transaction(conn);
        result = body(conn);
        finish_write(conn, transaction, commit_sent);
      });
      return std::move(*result);
    }
  }
  /// Runs `body(conn)` on the read connection (retried once on a fresh connection).
  template <typename Body>
  auto read(const char* what, Body&& body) {
    using Result = decltype(body(std::declval<PgConnection&>()));
    std::optional<Result> result;
    run_on(read_, what, Idempotent::kYes, [&](PgConnection& conn, bool&) { result = body(conn); });
    return std::move(*result);
  }
  /// Bumps the change counter and commits.
  void finish_write(PgConnection& conn, PgTransaction& transaction, bool& commit_sent);
  void require_writable() const;
  /// Reconnects `link` (mu held) unless the backoff delay has not passed; throws PgError.
  void reconnect(Link& link);
  [[noreturn]] void rethrow(const char* what, const PgError& e) const;

  std::string uri_;      // as given to libpq (may hold a password)
  std::string display_;  // uri_ without the password
  bool read_only_;
  std::int64_t change_slot_;  // this object's row in vigil_changes
  Link write_;
  Link read_;
  std::atomic<std::uint64_t> reconnects_{0};
};

}  // namespace vigil::tracker::detail
