#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "backend.h"
#include "sqlite_util.h"

namespace vigil::tracker::detail {

/// The ranks of a run, by rank (with `db`; used inside reads and write transactions).
std::vector<RankInfo> read_ranks(Connection& db, const std::string& run_id);
/// The stop request of a run, if any.
std::optional<StopRequest> read_stop(Connection& db, const std::string& run_id);

/// Backend on one SQLite file in WAL mode. Two connections: one for writes (serialised by
/// write_mu_, transactions BEGIN IMMEDIATE with retries) and one for reads (read_mu_), so
/// reads never wait for this process's writes and never block other writers.
/// Thread-safe.
class SqliteBackend final : public Backend {
 public:
  /// Opens (or with !read_only creates, with parent directories) the store file. Throws
  /// StoreError naming the file; the file is not modified when it is not a usable store.
  SqliteBackend(std::string path, bool read_only);
  ~SqliteBackend() override = default;

  const std::string& location() const override { return path_; }
  std::vector<std::string> local_files() const override {
    return {path_, path_ + "-wal", path_ + "-shm", path_ + "-journal"};
  }

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

 private:
  void require_writable() const;
  /// Runs `body` under write_mu_ inside a transaction, retrying while the file is busy.
  template <typename Body>
  auto write(const char* what, Body&& body);
  /// Runs `body` under read_mu_, retrying while the file is busy (WAL recovery).
  template <typename Body>
  auto read(const char* what, Body&& body);

  std::string path_;
  bool read_only_;
  std::mutex write_mu_;
  Connection writer_;  // guarded by write_mu_; empty when read_only_
  std::mutex read_mu_;
  Connection reader_;  // guarded by read_mu_
};

}  // namespace vigil::tracker::detail
