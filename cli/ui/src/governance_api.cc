#include "governance_api.h"

#include <cstdio>
#include <map>
#include <optional>
#include <utility>

#include "compliance.h"
#include "http_error.h"
#include "query_params.h"

namespace vigil::ui {
namespace {

constexpr std::size_t kDefaultAuditEvents = 100;
constexpr std::size_t kMaxExperimentNameBytes = 4096;

nlohmann::json time_or_null(const std::optional<tracker::Timestamp>& t) {
  return t ? nlohmann::json(tracker::format_time(*t)) : nlohmann::json(nullptr);
}

// A parsed GET /api/governance/summary request.
struct SummaryQuery {
  tracker::RunFilter filter;
  Bucket bucket = Bucket::kDay;

  // The request in one canonical string, to recognise the same summary. Built by hand, not
  // as JSON: the experiment is the caller's bytes, not necessarily UTF-8 (the fuzzer found that
  // dumping it threw). The experiment goes last, so no other field can run into it.
  std::string key() const {
    char times[64];
    std::snprintf(times, sizeof times, "%.17g|%.17g|", filter.created_since.value_or(-1),
                  filter.created_until.value_or(-1));
    return std::string(to_string(bucket)) + "|" + times +
           (filter.experiment ? "=" + *filter.experiment : std::string("*"));
  }
};

SummaryQuery parse_summary_query(const QueryParams& params) {
  check_known_params(params, {"experiment", "since", "until", "bucket"});
  SummaryQuery query;
  if (auto experiment = optional_param(params, "experiment"); experiment && !experiment->empty()) {
    if (experiment->size() > kMaxExperimentNameBytes) {
      throw HttpError(400, "parameter 'experiment' is " + std::to_string(experiment->size()) +
                               " bytes; expected an experiment name of at most " +
                               std::to_string(kMaxExperimentNameBytes));
    }
    query.filter.experiment = *experiment;
  }
  if (auto since = optional_param(params, "since")) {
    query.filter.created_since = time_param("since", *since, tracker::TimeBound::kStart);
  }
  if (auto until = optional_param(params, "until")) {
    query.filter.created_until = time_param("until", *until, tracker::TimeBound::kEnd);
  }
  if (query.filter.created_since && query.filter.created_until &&
      *query.filter.created_since > *query.filter.created_until) {
    throw HttpError(400, "parameter 'since' is after 'until'; expected since <= until");
  }
  if (auto bucket = optional_param(params, "bucket")) {
    if (*bucket != "day" && *bucket != "week") {
      throw HttpError(400, "parameter 'bucket' is '" + *bucket + "'; expected day or week");
    }
    query.bucket = *bucket == "day" ? Bucket::kDay : Bucket::kWeek;
  }
  return query;
}

nlohmann::json summary_of(const tracker::Store& store, const SummaryQuery& query) {
  ComplianceSummary summary(query.bucket);
  const std::vector<tracker::RunInfo> runs = store.list_runs(query.filter);
  const auto latest = latest_validations(store, runs);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (latest[i]) {
      summary.add(runs[i], *latest[i]);
    } else {
      summary.add_unvalidated();
    }
  }
  auto out = summary.to_json();
  out["experiment"] =
      query.filter.experiment ? nlohmann::json(*query.filter.experiment) : nlohmann::json(nullptr);
  out["since"] = time_or_null(query.filter.created_since);
  out["until"] = time_or_null(query.filter.created_until);
  out["bucket"] = to_string(query.bucket);
  return out;
}

// {"hash", "name", "version", "stored"} of the policy that produced `record`: the stored
// policy when the store kept it, else what the record's report says.
nlohmann::json policy_of(const tracker::Store& store, const tracker::ValidationRecord& record,
                         std::map<std::string, std::optional<tracker::PolicyRecord>>& known) {
  auto it = known.find(record.rules_hash);
  if (it == known.end()) {
    it = known
             .emplace(record.rules_hash,
                      record.rules_hash.empty() ? std::nullopt : store.policy(record.rules_hash))
             .first;
  }
  if (it->second) {
    return {{"hash", record.rules_hash},
            {"name", it->second->name},
            {"version", it->second->version},
            {"stored", true}};
  }
  const auto version =
      record.report.is_object() ? record.report.find("rules_version") : record.report.end();
  const bool has_version =
      record.report.is_object() && version != record.report.end() && version->is_string();
  return {{"hash", record.rules_hash},
          {"name", record.rules_name},
          {"version", has_version ? *version : nlohmann::json("")},
          {"stored", false}};
}

}  // namespace

struct GovernanceApi::CachedSummary {
  std::string key;
  std::uint64_t token = 0;
  nlohmann::json summary;
};

GovernanceApi::GovernanceApi(const tracker::Store& store) : store_(store) {}

GovernanceApi::~GovernanceApi() = default;

nlohmann::json GovernanceApi::summary(const QueryParams& params) const {
  const auto query = parse_summary_query(params);
  const auto key = query.key();
  // Read before loading: a write during the load makes the next call load again.
  const std::uint64_t token = store_.change_token();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cached_ && cached_->key == key && cached_->token == token) return cached_->summary;
  }
  auto fresh = std::make_shared<CachedSummary>();
  fresh->key = key;
  fresh->token = token;
  fresh->summary = summary_of(store_, query);
  std::lock_guard<std::mutex> lock(mu_);
  cached_ = fresh;
  return fresh->summary;
}

nlohmann::json GovernanceApi::waivers(const QueryParams& params, const std::string& run_id) const {
  check_known_params(params, {"all", "experiment", "run"});
  tracker::WaiverQuery query;
  const tracker::Timestamp at = tracker::now();
  const auto all = optional_param(params, "all");
  if (!(all && bool_param("all", *all))) query.in_force_at = at;
  if (auto experiment = optional_param(params, "experiment"); experiment && !experiment->empty()) {
    query.experiment = *experiment;
  }
  if (!run_id.empty()) query.run_id = run_id;
  auto list = nlohmann::json::array();
  for (const auto& waiver : store_.waivers(query)) {
    nlohmann::json entry = waiver;
    entry["in_force"] = waiver.in_force(at);
    list.push_back(std::move(entry));
  }
  return {{"waivers", std::move(list)}, {"at", tracker::format_time(at)}};
}

nlohmann::json GovernanceApi::audit(const QueryParams& params) const {
  check_known_params(params, {"run", "since", "limit"});
  tracker::AuditQuery query;
  if (auto run = optional_param(params, "run")) {
    // Ids only: a deleted run's events are found by the id it had.
    if (!is_run_id_prefix(*run)) {
      throw HttpError(400, "parameter 'run' is '" + *run +
                               "'; expected a run id or prefix (1-32 lower-case hex digits)");
    }
    query.run_id = *run;
  }
  if (auto since = optional_param(params, "since")) {
    query.since = time_param("since", *since, tracker::TimeBound::kStart);
  }
  const auto limit = optional_param(params, "limit");
  query.limit = limit ? count_param("limit", *limit, 1, kMaxAuditEvents) : kDefaultAuditEvents;
  auto events = store_.audit_events(query);
  auto list = nlohmann::json::array();
  for (auto it = events.rbegin(); it != events.rend(); ++it) list.push_back(*it);
  return {{"events", std::move(list)}, {"limit", query.limit}};
}

nlohmann::json GovernanceApi::validations(const std::string& run_id) const {
  std::map<std::string, std::optional<tracker::PolicyRecord>> policies;
  auto list = nlohmann::json::array();
  for (const auto& record : store_.validations(run_id)) {
    nlohmann::json entry = record;
    entry["policy"] = policy_of(store_, record, policies);
    nlohmann::json outcomes = {{"counted", 0}, {"info", 0}, {"waived", 0}, {"audited", 0}};
    if (entry["violations"].is_array()) {
      for (auto& violation : entry["violations"]) {
        const auto outcome = std::string(to_string(violation_outcome(violation)));
        outcomes[outcome] = outcomes[outcome].get<int>() + 1;
        if (violation.is_object()) violation["outcome"] = outcome;
      }
    }
    entry["outcomes"] = std::move(outcomes);
    list.push_back(std::move(entry));
  }
  return list;
}

nlohmann::json GovernanceApi::policy(const std::string& hash) const {
  const bool hex = !hash.empty() && hash.size() <= 64 &&
                   hash.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (!hex) throw HttpError(404, "no policy with hash '" + hash + "' (hashes are lower-case hex)");
  auto policy = store_.policy(hash);
  if (!policy) throw HttpError(404, "no policy with hash '" + hash + "' is kept in this store");
  return *policy;
}

}  // namespace vigil::ui
