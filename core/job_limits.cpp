#include "core/job_limits.hpp"

#include "core/job_kinds.hpp"
#include "core/setting_keys.hpp"

#include <fstream>
#include <unistd.h>

namespace curator::core {

JobLimits JobLimits::from_config(const Config& config) {
  JobLimits limits;
  const std::chrono::seconds ingest(config.get(keys::jobs_ingest_max_seconds));
  const std::chrono::seconds score(config.get(keys::jobs_score_max_seconds));
  const std::chrono::seconds round(config.get(keys::jobs_round_max_seconds));
  limits.per_kind[jobs::kIngestVideo.name] = {ingest, true};
  limits.per_kind[jobs::kIngestFetch.name] = {ingest, false}; // bounded by ingest.max_upload_mb as it streams
  limits.per_kind[jobs::kScoreVideo.name] = {score, true};
  limits.per_kind[jobs::kReviewScore.name] = {score, true};
  limits.per_kind[jobs::kModelRetrain.name] = {round, false};
  limits.max_rss_bytes = static_cast<uint64_t>(config.get(keys::jobs_max_rss_mb)) << 20;
  return limits;
}

std::optional<JobLimit> JobLimits::of(const std::string& kind) const {
  const auto it = per_kind.find(kind);
  if (it == per_kind.end()) return std::nullopt;
  return it->second;
}

uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size_pages = 0, resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return 0;
  return resident_pages * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

} // namespace curator::core
