#include "vigil/tracker/governance.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "process_info.h"

namespace vigil::tracker {
namespace {

nlohmann::json time_or_null(const std::optional<Timestamp>& t) {
  return t ? nlohmann::json(format_time(*t)) : nlohmann::json(nullptr);
}

std::string os_user() {
  // getpwuid_r: the reentrant form; a uid without an entry (containers) falls back to $USER.
  struct passwd entry {};
  struct passwd* found = nullptr;
  char buffer[4096];
  if (getpwuid_r(geteuid(), &entry, buffer, sizeof(buffer), &found) == 0 && found != nullptr &&
      found->pw_name != nullptr && found->pw_name[0] != '\0') {
    return found->pw_name;
  }
  const char* user = std::getenv("USER");
  if (user != nullptr && user[0] != '\0') return user;
  return "uid " + std::to_string(static_cast<long long>(geteuid()));
}

}  // namespace

const Actor& current_actor() {
  static const Actor actor{os_user(), detail::host_name()};
  return actor;
}

void to_json(nlohmann::json& j, const PolicyRecord& policy) {
  j = nlohmann::json{{"hash", policy.hash},
                     {"name", policy.name},
                     {"version", policy.version},
                     {"stored_at", format_time(policy.stored_at)},
                     {"text", policy.text}};
}

void to_json(nlohmann::json& j, const AuditEvent& event) {
  j = nlohmann::json{{"id", event.id},          {"at", format_time(event.at)},
                     {"user", event.user},      {"host", event.host},
                     {"action", event.action},  {"run_id", event.run_id},
                     {"details", event.details}};
}

void to_json(nlohmann::json& j, const Waiver& waiver) {
  j = nlohmann::json{
      {"id", waiver.id},
      {"run_id", waiver.run_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(waiver.run_id)},
      {"experiment",
       waiver.experiment.empty() ? nlohmann::json(nullptr) : nlohmann::json(waiver.experiment)},
      {"rule_id", waiver.rule_id},
      {"reason", waiver.reason},
      {"owner", waiver.owner},
      {"created_at", format_time(waiver.created_at)},
      {"until", time_or_null(waiver.until)},
      {"revoked_at", time_or_null(waiver.revoked_at)},
      {"revoked_by", waiver.revoked_by}};
}

}  // namespace vigil::tracker
