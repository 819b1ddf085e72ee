#pragma once
//! Prometheus metrics of the daemon: HTTP requests and latency per route, job counts by kind and state
//! (read from the database at scrape time, so they are right across restarts). Thread-safe.
#include "core/job_queue.hpp"
#include "core/worker_registry.hpp"

#include <memory>
#include <string>
#include <vector>

namespace curator::serve {

class Metrics {
public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  void observe_request(const std::string& route, const std::string& method, int status, double seconds);
  /// Prometheus text exposition format 0.0.4.
  /// `processes`: the workers table (core/worker_registry.hpp).
  std::string render(const std::vector<core::JobCount>& jobs, int busy_workers,
                     const std::vector<core::WorkerRecord>& processes);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace curator::serve
