#pragma once
//! The route table: every HTTP endpoint of curator is listed in build_routes(), nowhere else.
#include "core/config.hpp"
#include "core/database.hpp"
#include "core/job_queue.hpp"
#include "core/worker_pool.hpp"
#include "serve/http_types.hpp"
#include "serve/metrics.hpp"

#include <vector>

namespace curator::serve {

/// What handlers may use; owned by the Daemon and alive as long as the server runs.
struct ServiceContext {
  const core::Config& config;
  core::Database& db;
  core::JobQueue& jobs;
  core::WorkerPool& workers;
  Metrics& metrics;
  int64_t started_ms;
};

std::vector<Route> build_routes(ServiceContext& ctx);

} // namespace curator::serve
