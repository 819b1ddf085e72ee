#include "serve/services.hpp"

#include "core/logging.hpp"
#include "core/migrations.hpp"
#include "core/worker_pool.hpp"

#include <SQLiteCpp/Statement.h>
#include <spdlog/spdlog.h>

#include <thread>
#include <unistd.h>

namespace curator::serve {

Services::Services(const core::Config& cfg, const core::Clock& clock) : dir(cfg.get_path("data.dir")) {
  dir.create();
  db = std::make_unique<core::Database>(dir.database(), static_cast<int>(cfg.get_int("db.busy_timeout_ms")));
  {
    auto conn = db->connect();
    core::migrate(*conn);
  }
  blobs = std::make_unique<core::BlobStore>(dir.blobs());
  core::RetryPolicy policy;
  policy.max_attempts = static_cast<int>(cfg.get_int("jobs.max_attempts"));
  policy.backoff_base_s = cfg.get_double("jobs.backoff_base_seconds");
  policy.backoff_max_s = cfg.get_double("jobs.backoff_max_seconds");
  policy.lease_ms = cfg.get_int("jobs.lease_seconds") * 1000;
  jobs = std::make_unique<core::JobQueue>(*db, clock, policy);
  faces = std::make_unique<faces::SharedFacePipeline>(cfg.get_path("faces.models_dir"));
  ingest = std::make_unique<ingest::IngestService>(*db, *blobs, *jobs, clock, dir, ingest::IngestSettings::from_config(cfg),
                                                   [f = faces.get()]() -> const faces::FacePipeline& { return f->get(); });
}

void run_ingest_until_finished(Services& s, const core::Config& cfg, const std::vector<int64_t>& ids) {
  core::WorkerPoolOptions o;
  o.workers = std::max<int>(1, static_cast<int>(cfg.get_int("jobs.workers")));
  o.poll_interval = std::chrono::milliseconds(cfg.get_int("jobs.poll_interval_ms"));
  o.heartbeat_interval = std::chrono::milliseconds(std::max<int64_t>(s.jobs->policy().lease_ms / 3, 100));
  o.owner = "cli-pid" + std::to_string(::getpid());
  core::WorkerPool pool(*s.jobs, o);
  s.ingest->register_jobs(pool);
  pool.start();
  auto pending = [&] {
    auto conn = s.db->connect();
    for (int64_t id : ids) {
      SQLite::Statement q(*conn, "SELECT s.state, (SELECT state FROM jobs WHERE dedupe_key = 'ingest:' || s.id) FROM "
                                 "submissions s WHERE s.id = ?");
      q.bind(1, id);
      if (!q.executeStep()) continue;
      const std::string state = q.getColumn(0).getString();
      const std::string job = q.getColumn(1).isNull() ? "" : q.getColumn(1).getString();
      if ((state == "queued" || state == "processing") && job != "dead") return true;
    }
    return false;
  };
  while (pending()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  pool.stop(std::chrono::seconds(cfg.get_int("jobs.shutdown_grace_seconds")));
}

} // namespace curator::serve
