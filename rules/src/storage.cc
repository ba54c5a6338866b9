#include "vigil/rules/storage.h"

#include <string>

#include "vigil/rules/errors.h"
#include "vigil/rules/policy.h"
#include "vigil/tracker/store.h"

namespace vigil::rules {

tracker::ValidationRecord to_validation_record(const Report& report) {
  tracker::ValidationRecord record;
  record.run_id = report.run_id;
  record.rules_name = report.rules_name;
  record.rules_hash = report.rules_hash;
  record.phase = std::string(to_string(report.phase));
  record.verdict = std::string(to_string(report.verdict));
  record.score = report.score;
  record.violations = report.violations;
  record.report = report;
  record.created_at = report.created_at;
  return record;
}

std::int64_t store_report(tracker::Store& store, const Report& report) {
  if (report.run_id.empty()) {
    throw InvalidArgument("cannot store a report without a run id: expected a stored run");
  }
  return store.add_validation(to_validation_record(report));
}

std::int64_t store_report(tracker::Store& store, const Report& report, const RuleSet& rules) {
  if (report.run_id.empty()) {
    throw InvalidArgument("cannot store a report without a run id: expected a stored run");
  }
  store_policy(store, rules);
  return store_report(store, report);
}

Report report_from_record(const tracker::ValidationRecord& record) {
  try {
    return record.report.get<Report>();
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument("validation " + std::to_string(record.id) + " of run " + record.run_id +
                          " holds no valid rules report: " + e.what());
  }
}

}  // namespace vigil::rules
