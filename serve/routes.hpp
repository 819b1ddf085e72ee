#pragma once
//! The route table: every HTTP endpoint of curator, who may call it and what it needs, is listed in
//! routes.cpp (kRoutes), nowhere else; handlers are declared in handlers.hpp.
#include "core/blob_store.hpp"
#include "core/config.hpp"
#include "core/data_dir.hpp"
#include "core/database.hpp"
#include "core/job_queue.hpp"
#include "core/worker_pool.hpp"
#include "serve/http_types.hpp"
#include "serve/metrics.hpp"

#include <vector>

namespace curator::ingest {
class IngestService;
}

namespace curator::serve {

struct WebServices;
class ModelLoop;

/// What handlers may use; owned by the Daemon and alive as long as the server runs.
struct ServiceContext {
  const core::Config& config;
  core::Database& db;
  core::JobQueue& jobs;
  core::WorkerPool& workers;
  Metrics& metrics;
  int64_t started_ms;
  core::DataDir data_dir;
  const core::BlobStore* blobs = nullptr;
  ingest::IngestService* ingest = nullptr; ///< null in servers that run no ingest
  WebServices* web = nullptr;  ///< accounts, reviews, limits; null in bare servers
  ModelLoop* models = nullptr; ///< registry, scheduler, scoring; null in bare servers
};

/// The routes this context can serve (a route whose needs are null in `ctx` is left out), each wrapped
/// so its access rule is checked before its handler runs.
std::vector<Route> build_routes(ServiceContext& ctx);


} // namespace curator::serve
