// Store: policies, waivers and the audit log.

#include <string>
#include <utility>

#include "backend.h"
#include "log.h"
#include "store_internal.h"
#include "vigil/tracker/errors.h"
#include "vigil/tracker/store.h"

namespace vigil::tracker {
namespace detail {
namespace {

// Long error texts are cut in audit details: the run row keeps the whole text.
constexpr std::size_t kMaxAuditTextBytes = 2000;

std::string clipped(const std::string& text) {
  return text.size() <= kMaxAuditTextBytes ? text : text.substr(0, kMaxAuditTextBytes) + "...";
}

}  // namespace

std::string_view end_action(RunStatus status) noexcept {
  switch (status) {
    case RunStatus::kRejected:
      return audit_action::kRunRefused;
    case RunStatus::kAborted:
      return audit_action::kRunAborted;
    default:
      return audit_action::kRunFinished;
  }
}

void record_audit(Backend& backend, std::string_view action, const std::string& run_id,
                  nlohmann::json details) noexcept {
  try {
    AuditEvent event;
    event.at = now();
    event.user = current_actor().user;
    event.host = current_actor().host;
    event.action = std::string(action);
    event.run_id = run_id;
    event.details = std::move(details);
    backend.append_audit({event});
  } catch (const std::exception& e) {
    logger()->error("could not append '{}' of run '{}' to the audit log: {}", action, run_id,
                    e.what());
  }
}

void audit_committed(Backend& backend, const WriteBatch& batch) noexcept {
  try {
    std::vector<AuditEvent> events;
    auto add = [&](std::string_view action, const std::string& run_id, nlohmann::json details) {
      AuditEvent event{0,
                       now(),
                       current_actor().user,
                       current_actor().host,
                       std::string(action),
                       run_id,
                       std::move(details)};
      events.push_back(std::move(event));
    };
    for (const RunWrite& run : batch.runs) {
      for (const auto& [tag, added] : run.tag_ops) {
        add(added ? audit_action::kTagAdded : audit_action::kTagRemoved, run.run_id,
            {{"tag", tag}});
      }
      // A rank's end is not the run's: a job's run ends once, with its last rank.
      std::optional<std::pair<RunStatus, std::string>> end;
      if (run.rank) {
        end = run.job_end;
      } else if (run.final_status) {
        end.emplace(*run.final_status, run.error);
      }
      if (!end) continue;
      nlohmann::json details = {{"status", to_string(end->first)}};
      if (!end->second.empty()) details["error"] = clipped(end->second);
      if (run.rank) details["last_rank"] = *run.rank;
      add(end_action(end->first), run.run_id, std::move(details));
    }
    backend.append_audit(events);
  } catch (const std::exception& e) {
    logger()->error("could not append run ends to the audit log: {}", e.what());
  }
}

}  // namespace detail

namespace {

detail::Backend& checked(const std::shared_ptr<detail::Backend>& backend) {
  if (!backend) throw Error("use of a moved-from vigil::tracker::Store");
  return *backend;
}

void check_text(const std::string& text, const char* what, bool required) {
  if (required && text.empty()) {
    throw InvalidArgument(std::string("waiver ") + what + ": expected a non-empty text");
  }
  if (text.size() > kMaxWaiverTextBytes) {
    throw InvalidArgument(std::string("waiver ") + what + ": " + std::to_string(text.size()) +
                          " bytes, expected at most " + std::to_string(kMaxWaiverTextBytes));
  }
}

}  // namespace

void Store::put_policy(const PolicyRecord& policy) {
  if (policy.hash.empty()) throw InvalidArgument("put_policy: expected a policy hash");
  if (policy.text.size() > kMaxPolicyTextBytes) {
    throw InvalidArgument("put_policy: policy text of " + std::to_string(policy.text.size()) +
                          " bytes, expected at most " + std::to_string(kMaxPolicyTextBytes));
  }
  PolicyRecord stored = policy;
  if (stored.stored_at == 0.0) stored.stored_at = now();
  auto& backend = checked(backend_);
  if (backend.put_policy(stored)) {
    detail::record_audit(
        backend, audit_action::kPolicyStored, "",
        {{"hash", stored.hash}, {"name", stored.name}, {"version", stored.version}});
  }
}

std::optional<PolicyRecord> Store::policy(std::string_view hash) const {
  return checked(backend_).policy(std::string(hash));
}

std::int64_t Store::add_waiver(Waiver waiver) {
  check_text(waiver.rule_id, "rule id", true);
  check_text(waiver.reason, "reason", true);
  check_text(waiver.owner, "owner", false);
  check_text(waiver.experiment, "experiment", false);
  if (waiver.run_id.empty() == waiver.experiment.empty()) {
    throw InvalidArgument("waiver: expected either a run or an experiment, not " +
                          std::string(waiver.run_id.empty() ? "neither" : "both"));
  }
  const Timestamp at = now();
  if (waiver.until && *waiver.until <= at) {
    throw InvalidArgument("waiver: until " + format_time(*waiver.until) +
                          " is not in the future: expected a later date");
  }
  if (!waiver.run_id.empty()) waiver.run_id = resolve_run(waiver.run_id).id;
  if (waiver.owner.empty()) waiver.owner = current_actor().user;
  if (waiver.created_at == 0.0) waiver.created_at = at;
  waiver.revoked_at.reset();
  waiver.revoked_by.clear();
  auto& backend = checked(backend_);
  waiver.id = backend.add_waiver(waiver);
  nlohmann::json details = waiver;
  details.erase("revoked_at");
  details.erase("revoked_by");
  detail::record_audit(backend, audit_action::kWaiverGranted, waiver.run_id, std::move(details));
  return waiver.id;
}

void Store::revoke_waiver(std::int64_t id, std::string_view by) {
  auto& backend = checked(backend_);
  WaiverQuery all;
  std::optional<Waiver> found;
  for (auto& waiver : backend.waivers(all)) {
    if (waiver.id == id) found = std::move(waiver);
  }
  const std::string who = by.empty() ? current_actor().user : std::string(by);
  check_text(who, "revoker", false);
  if (!found || !backend.revoke_waiver(id, who, now())) {
    throw Error("no waiver in force with id " + std::to_string(id) +
                    (found ? " (it was revoked already)" : "") + ": see 'vigil waivers ls --all'",
                kExitNotFound);
  }
  detail::record_audit(backend, audit_action::kWaiverRevoked, found->run_id,
                       {{"id", id},
                        {"rule_id", found->rule_id},
                        {"experiment", found->experiment},
                        {"revoked_by", who}});
}

std::vector<Waiver> Store::waivers(const WaiverQuery& query) const {
  return checked(backend_).waivers(query);
}

std::vector<AuditEvent> Store::audit_events(const AuditQuery& query) const {
  AuditQuery resolved = query;
  if (query.run_id) {
    // A deleted run keeps its events: an id (prefix) no live run has is looked up as it is.
    try {
      resolved.run_id = resolve_run(*query.run_id).id;
    } catch (const RunNotFound&) {
      resolved.run_id = detail::normalize_prefix(*query.run_id);
      if (resolved.run_id->empty()) throw InvalidArgument("audit: empty run id");
    }
  }
  return checked(backend_).audit_events(resolved);
}

}  // namespace vigil::tracker
