#include "cli/app_config.hpp"
#include "cli/commands.hpp"
#include "core/logging.hpp"
#include "serve/daemon.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <memory>
#include <thread>

namespace curator::cli {

namespace {

int run_serve(const DataOptions& options) {
  core::Config config = load_config(options);
  // Block the stop signals in every thread (threads inherit the mask) and wait for them here, so
  // shutdown runs in ordinary code rather than in a signal handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  serve::Daemon daemon(config);
  daemon.start();
  int sig = 0;
  sigwait(&stop_signals, &sig);
  auto log = core::logger("daemon");
  log->info("received {}, shutting down (send it again to exit at once)", sig == SIGINT ? "SIGINT" : "SIGTERM");
  std::thread([stop_signals] {
    int again = 0;
    sigwait(&stop_signals, &again);
    std::_Exit(130); // leases expire and jobs re-run after restart; the database stays consistent
  }).detach();
  const bool clean = daemon.stop(sig == SIGINT ? "SIGINT" : "SIGTERM");
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
