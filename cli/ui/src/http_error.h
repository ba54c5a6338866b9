#pragma once

#include <stdexcept>
#include <string>

namespace vigil::ui {

/// A request the API refuses, with the HTTP status to answer (400, 403, 404, 405, 415...).
/// The message is sent to the client as {"error": message}.
class HttpError : public std::runtime_error {
 public:
  HttpError(int status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  int status() const noexcept { return status_; }

 private:
  int status_;
};

}  // namespace vigil::ui
