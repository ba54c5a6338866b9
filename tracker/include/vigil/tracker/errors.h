#pragma once

#include <string>
#include <utility>
#include <vector>

#include "vigil/tracker/types.h"

#include "vigil/error.h"

namespace vigil::tracker {

/// Base of every runtime error the tracker throws (I/O, corrupt store, lookups); a vigil::Error.
class Error : public vigil::Error {
 public:
  using vigil::Error::Error;
};

/// A caller passed a malformed value (URI, filter expression, status name, time...).
/// The message names the input and what was expected. Exit code kExitUsage.
class InvalidArgument : public vigil::InvalidArgument {
 public:
  using vigil::InvalidArgument::InvalidArgument;
};

/// The store cannot be used: not a vigil store, corrupt, written by a newer vigil, or the file
/// cannot be opened/created. Nothing in the file is changed when this is thrown.
class StoreError : public Error {
 public:
  using Error::Error;
};

/// A store opened read-only was written by an older vigil and needs its schema upgraded, which
/// only a writer does (`vigil store migrate`, or any command or run that writes to it).
class StoreNeedsUpgrade : public StoreError {
 public:
  using StoreError::StoreError;
};

/// A write failed because the store has no room: the disk or the user's quota is full, or a
/// file size limit was reached. Everything committed before is intact; a run that ends while
/// its store is full is stored `failed` (when a final write fits) with an error saying so.
class StoreFull : public StoreError {
 public:
  using StoreError::StoreError;
};

/// No run matches the given id or prefix. Exit code kExitNotFound.
class RunNotFound : public Error {
 public:
  explicit RunNotFound(const std::string& message) : Error(message, kExitNotFound) {}
};

/// An id prefix or run name matches more than one run; the message lists the candidates, and
/// candidates() holds them (when the thrower knew them) for callers that print one per line.
/// Exit code kExitNotFound.
class AmbiguousRunId : public Error {
 public:
  explicit AmbiguousRunId(const std::string& message, std::vector<RunRef> candidates = {})
      : Error(message, kExitNotFound), candidates_(std::move(candidates)) {}
  /// The matching runs, by id (at most a handful; empty when unknown).
  const std::vector<RunRef>& candidates() const noexcept { return candidates_; }

 private:
  std::vector<RunRef> candidates_;
};

}  // namespace vigil::tracker
