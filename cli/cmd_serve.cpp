#include "cli/app_config.hpp"
#include "cli/commands.hpp"
#include "cli/shutdown.hpp"
#include "core/stop_signals.hpp"
#include "serve/daemon.hpp"

#include <memory>

namespace curator::cli {

namespace {

int run_serve(const DataOptions& options) {
  core::Config config = load_config(options);
  core::StopSignals stop_signals; // before the daemon's threads start; shutdown runs in ordinary code

  serve::Daemon daemon(config);
  daemon.start();
  return wait_then_stop(stop_signals, "daemon", [&daemon](const char* sig) { return daemon.stop(sig); });
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
