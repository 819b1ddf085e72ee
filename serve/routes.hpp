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

/// What handlers may use: every service the daemon runs, none optional, so a route can never meet a
/// missing one. Owned by the Daemon and alive as long as the server runs; each member is as thread-safe
/// as its own header says.
struct ServiceContext {
  const core::Config& config;
  core::Database& db;
  core::JobQueue& jobs;
  core::WorkerPool& workers;
  Metrics& metrics;
  int64_t started_ms;
  core::DataDir data_dir;
  const core::BlobStore& blobs;
  ingest::IngestService& ingest;
  WebServices& web;   ///< accounts, sessions, reviews, rate limits
  ModelLoop& models;  ///< registry, scheduler, scoring
};

/// Every route of the table, each wrapped so its access rule is checked before its handler runs.
std::vector<Route> build_routes(ServiceContext& ctx);


} // namespace curator::serve
