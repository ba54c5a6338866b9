#pragma once

#include <string>

#include "vigil/error.h"

namespace vigil::ui {

/// A request the API refuses, with the HTTP status to answer (400, 403, 404, 405, 415...).
/// The message is sent to the client as {"error": message}.
class HttpError : public vigil::Error {
 public:
  HttpError(int status, const std::string& message) : vigil::Error(message), status_(status) {}
  int status() const noexcept { return status_; }

 private:
  int status_;
};

}  // namespace vigil::ui
