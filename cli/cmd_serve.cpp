#include "cli/app_config.hpp"
#include "cli/commands.hpp"
#include "core/logging.hpp"
#include "core/stop_signals.hpp"
#include "serve/daemon.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <memory>
#include <thread>

namespace curator::cli {

namespace {

int run_serve(const DataOptions& options) {
  core::Config config = load_config(options);
  core::StopSignals stop_signals; // before the daemon's threads start; shutdown runs in ordinary code

  serve::Daemon daemon(config);
  daemon.start();
  const char* sig = core::StopSignals::name(stop_signals.wait());
  auto log = core::logger("daemon");
  log->info("received {}, shutting down (send it again to exit at once)", sig);
  std::thread([&stop_signals] {
    stop_signals.wait();
    std::_Exit(130); // leases expire and jobs re-run after restart; the database stays consistent
  }).detach();
  const bool clean = daemon.stop(sig);
  spdlog::shutdown();
  if (!clean) std::_Exit(0); // abandoned job threads still run: leave without destructors
  return 0;
}

} // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<DataOptions>();
  auto* cmd = app.add_subcommand("serve", "Run the daemon: HTTP server and job workers on the data "
                                          "folder, until SIGINT (Ctrl-C) or SIGTERM stops it cleanly.");
  add_data_options(*cmd, *options);
  cmd->callback([options, &exit_code] { exit_code = run_serve(*options); });
}

} // namespace curator::cli
