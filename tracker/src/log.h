#pragma once

#include <memory>

#include <spdlog/logger.h>

namespace vigil::tracker::detail {

/// The library's named logger "vigil": the registered one if the host program created it,
/// else a new stderr logger registered under that name. Never touches spdlog's default logger.
/// Thread-safe.
std::shared_ptr<spdlog::logger> logger();

}  // namespace vigil::tracker::detail
