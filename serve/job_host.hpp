#pragma once
//! The job-running half of curator, shared by `curator serve` (with jobs.workers > 0) and `curator worker`
//! (no HTTP): the worker pool with every job kind the product has (ingest, downloads on their own small
//! pool, scoring, review scores, split refreshes, retraining rounds, blob clean-up), their limits
//! (core/job_limits.hpp), and this process's row in the workers table (core/worker_registry.hpp), kept
//! fresh while it runs. Any number of hosts may run against one data folder: the queue's leases make
//! each job run in one place at a time, and a host killed mid-job loses nothing (its leases expire).
//! start() and stop() from one thread.
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/worker_pool.hpp"
#include "core/worker_registry.hpp"
#include "serve/model_loop.hpp"
#include "serve/services.hpp"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace curator::serve {

struct JobHostOptions {
  std::string role = "serve";           ///< how the workers table names this process: serve or worker
  int workers = -1;                     ///< job threads; -1: jobs.workers
  std::vector<std::string> only_kinds;  ///< kinds to run (empty: all)
  std::vector<std::pair<std::string, core::JobHandler>> extra_kinds; ///< tests and tools
};

class JobHost {
public:
  JobHost(Services& services, ModelLoop& loop, const core::Config& config, const core::Clock& clock,
          JobHostOptions options);
  ~JobHost();
  JobHost(const JobHost&) = delete;
  JobHost& operator=(const JobHost&) = delete;

  /// Enrolls this process (when it runs any job thread) and starts the pools.
  void start();
  /// Stops the pools within the grace period and records the stop. False when handlers were abandoned.
  bool stop(const std::string& reason, std::chrono::milliseconds grace);

  core::WorkerPool& workers() { return *workers_; }
  /// Every job kind this host runs (both pools).
  std::vector<std::string> kinds() const;
  /// Expands the names `curator worker --kinds` accepts: job kinds, or the groups ingest (ingest.video,
  /// ingest.fetch, blob.forget), score (score.video, review.score), dataset (dataset.refresh), train
  /// (model.retrain). Throws InvalidInput for an unknown name.
  static std::vector<std::string> expand_kinds(const std::vector<std::string>& names);

private:
  void beat();

  Services& services_;
  const core::Config& config_;
  const core::Clock& clock_;
  JobHostOptions options_;
  int threads_ = 0; ///< job threads of the main pool
  std::unique_ptr<core::WorkerPool> workers_;
  std::unique_ptr<core::WorkerPool> fetchers_; ///< downloads of submitted URLs only
  core::WorkerRegistry registry_;
  int64_t enrolled_ = 0;
  std::thread beat_thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

} // namespace curator::serve
