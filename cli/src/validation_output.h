#pragma once

#include <ostream>

#include "vigil/rules/types.h"
#include "vigil/tracker/query.h"

namespace vigil::cli {

/// Writes a validation report for people: verdict, score, counts and the violations grouped
/// by severity (errors first).
void print_report(std::ostream& out, const rules::Report& report);

/// Same for a stored validation: its report JSON when it parses as a rules::Report, else the
/// record's verdict, score and violations as stored.
void print_validation_record(std::ostream& out, const tracker::ValidationRecord& record);

}  // namespace vigil::cli
