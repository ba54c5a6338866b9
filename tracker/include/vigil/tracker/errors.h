#pragma once

#include <stdexcept>
#include <string>

namespace vigil::tracker {

/// Base of every runtime error the tracker throws (I/O, corrupt store, lookups).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A caller passed a malformed value (URI, filter expression, status name, time...).
/// The message names the input and what was expected.
class InvalidArgument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// The store cannot be used: not a vigil store, corrupt, written by a newer vigil, or the file
/// cannot be opened/created. Nothing in the file is changed when this is thrown.
class StoreError : public Error {
 public:
  using Error::Error;
};

/// A write failed because the store has no room: the disk or the user's quota is full, or a
/// file size limit was reached. Everything committed before is intact; a run that ends while
/// its store is full is stored `failed` (when a final write fits) with an error saying so.
class StoreFull : public StoreError {
 public:
  using StoreError::StoreError;
};

/// No run matches the given id or prefix.
class RunNotFound : public Error {
 public:
  using Error::Error;
};

/// A prefix matches more than one run; the message lists the candidates.
class AmbiguousRunId : public Error {
 public:
  using Error::Error;
};

}  // namespace vigil::tracker
