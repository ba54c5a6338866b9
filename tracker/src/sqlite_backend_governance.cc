// SqliteBackend: policies, waivers and the audit log (schema version 2).

#include <string>
#include <vector>

#include "log.h"
#include "sqlite_backend.h"
#include "sqlite_backend_tx.h"
#include "vigil/tracker/json_limits.h"

namespace vigil::tracker::detail {
namespace {

// A stored details column that cannot be read back (damaged, over the limits) shows as {}
// with a warning instead of hiding the whole log.
nlohmann::json parse_details(const std::string& text, std::int64_t id) {
  try {
    return parse_json_bounded(text, "audit details");
  } catch (const JsonError& e) {
    logger()->warn("audit event {}: stored details not shown: {}", id, e.what());
    return nlohmann::json::object();
  }
}

std::optional<Timestamp> optional_time(const Statement& stmt, int column) {
  if (stmt.is_null(column)) return std::nullopt;
  return stmt.column_double(column);
}

Waiver read_waiver(const Statement& stmt) {
  Waiver w;
  w.id = stmt.column_int64(0);
  w.run_id = stmt.column_text(1);
  w.experiment = stmt.column_text(2);
  w.rule_id = stmt.column_text(3);
  w.reason = stmt.column_text(4);
  w.owner = stmt.column_text(5);
  w.created_at = stmt.column_double(6);
  w.until = optional_time(stmt, 7);
  w.revoked_at = optional_time(stmt, 8);
  w.revoked_by = stmt.column_text(9);
  return w;
}

}  // namespace

bool SqliteBackend::put_policy(const PolicyRecord& policy) {
  return write("storing a policy", [&] {
    writer_
        .cached(
            "INSERT INTO policies(hash, name, version, text, stored_at) VALUES(?1, ?2, ?3, ?4, ?5) "
            "ON CONFLICT(hash) DO NOTHING")
        .bind(1, policy.hash)
        .bind(2, policy.name)
        .bind(3, policy.version)
        .bind(4, policy.text)
        .bind(5, policy.stored_at)
        .run();
    return sqlite3_changes(writer_.get()) > 0;
  });
}

std::optional<PolicyRecord> SqliteBackend::policy(const std::string& hash) {
  return read("reading a policy", [&]() -> std::optional<PolicyRecord> {
    auto& stmt =
        reader_.cached("SELECT hash, name, version, text, stored_at FROM policies WHERE hash = ?1");
    stmt.bind(1, hash);
    if (!stmt.step()) {
      stmt.reset();
      return std::nullopt;
    }
    PolicyRecord p{stmt.column_text(0), stmt.column_text(1), stmt.column_text(2),
                   stmt.column_text(3), stmt.column_double(4)};
    stmt.reset();
    return p;
  });
}

void SqliteBackend::append_audit(const std::vector<AuditEvent>& events) {
  if (events.empty()) return;
  write("appending to the audit log", [&] {
    auto& insert = writer_.cached(
        "INSERT INTO audit(at, user, host, action, run_id, details) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    for (const AuditEvent& e : events) {
      insert.reset();
      insert.bind(1, e.at)
          .bind(2, e.user)
          .bind(3, e.host)
          .bind(4, e.action)
          .bind(5, e.run_id)
          .bind(6, e.details.dump())
          .run();
    }
  });
}

std::vector<AuditEvent> SqliteBackend::audit_events(const AuditQuery& query) {
  return read("reading the audit log", [&] {
    // The newest `limit` rows, returned oldest first.
    auto& stmt = reader_.cached(
        "SELECT * FROM (SELECT id, at, user, host, action, run_id, details FROM audit "
        "WHERE (?1 IS NULL OR (run_id >= ?1 AND run_id < ?1 || '~')) AND (?2 IS NULL OR at >= ?2) "
        "ORDER BY id DESC LIMIT ?3) ORDER BY id");
    if (query.run_id) stmt.bind(1, *query.run_id);
    if (query.since) stmt.bind(2, *query.since);
    stmt.bind(3, query.limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(query.limit));
    std::vector<AuditEvent> out;
    while (stmt.step()) {
      AuditEvent e;
      e.id = stmt.column_int64(0);
      e.at = stmt.column_double(1);
      e.user = stmt.column_text(2);
      e.host = stmt.column_text(3);
      e.action = stmt.column_text(4);
      e.run_id = stmt.column_text(5);
      e.details = parse_details(stmt.column_text(6), e.id);
      out.push_back(std::move(e));
    }
    stmt.reset();
    return out;
  });
}

std::int64_t SqliteBackend::add_waiver(const Waiver& waiver) {
  return write("adding a waiver", [&] {
    auto& insert = writer_.cached(
        "INSERT INTO waivers(run_id, experiment, rule_id, reason, owner, created_at, until) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    insert.bind(1, waiver.run_id)
        .bind(2, waiver.experiment)
        .bind(3, waiver.rule_id)
        .bind(4, waiver.reason)
        .bind(5, waiver.owner)
        .bind(6, waiver.created_at);
    if (waiver.until) insert.bind(7, *waiver.until);  // unbound: NULL
    insert.run();
    return static_cast<std::int64_t>(sqlite3_last_insert_rowid(writer_.get()));
  });
}

bool SqliteBackend::revoke_waiver(std::int64_t id, const std::string& by, Timestamp at) {
  return write("revoking a waiver", [&] {
    writer_
        .cached(
            "UPDATE waivers SET revoked_at = ?2, revoked_by = ?3 "
            "WHERE id = ?1 AND revoked_at IS NULL")
        .bind(1, id)
        .bind(2, at)
        .bind(3, by)
        .run();
    return sqlite3_changes(writer_.get()) > 0;
  });
}

std::vector<Waiver> SqliteBackend::waivers(const WaiverQuery& query) {
  return read("listing waivers", [&] {
    const bool any_target = !query.run_id && !query.experiment;
    auto& stmt = reader_.cached(
        "SELECT id, run_id, experiment, rule_id, reason, owner, created_at, until, revoked_at, "
        "revoked_by FROM waivers WHERE (?1 = 1 OR (?2 IS NOT NULL AND run_id = ?2) OR "
        "(?3 IS NOT NULL AND experiment = ?3)) AND (?4 IS NULL OR (revoked_at IS NULL AND "
        "(until IS NULL OR until > ?4))) ORDER BY id");
    stmt.bind(1, any_target ? 1 : 0);
    if (query.run_id) stmt.bind(2, *query.run_id);
    if (query.experiment) stmt.bind(3, *query.experiment);
    if (query.in_force_at) stmt.bind(4, *query.in_force_at);
    std::vector<Waiver> out;
    while (stmt.step()) out.push_back(read_waiver(stmt));
    stmt.reset();
    return out;
  });
}

}  // namespace vigil::tracker::detail
