#include "serve/daemon.hpp"
#include "core/setting_keys.hpp"
#include "serve/daemon_runs.hpp"

#include "core/blob_store.hpp"
#include "core/data_dir.hpp"
#include "core/database.hpp"
#include "core/job_queue.hpp"
#include "core/logging.hpp"
#include "core/migrations.hpp"
#include "serve/services.hpp"
#include "retrain/torch_runtime.hpp"
#include "serve/http_server.hpp"
#include "serve/job_host.hpp"
#include "serve/routes.hpp"
#include "serve/model_loop.hpp"
#include "serve/web_auth.hpp"

#include <spdlog/spdlog.h>

#include <unistd.h>

namespace curator::serve {

struct Daemon::Impl {
  const core::Config& config;
  DaemonOptions options;
  core::SystemClock system_clock;
  const core::Clock& clock;
  core::DataDir dir;
  std::unique_ptr<core::ProcessLock> lock;
  std::unique_ptr<Services> services;
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<WebServices> web;
  std::unique_ptr<ModelLoop> loop;
  std::unique_ptr<JobHost> host; ///< the job workers (after the loop: their handlers use it)
  std::unique_ptr<ServiceContext> context;
  std::unique_ptr<HttpServer> http;
  int64_t run_id = 0;
  bool started = false;

  Impl(const core::Config& c, DaemonOptions o)
      : config(c), options(std::move(o)), clock(options.clock ? *options.clock : system_clock),
        dir(c.get(core::keys::data_dir)) {}

  void record_start(int port) {
    {
      auto conn = services->db->connect();
      run_id = DaemonRuns::start(*conn, ::getpid(), CURATOR_VERSION, config.get(core::keys::server_host), port, clock.now_ms());
    }
    nlohmann::json info = {{"pid", ::getpid()},
                           {"host", config.get(core::keys::server_host)},
                           {"port", port},
                           {"started_ms", clock.now_ms()},
                           {"version", CURATOR_VERSION}};
    core::write_file_atomic(dir.daemon_file(), info.dump() + "\n");
  }

  void record_stop(const std::string& reason) {
    std::error_code ec;
    std::filesystem::remove(dir.daemon_file(), ec);
    auto conn = services->db->connect();
    DaemonRuns::stop(*conn, run_id, reason, clock.now_ms());
  }
};

Daemon::Daemon(const core::Config& config, DaemonOptions options)
    : impl_(std::make_unique<Impl>(config, std::move(options))) {}

Daemon::~Daemon() {
  if (impl_->started) stop("destroyed");
}

void Daemon::start() {
  auto& s = *impl_;
  auto log = core::logger("daemon");
  const auto& cfg = s.config;
  s.dir.create();
  s.lock = std::make_unique<core::ProcessLock>(s.dir.daemon_lock());
  s.services = std::make_unique<Services>(cfg, s.clock);
  log->info("database {} at schema version {}", s.dir.database().string(), core::schema_migrations().size());
  if (size_t swept = s.services->blobs->sweep_temp(3600)) log->info("removed {} stale temporary blob files", swept);
  if (int dead = s.services->ingest->reconcile_dead_jobs()) log->warn("{} submissions failed: their jobs died", dead);
  retrain::configure_torch(static_cast<int>(cfg.get(core::keys::torch_threads)));
  s.loop = std::make_unique<ModelLoop>(*s.services, cfg, s.clock);
  JobHostOptions host_options;
  host_options.extra_kinds = s.options.extra_job_kinds;
  s.host = std::make_unique<JobHost>(*s.services, *s.loop, cfg, s.clock, std::move(host_options));
  if (int n = s.loop->reconcile()) log->warn("{} retrain rounds were interrupted: their process stopped", n);

  s.metrics = std::make_unique<Metrics>();
  s.web = std::make_unique<WebServices>(*s.services->db, s.clock, cfg);
  s.context = std::make_unique<ServiceContext>(
      ServiceContext{cfg,           *s.services->db, *s.services->jobs,      s.host->workers(), *s.metrics, s.clock.now_ms(),
                     s.dir,         *s.services->blobs, *s.services->ingest, *s.web,     *s.loop});
  HttpServerOptions hopts;
  hopts.host = cfg.get(core::keys::server_host);
  hopts.port = static_cast<int>(cfg.get(core::keys::server_port));
  hopts.threads = static_cast<int>(cfg.get(core::keys::server_threads));
  hopts.head_timeout = std::chrono::seconds(cfg.get(core::keys::server_head_timeout_s));
  hopts.body_idle_timeout = std::chrono::seconds(cfg.get(core::keys::server_body_idle_timeout_s));
  hopts.max_head_bytes = static_cast<size_t>(cfg.get(core::keys::server_max_head_kb)) << 10;
  hopts.max_body_bytes = static_cast<size_t>(cfg.get(core::keys::server_max_body_kb)) << 10;
  hopts.max_upload_bytes = static_cast<size_t>((cfg.get(core::keys::ingest_max_upload_mb) + 1) << 20); // + form fields
  hopts.min_upload_rate = static_cast<size_t>(cfg.get(core::keys::server_min_upload_kb_per_s)) << 10;
  hopts.max_connections = static_cast<int>(cfg.get(core::keys::server_max_connections));
  hopts.max_connections_per_address = static_cast<int>(cfg.get(core::keys::server_max_connections_per_address));
  hopts.max_uploads = static_cast<int>(cfg.get(core::keys::server_max_uploads));
  hopts.trusted_proxies = cfg.get(core::keys::web_trusted_proxies);
  s.http = std::make_unique<HttpServer>(hopts, build_routes(*s.context), *s.metrics);

  const int port = s.http->start();
  s.record_start(port); // before any job runs, so every job attempt belongs to a recorded run
  s.host->start();
  s.loop->start();
  s.started = true;
  log->info("curator {} serving on http://{}:{} (data folder {})", CURATOR_VERSION, hopts.host, port,
            s.dir.root().string());
}

bool Daemon::stop(const std::string& reason) {
  auto& s = *impl_;
  if (!s.started) return true;
  s.started = false;
  auto log = core::logger("daemon");
  log->info("stopping ({})", reason);
  s.http->stop();
  s.loop->stop(); // no new rounds; a running one stops after its epoch (the worker pool's stop flag)
  const auto grace = std::chrono::seconds(s.config.get(core::keys::jobs_shutdown_grace_seconds));
  const bool clean = s.host->stop(reason, grace);
  s.record_stop(clean ? reason : reason + " (handlers abandoned)");
  log->info("stopped");
  return clean;
}

int Daemon::port() const { return impl_->http ? impl_->http->port() : 0; }
core::Database& Daemon::database() { return *impl_->services->db; }
core::JobQueue& Daemon::jobs() { return *impl_->services->jobs; }
ingest::IngestService& Daemon::ingest() { return *impl_->services->ingest; }

} // namespace curator::serve
