#include "log.h"

#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace vigil::tracker::detail {

std::shared_ptr<spdlog::logger> logger() {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  if (auto existing = spdlog::get("vigil")) return existing;
  auto created = spdlog::stderr_color_mt("vigil");
  return created;
}

}  // namespace vigil::tracker::detail
