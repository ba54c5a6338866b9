#pragma once

#include <string>
#include <vector>

#include "vigil/error.h"

namespace vigil::rules {

/// One problem found in a rules file.
///
/// `pointer` is a JSON pointer into the document ("/rules/2/min") for schema problems and empty
/// for syntax errors, which carry a 1-based `line`/`column` instead (0 when unknown).
struct Problem {
  std::string source;   ///< file path, or the name given to RuleSet::parse
  std::string pointer;  ///< JSON pointer of the offending value; "" for syntax errors
  int line = 0;         ///< 1-based line of a syntax error; 0 when not applicable
  int column = 0;       ///< 1-based column of a syntax error; 0 when not applicable
  std::string message;  ///< what is wrong and what was expected

  /// One line: "SOURCE:LINE:COLUMN: MESSAGE" or "SOURCE: POINTER: MESSAGE".
  std::string to_string() const;
};

/// A rules file is malformed: unreadable, JSON syntax error, unknown rule kind or field, wrong
/// type, bad regex, out-of-range value. what() is the first problem on one line (plus "(and N
/// more problems)"); problems() lists all of them.
class RulesError : public vigil::Error {
 public:
  explicit RulesError(std::vector<Problem> problems);
  const std::vector<Problem>& problems() const noexcept { return problems_; }

 private:
  std::vector<Problem> problems_;
};

/// A caller passed a malformed value to the rules API (path text, severity name, ...).
/// The message names the input and what was expected. Exit code kExitUsage.
class InvalidArgument : public vigil::InvalidArgument {
 public:
  using vigil::InvalidArgument::InvalidArgument;
};

}  // namespace vigil::rules
