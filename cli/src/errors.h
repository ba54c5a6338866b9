#pragma once

#include <stdexcept>

namespace vigil::cli {

/// A command line that CLI11 accepts but that makes no sense, e.g. a bad filter value or a
/// missing --yes. main() prints it as one line and exits with code 2.
class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace vigil::cli
