#pragma once

#include <cstdint>
#include <string>

namespace vigil::tracker::detail {

/// This machine's host name (gethostname), cached.
const std::string& host_name();

/// The command line of this process from /proc/self/cmdline, arguments joined by spaces.
std::string own_command_line();

/// True when `pid` is certainly gone on this host (kill(pid, 0) fails with ESRCH).
bool process_is_dead(std::int64_t pid);

/// 32 lower-case hex characters from the OS random source.
std::string random_run_id();

/// Milliseconds since the Unix epoch from a coarse (cheap, ~1-4 ms resolution) clock.
std::int64_t coarse_now_ms() noexcept;

}  // namespace vigil::tracker::detail
