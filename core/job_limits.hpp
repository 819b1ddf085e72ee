#pragma once
//! What one job may spend: wall time per kind, and for kinds that decode untrusted input a share of the
//! process's memory. A WorkerPool checks both while a job runs (WorkerPool's watch interval) and marks an
//! offending job's JobContext; the handler stops at its next JobContext::check_cancelled() with
//! JobLimitExceeded. Limits are cooperative: a handler that never checks is never stopped, so every handler
//! of a limited kind checks once per decoded frame, batch or step. Value type; no shared state.
#include "core/config.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace curator::core {

struct JobLimit {
  std::chrono::seconds max_time{0}; ///< 0: no time limit
  bool memory_capped = false;       ///< stopped while the process is over JobLimits::max_rss_bytes
};

struct JobLimits {
  std::map<std::string, JobLimit> per_kind; ///< kinds not named here have no limit
  uint64_t max_rss_bytes = 0;               ///< 0: no memory cap

  /// jobs.ingest_max_seconds (ingest.video, ingest.fetch), jobs.score_max_seconds (score.video,
  /// review.score), jobs.round_max_seconds (model.retrain), jobs.max_rss_mb (the kinds that decode
  /// what clients send: ingest.video, score.video, review.score).
  static JobLimits from_config(const Config& config);
  std::optional<JobLimit> of(const std::string& kind) const;
};

/// The process's resident set in bytes now (/proc/self/statm); 0 where it cannot be read.
uint64_t resident_bytes();

} // namespace curator::core
