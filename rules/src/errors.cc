#include "vigil/rules/errors.h"

#include <string>
#include <utility>

namespace vigil::rules {
namespace {

std::string summarize(const std::vector<Problem>& problems) {
  if (problems.empty()) return "invalid rules";
  std::string text = problems.front().to_string();
  if (problems.size() > 1) {
    const auto more = problems.size() - 1;
    text += " (and " + std::to_string(more) + " more problem" + (more == 1 ? "" : "s") + ")";
  }
  return text;
}

}  // namespace

std::string Problem::to_string() const {
  std::string text = source.empty() ? std::string("<rules>") : source;
  if (line > 0) {
    text += ":" + std::to_string(line) + ":" + std::to_string(column);
  }
  if (!pointer.empty()) text += ": " + pointer;
  text += ": " + message;
  return text;
}

RulesError::RulesError(std::vector<Problem> problems)
    : vigil::Error(summarize(problems)), problems_(std::move(problems)) {}

}  // namespace vigil::rules
