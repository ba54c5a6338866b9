#pragma once

#include <memory>

namespace vigil::tracker::detail {

class RunState;

/// Registers a live run for SIGINT/SIGTERM handling, installing the process-wide handlers
/// on first use (a signal whose disposition is SIG_IGN is left alone). On a signal, a
/// dedicated thread flushes every registered run, stores it `killed`, restores the previous
/// disposition and re-raises the signal. The handler itself only writes the signal number to
/// a pipe (async-signal-safe); a second signal during the flush terminates at once.
/// Thread-safe.
void watch_signals(const std::shared_ptr<RunState>& run);

/// Forgets a run (called when it ends).
void unwatch_signals(const RunState* run);

}  // namespace vigil::tracker::detail
