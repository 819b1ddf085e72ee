#pragma once
//! workers: one row per process that runs jobs (`curator serve` with jobs.workers > 0, `curator worker`),
//! with the kinds it runs, a heartbeat and the jobs it holds now; the only code that reads or writes that
//! table. A process that stops cleanly records its stop; one that was killed keeps its last heartbeat,
//! and list() reports it as gone once that is older than `stale_ms`. Its jobs are not affected by this
//! table: their leases expire and another worker runs them (core/job_queue.hpp).
//! Thread-safe: every call is one short statement on a connection of its own.
#include "core/database.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace curator::core {

struct WorkerRecord {
  int64_t id = 0, pid = 0, started_ms = 0, heartbeat_ms = 0;
  std::string host, version;
  std::vector<std::string> kinds;
  std::vector<int64_t> current_jobs;
  std::optional<int64_t> stopped_ms;
  std::optional<std::string> stop_reason;
  bool alive = false; ///< not stopped, and its heartbeat is recent
  nlohmann::json to_json() const;
};

class WorkerRegistry {
public:
  explicit WorkerRegistry(Database& db) : db_(db) {}
  /// Records a starting process; returns its id.
  int64_t enroll(const std::string& host, int64_t pid, const std::vector<std::string>& kinds,
                 const std::string& version, int64_t now_ms);
  void heartbeat(int64_t id, const std::vector<int64_t>& current_jobs, int64_t now_ms);
  void stop(int64_t id, const std::string& reason, int64_t now_ms);
  /// Processes that ran jobs, newest first: those alive, then those stopped or gone within `keep_ms`.
  std::vector<WorkerRecord> list(int64_t now_ms, int64_t stale_ms, int64_t keep_ms = kKeepMs);
  /// The same on the caller's connection (read-only is enough); empty before the table exists.
  static std::vector<WorkerRecord> list(SQLite::Database& conn, int64_t now_ms, int64_t stale_ms,
                                        int64_t keep_ms = kKeepMs);
  static constexpr int64_t kKeepMs = 24 * 3600 * 1000;

private:
  Database& db_;
};

} // namespace curator::core
