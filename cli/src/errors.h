#pragma once

#include "vigil/error.h"

namespace vigil::cli {

/// A command line that CLI11 accepts but that makes no sense, e.g. a bad filter value or a
/// missing --yes. main() prints it as one line and exits with code 2 (kExitUsage).
class UsageError : public vigil::InvalidArgument {
 public:
  using vigil::InvalidArgument::InvalidArgument;
};

}  // namespace vigil::cli
