#pragma once
// The end of a long-running subcommand (serve, worker): wait for SIGINT or SIGTERM, then stop gracefully.
#include "core/stop_signals.hpp"

#include <functional>
#include <string>

namespace curator::cli {

/// Waits for a stop signal, logs it on the `logger` named, and calls `stop(signal name)`, which returns
/// whether every job handler finished. A second signal meanwhile exits at once (status 130: leases expire
/// and the jobs run again elsewhere or after a restart). Returns 0; when `stop` left handlers running, the
/// process leaves without destructors (they still reference what the destructors would free).
int wait_then_stop(core::StopSignals& signals, const std::string& logger, const std::function<bool(const char*)>& stop);

} // namespace curator::cli
