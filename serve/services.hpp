#pragma once
//! The service objects every entry point shares, opened on one data folder: database (migrated), blob
//! store, job queue, face models (loaded on first use) and ingest. The daemon and the CLI's data
//! commands both build exactly this, so they behave the same. Members are thread-safe as documented by
//! their own headers; Services itself is built and destroyed by one thread.
#include "core/blob_store.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/data_dir.hpp"
#include "core/database.hpp"
#include "core/job_queue.hpp"
#include "ingest/faces/face_pipeline.hpp"
#include "ingest/ingest_service.hpp"

#include <memory>

namespace curator::serve {

struct Services {
  /// Creates the data folder and applies migrations. Throws SchemaError for a newer database. Face
  /// models load on first use from faces.models_dir, or come from `shared_faces` (already loaded
  /// models several Services in one process share, e.g. tests).
  Services(const core::Config& config, const core::Clock& clock,
           std::shared_ptr<faces::SharedFacePipeline> shared_faces = nullptr);

  core::DataDir dir;
  std::unique_ptr<core::Database> db;
  std::unique_ptr<core::BlobStore> blobs;
  std::unique_ptr<core::JobQueue> jobs;
  std::shared_ptr<faces::SharedFacePipeline> faces;
  std::unique_ptr<ingest::IngestService> ingest;
};

/// Runs queued jobs in this process (a pool of jobs.workers threads, at least one) until every
/// submission in `ids` has left the queued/processing states or its job is dead.
void run_ingest_until_finished(Services& services, const core::Config& config, const std::vector<int64_t>& ids);

} // namespace curator::serve
