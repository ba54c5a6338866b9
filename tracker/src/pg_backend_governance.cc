// PgBackend: policies, waivers and the audit log (schema version 3), as in
// sqlite_backend_governance.cc. The audit table is append-only: a trigger refuses UPDATE,
// DELETE and TRUNCATE (pg_schema.cc).

#include <string>
#include <vector>

#include "log.h"
#include "pg_backend.h"
#include "vigil/tracker/json_limits.h"

namespace vigil::tracker::detail {
namespace {

// A stored details column that cannot be read back shows as {} with a warning (as in SQLite).
nlohmann::json parse_details(std::string_view text, std::int64_t id) {
  try {
    return parse_json_bounded(std::string(text), "audit details");
  } catch (const JsonError& e) {
    logger()->warn("audit event {}: stored details not shown: {}", id, e.what());
    return nlohmann::json::object();
  }
}

std::optional<Timestamp> optional_time(const PgResult& r, int row, int column) {
  if (r.is_null(row, column)) return std::nullopt;
  return r.float8(row, column);
}

PgParams& add_optional(PgParams& params, const std::optional<std::string>& text) {
  return text ? params.add(*text) : params.add_null(kTextOid);
}

PgParams& add_optional(PgParams& params, const std::optional<Timestamp>& time) {
  return time ? params.add(*time) : params.add_null(kFloat8Oid);
}

Waiver read_waiver(const PgResult& r, int i) {
  Waiver w;
  w.id = r.int64(i, 0);
  w.run_id = r.text(i, 1);
  w.experiment = r.text(i, 2);
  w.rule_id = r.text(i, 3);
  w.reason = r.text(i, 4);
  w.owner = r.text(i, 5);
  w.created_at = r.float8(i, 6);
  w.until = optional_time(r, i, 7);
  w.revoked_at = optional_time(r, i, 8);
  w.revoked_by = r.text(i, 9);
  return w;
}

}  // namespace

bool PgBackend::put_policy(const PolicyRecord& policy) {
  // Not idempotent in its answer: a repeat after a lost COMMIT would report "stored before".
  return write("storing a policy", Idempotent::kNo, [&](PgConnection& c) {
    return c.exec("storing a policy",
                  "INSERT INTO policies(hash, name, version, text, stored_at) "
                  "VALUES($1, $2, $3, $4, $5) ON CONFLICT (hash) DO NOTHING",
                  PgParams()
                      .add(policy.hash)
                      .add(policy.name)
                      .add(policy.version)
                      .add(policy.text)
                      .add(policy.stored_at))
               .affected() > 0;
  });
}

std::optional<PolicyRecord> PgBackend::policy(const std::string& hash) {
  return read("reading a policy", [&](PgConnection& c) -> std::optional<PolicyRecord> {
    PgResult r = c.exec("reading a policy",
                        "SELECT hash, name, version, text, stored_at FROM policies WHERE hash = $1",
                        PgParams().add(hash));
    if (r.rows() == 0) return std::nullopt;
    return PolicyRecord{r.text(0, 0), r.text(0, 1), r.text(0, 2), r.text(0, 3), r.float8(0, 4)};
  });
}

void PgBackend::append_audit(const std::vector<AuditEvent>& events) {
  if (events.empty()) return;
  std::vector<double> at;
  std::vector<std::string> user, host, action, run_id, details;
  for (const AuditEvent& e : events) {
    at.push_back(e.at);
    user.push_back(e.user);
    host.push_back(e.host);
    action.push_back(e.action);
    run_id.push_back(e.run_id);
    details.push_back(e.details.dump());
  }
  // Not idempotent: a repeat after a lost COMMIT would append the events twice. WITH
  // ORDINALITY keeps the events' order in their ids.
  write("appending to the audit log", Idempotent::kNo, [&](PgConnection& c) {
    c.exec("appending to the audit log",
           "INSERT INTO audit(at, \"user\", host, action, run_id, details) "
           "SELECT at, u, h, a, r, d FROM unnest($1::float8[], $2::text[], $3::text[], "
           "$4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS e(at, u, h, a, r, d, n) "
           "ORDER BY n",
           PgParams()
               .add_array(at)
               .add_array(user)
               .add_array(host)
               .add_array(action)
               .add_array(run_id)
               .add_array(details));
  });
}

std::vector<AuditEvent> PgBackend::audit_events(const AuditQuery& query) {
  return read("reading the audit log", [&](PgConnection& c) {
    // The newest `limit` rows, returned oldest first. A run id is a prefix: the C collation
    // makes [prefix, prefix || '~') the ids starting with it (lower-case hex).
    PgParams params;
    add_optional(params, query.run_id);
    add_optional(params, query.since);
    if (query.limit == 0) {
      params.add_null(kInt8Oid);  // LIMIT NULL: all
    } else {
      params.add(static_cast<std::int64_t>(query.limit));
    }
    PgResult r =
        c.exec("reading the audit log",
               "SELECT * FROM (SELECT id, at, \"user\", host, action, run_id, details FROM audit "
               "WHERE ($1::text IS NULL OR (run_id >= $1 AND run_id < $1 || '~')) "
               "AND ($2::float8 IS NULL OR at >= $2) "
               "ORDER BY id DESC LIMIT $3) AS newest ORDER BY id",
               params);
    std::vector<AuditEvent> out;
    for (int i = 0; i < r.rows(); ++i) {
      AuditEvent e;
      e.id = r.int64(i, 0);
      e.at = r.float8(i, 1);
      e.user = r.text(i, 2);
      e.host = r.text(i, 3);
      e.action = r.text(i, 4);
      e.run_id = r.text(i, 5);
      e.details = parse_details(r.bytes(i, 6), e.id);
      out.push_back(std::move(e));
    }
    return out;
  });
}

std::int64_t PgBackend::add_waiver(const Waiver& waiver) {
  return write("adding a waiver", Idempotent::kNo, [&](PgConnection& c) {
    PgParams params;
    params.add(waiver.run_id)
        .add(waiver.experiment)
        .add(waiver.rule_id)
        .add(waiver.reason)
        .add(waiver.owner)
        .add(waiver.created_at);
    add_optional(params, waiver.until);
    return c
        .exec("adding a waiver",
              "INSERT INTO waivers(run_id, experiment, rule_id, reason, owner, created_at, until) "
              "VALUES($1, $2, $3, $4, $5, $6, $7) RETURNING id",
              params)
        .int64(0, 0);
  });
}

bool PgBackend::revoke_waiver(std::int64_t id, const std::string& by, Timestamp at) {
  return write("revoking a waiver", Idempotent::kNo, [&](PgConnection& c) {
    return c.exec("revoking a waiver",
                  "UPDATE waivers SET revoked_at = $2, revoked_by = $3 "
                  "WHERE id = $1 AND revoked_at IS NULL",
                  PgParams().add(id).add(at).add(by))
               .affected() > 0;
  });
}

std::vector<Waiver> PgBackend::waivers(const WaiverQuery& query) {
  return read("listing waivers", [&](PgConnection& c) {
    PgParams params;
    params.add(!query.run_id && !query.experiment);
    add_optional(params, query.run_id);
    add_optional(params, query.experiment);
    add_optional(params, query.in_force_at);
    PgResult r = c.exec(
        "listing waivers",
        "SELECT id, run_id, experiment, rule_id, reason, owner, created_at, until, revoked_at, "
        "revoked_by FROM waivers WHERE ($1 OR ($2::text IS NOT NULL AND run_id = $2) OR "
        "($3::text IS NOT NULL AND experiment = $3)) AND ($4::float8 IS NULL OR "
        "(revoked_at IS NULL AND (until IS NULL OR until > $4))) ORDER BY id",
        params);
    std::vector<Waiver> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(read_waiver(r, i));
    return out;
  });
}

}  // namespace vigil::tracker::detail
