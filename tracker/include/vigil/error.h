#pragma once

#include <stdexcept>
#include <string>

namespace vigil {

/// Exit codes of the `vigil` command and of programs built on vigil (vigil-mnist): what a
/// vigil::Error asks its process to end with.
inline constexpr int kExitFailure = 1;   ///< any other failure (I/O, corrupt store, bad rules file)
inline constexpr int kExitUsage = 2;     ///< a malformed argument or option: fix the command line
inline constexpr int kExitNotFound = 3;  ///< no run matches the id, or a prefix is ambiguous
inline constexpr int kExitRefused = 3;   ///< a guard refused the run before its first step
inline constexpr int kExitAborted = 4;   ///< a guard aborted the run during training

/// Root of every exception vigil throws (tracker, rules, plugin, the `vigil` command and its
/// dashboard): `catch (const vigil::Error&)` catches them all, and exit_code() says how a
/// program should end because of it (CLI11's CLI::Error::get_exit_code()). what() names the
/// input and what was expected.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, int exit_code = kExitFailure)
      : std::runtime_error(message), exit_code_(exit_code) {}
  /// The process exit code for this error: one of the kExit* constants above.
  [[nodiscard]] int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

/// A caller passed a malformed value (URI, filter, option, rule path...): a usage error, exit
/// code kExitUsage. Each component's InvalidArgument derives from it.
class InvalidArgument : public Error {
 public:
  explicit InvalidArgument(const std::string& message) : Error(message, kExitUsage) {}
};

}  // namespace vigil
