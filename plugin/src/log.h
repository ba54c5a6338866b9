#pragma once

#include <memory>

#include <spdlog/logger.h>

namespace vigil::plugin::detail {

/// The "vigil" spdlog logger: the host program's if it registered one, else a stderr logger
/// created on first use. Never the default logger.
std::shared_ptr<spdlog::logger> logger();

}  // namespace vigil::plugin::detail
