#pragma once

// Governance records of a store: the policies that judged runs (stored once per content hash),
// waivers of rule violations, and the append-only audit log.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "vigil/tracker/types.h"

namespace vigil::tracker {

/// A policy (rules file) as it was when it judged a run: stored once per content hash, so a
/// past verdict can be explained after the file changed.
struct PolicyRecord {
  std::string hash;           ///< content hash of `text` (rules::content_hash: 16 hex digits)
  std::string name;           ///< the policy's name
  std::string version;        ///< the policy's version ("2026.12"); empty when the file has none
  std::string text;           ///< the file's bytes
  Timestamp stored_at = 0.0;  ///< when this hash was first stored
};

/// What an audit event records. The names are stable: scripts filter on them.
namespace audit_action {
inline constexpr std::string_view kRunStarted = "run.started";
inline constexpr std::string_view kRunFinished = "run.finished";  ///< details.status says how
inline constexpr std::string_view kRunRefused = "run.refused";
inline constexpr std::string_view kRunAborted = "run.aborted";
inline constexpr std::string_view kRunDeleted = "run.deleted";  ///< details: what was deleted
inline constexpr std::string_view kValidation = "validation";   ///< details: policy and verdict
inline constexpr std::string_view kWaiverGranted = "waiver.granted";
inline constexpr std::string_view kWaiverRevoked = "waiver.revoked";
inline constexpr std::string_view kTagAdded = "tag.added";
inline constexpr std::string_view kTagRemoved = "tag.removed";
inline constexpr std::string_view kPolicyStored = "policy.stored";
}  // namespace audit_action

/// One row of the append-only audit log. Nothing in vigil updates or deletes audit rows;
/// deleting a run keeps its rows.
struct AuditEvent {
  std::int64_t id = 0;                                ///< assigned by the store, increasing
  Timestamp at = 0.0;                                 ///< when it happened
  std::string user;                                   ///< OS user of the process that did it
  std::string host;                                   ///< host of that process
  std::string action;                                 ///< one of audit_action
  std::string run_id;                                 ///< the run concerned, if any ("" otherwise)
  nlohmann::json details = nlohmann::json::object();  ///< action-specific facts
};

/// Which audit events Store::audit_events returns (every set field must match).
struct AuditQuery {
  /// Events of runs whose id starts with this (lower-case hex; a full id: one run's). Store
  /// resolves a live run's id, prefix or name first; a deleted run's id is used as it is.
  std::optional<std::string> run_id;
  std::optional<Timestamp> since;  ///< at >= since
  std::size_t limit = 0;           ///< the newest `limit` events; 0 = all
};

/// An exception to one rule: for one run, or for every run of an experiment. A waived
/// violation is still reported (marked waived) but does not count in the score or the
/// verdict while the waiver is in force.
struct Waiver {
  std::int64_t id = 0;     ///< assigned by the store
  std::string run_id;      ///< the run it covers; empty for an experiment-wide waiver
  std::string experiment;  ///< the experiment it covers; empty for a run waiver
  std::string rule_id;     ///< the rule whose violations it waives
  std::string reason;      ///< why (required, non-empty)
  std::string owner;       ///< who granted it (OS user or --by)
  Timestamp created_at = 0.0;
  std::optional<Timestamp> until;       ///< expiry; none = until revoked
  std::optional<Timestamp> revoked_at;  ///< set by Store::revoke_waiver
  std::string revoked_by;               ///< who revoked it

  /// Not revoked and not expired at `at`.
  [[nodiscard]] bool in_force(Timestamp at) const noexcept {
    return !revoked_at && (!until || at < *until);
  }
};

/// Which waivers Store::waivers returns.
struct WaiverQuery {
  std::optional<std::string> run_id;      ///< waivers of this run (full id) ...
  std::optional<std::string> experiment;  ///< ... or of this experiment (both: either)
  /// Only those in force at this time; none = every waiver, revoked and expired included.
  std::optional<Timestamp> in_force_at;
};

/// Longest policy text Store::put_policy keeps (the rules file limit, 1 MiB).
inline constexpr std::size_t kMaxPolicyTextBytes = std::size_t{1} << 20;

/// Longest waiver reason, owner or rule id accepted (bytes); longer is InvalidArgument.
inline constexpr std::size_t kMaxWaiverTextBytes = 4096;

/// The OS user and host of this process ($USER when the user database has no entry).
struct Actor {
  std::string user;
  std::string host;
};
const Actor& current_actor();

/// JSON objects with the fields above (timestamps as ISO-8601 text, absent ones null).
void to_json(nlohmann::json& j, const PolicyRecord& policy);
void to_json(nlohmann::json& j, const AuditEvent& event);
void to_json(nlohmann::json& j, const Waiver& waiver);

}  // namespace vigil::tracker
