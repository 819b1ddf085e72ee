// `curator worker`: runs jobs from the data folder's queue without an HTTP server, beside a `curator serve`
// (which may then run with jobs.workers = 0) or other workers, until SIGINT or SIGTERM.
#include "cli/app_config.hpp"
#include "cli/commands.hpp"
#include "cli/shutdown.hpp"
#include "core/logging.hpp"
#include "core/setting_keys.hpp"
#include "core/stop_signals.hpp"
#include "retrain/torch_runtime.hpp"
#include "serve/job_host.hpp"
#include "serve/model_loop.hpp"
#include "serve/services.hpp"

#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>

namespace curator::cli {

namespace {

struct WorkerOptions : DataOptions {
  std::string kinds; ///< comma-separated; empty: every kind
  int threads = 0;   ///< 0: jobs.workers (at least 1)
};

int run_worker(const WorkerOptions& options) {
  core::Config config = load_config(options);
  core::StopSignals stop_signals; // before any thread starts
  std::vector<std::string> names;
  std::stringstream list(options.kinds);
  for (std::string name; std::getline(list, name, ',');)
    if (!name.empty()) names.push_back(name);
  serve::JobHostOptions host_options;
  host_options.role = "worker";
  host_options.only_kinds = serve::JobHost::expand_kinds(names);
  host_options.workers =
      options.threads > 0 ? options.threads : std::max<int>(1, static_cast<int>(config.get(core::keys::jobs_workers)));
  core::SystemClock clock;
  serve::Services services(config, clock);
  retrain::configure_torch(static_cast<int>(config.get(core::keys::torch_threads)));
  serve::ModelLoop loop(services, config, clock); // its job handlers; the scheduler stays with `serve`
  serve::JobHost host(services, loop, config, clock, host_options);
  host.start();
  auto log = core::logger("worker");
  std::string kinds;
  for (const auto& k : host.kinds()) kinds += (kinds.empty() ? "" : ", ") + k;
  log->info("worker running {} job threads for {} (data folder {})", host_options.workers, kinds,
            services.dir.root().string());
  const std::chrono::seconds grace(config.get(core::keys::jobs_shutdown_grace_seconds));
  return wait_then_stop(stop_signals, "worker", [&host, grace](const char* sig) { return host.stop(sig, grace); });
}

} // namespace

void add_worker_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<WorkerOptions>();
  auto* cmd = app.add_subcommand("worker", "Run jobs without the HTTP server, beside `curator serve` and other "
                                           "workers on the same data folder, until SIGINT or SIGTERM.");
  add_data_options(*cmd, *options);
  cmd->add_option("--kinds", options->kinds,
                  "Job kinds to run, comma-separated: ingest, score, dataset, train, or kinds such as "
                  "ingest.video (default: all)");
  cmd->add_option("--threads", options->threads, "Job threads (default: jobs.workers, at least 1)")->check(CLI::Range(1, 64));
  cmd->callback([options, &exit_code] { exit_code = run_worker(*options); });
}

} // namespace curator::cli
