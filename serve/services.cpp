#include "serve/services.hpp"

#include "core/logging.hpp"
#include "core/migrations.hpp"
#include "core/setting_keys.hpp"
#include "core/worker_pool.hpp"
#include "labeling/review_queue.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>
#include <unistd.h>

namespace curator::serve {

Services::Services(const core::Config& cfg, const core::Clock& clock,
                   std::shared_ptr<faces::SharedFacePipeline> shared_faces)
    : dir(cfg.get(core::keys::data_dir)) {
  dir.create();
  db = std::make_unique<core::Database>(dir.database(), static_cast<int>(cfg.get(core::keys::db_busy_timeout_ms)));
  {
    auto conn = db->connect();
    core::migrate(*conn);
  }
  blobs = std::make_unique<core::BlobStore>(dir.blobs());
  core::RetryPolicy policy;
  policy.max_attempts = static_cast<int>(cfg.get(core::keys::jobs_max_attempts));
  policy.backoff_base_s = cfg.get(core::keys::jobs_backoff_base_seconds);
  policy.backoff_max_s = cfg.get(core::keys::jobs_backoff_max_seconds);
  policy.lease_ms = cfg.get(core::keys::jobs_lease_seconds) * 1000;
  jobs = std::make_unique<core::JobQueue>(*db, clock, policy);
  faces = shared_faces ? std::move(shared_faces)
                       : std::make_shared<faces::SharedFacePipeline>(cfg.get(core::keys::faces_models_dir));
  ingest = std::make_unique<ingest::IngestService>(*db, *blobs, *jobs, clock, dir, ingest::IngestSettings::from_config(cfg),
                                                   [f = faces.get()]() -> const faces::FacePipeline& { return f->get(); });
  // A new video waits for review and gets (or inherits) its split soon: one pending refresh is enough.
  const double random_share = cfg.get(core::keys::review_random_share);
  ingest->on_ingested([&clock, queue = jobs.get(), random_share](SQLite::Database& conn,
                                                                 const ingest::Submission& submission) {
    labeling::ReviewQueue::open_item(conn, submission, clock.now_ms(), random_share);
    if (!core::JobQueue::has_pending(conn, core::jobs::kDatasetRefresh.name))
      queue->enqueue(conn, core::JobSpec::of(core::jobs::kDatasetRefresh));
  });
}

void run_ingest_until_finished(Services& s, const core::Config& cfg, const std::vector<int64_t>& ids) {
  core::WorkerPoolOptions o;
  o.workers = std::max<int>(1, static_cast<int>(cfg.get(core::keys::jobs_workers)));
  o.poll_interval = std::chrono::milliseconds(cfg.get(core::keys::jobs_poll_interval_ms));
  o.heartbeat_interval = std::chrono::milliseconds(std::max<int64_t>(s.jobs->policy().lease_ms / 3, 100));
  o.owner = "cli-pid" + std::to_string(::getpid());
  o.limits = core::JobLimits::from_config(cfg);
  core::WorkerPool pool(*s.jobs, o);
  s.ingest->register_jobs(pool);
  pool.start();
  auto pending = [&] {
    return std::any_of(ids.begin(), ids.end(), [&](int64_t id) { return s.ingest->unfinished(id); });
  };
  while (pending()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  pool.stop(std::chrono::seconds(cfg.get(core::keys::jobs_shutdown_grace_seconds)));
}

} // namespace curator::serve
