#include "cli/shutdown.hpp"

#include "core/logging.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <thread>

namespace curator::cli {

int wait_then_stop(core::StopSignals& signals, const std::string& logger, const std::function<bool(const char*)>& stop) {
  const char* sig = core::StopSignals::name(signals.wait());
  core::logger(logger)->info("received {}, stopping: running jobs finish or are released (send it again to exit at once)",
                             sig);
  std::thread([&signals] {
    signals.wait();
    std::_Exit(130);
  }).detach();
  const bool clean = stop(sig);
  spdlog::shutdown();
  if (!clean) std::_Exit(0);
  return 0;
}

} // namespace curator::cli
