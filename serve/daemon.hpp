#pragma once
//! The long-running service behind `curator serve`: takes the data folder's single-instance lock,
//! migrates the database, starts the job workers and the HTTP server, and records the run. stop() is
//! graceful: HTTP first, then workers finish or release their jobs within the configured grace period.
//! A run killed without stop() leaves a daemon_runs row with no stop time; its leased jobs are leased
//! again after their lease expires. Construct, start and stop from one thread.
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/worker_pool.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace curator::core {
class Database;
class JobQueue;
} // namespace curator::core
namespace curator::ingest {
class IngestService;
}

namespace curator::serve {

struct DaemonOptions {
  /// Extra job kinds (tests, tools); the daemon registers the product's own kinds itself.
  std::vector<std::pair<std::string, core::JobHandler>> extra_job_kinds;
  const core::Clock* clock = nullptr; ///< defaults to the system clock
};

class Daemon {
public:
  Daemon(const core::Config& config, DaemonOptions options = {});
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  /// Throws curator::Error when the folder is locked, the schema is too new or the port is taken.
  void start();
  /// Returns false when some job handlers did not finish in the grace period (their leases were
  /// released; the caller should exit the process promptly).
  bool stop(const std::string& reason);

  int port() const;
  core::Database& database();
  core::JobQueue& jobs();
  ingest::IngestService& ingest();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace curator::serve
