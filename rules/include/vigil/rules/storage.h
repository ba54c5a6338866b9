#pragma once

#include <cstdint>

#include "vigil/rules/rule_set.h"
#include "vigil/rules/types.h"
#include "vigil/tracker/query.h"

namespace vigil::tracker {
class Store;
}  // namespace vigil::tracker

namespace vigil::rules {

/// The tracker record of a report: rules_name, rules_hash, phase, verdict, score, violations
/// (JSON array of to_json(Violation)), report (to_json(Report)), created_at; for run
/// `report.run_id`.
tracker::ValidationRecord to_validation_record(const Report& report);

/// Stores `report` for run `report.run_id` via Store::add_validation, which replaces the run's
/// verdict tags (`validated` plus `PASS` or `FAIL`). Returns the record id.
/// Throws InvalidArgument when report.run_id is empty; tracker errors (RunNotFound, ...) pass.
/// Thread safety: as Store::add_validation.
std::int64_t store_report(tracker::Store& store, const Report& report);

/// store_policy(store, rules) (vigil/rules/policy.h), then store_report(store, report): the
/// stored verdict can always be explained by the exact policy text that produced it.
std::int64_t store_report(tracker::Store& store, const Report& report, const RuleSet& rules);

/// The report stored in a record (from_json of record.report). Throws InvalidArgument when the
/// record holds no valid report JSON.
Report report_from_record(const tracker::ValidationRecord& record);

}  // namespace vigil::rules
