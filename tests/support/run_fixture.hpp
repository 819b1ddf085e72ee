#pragma once
// Recorded training runs without training: parameters from the seed study's space, per-epoch curves,
// and test metrics computed by the real summarize_scores() from made-up scores of given test videos
// (each run a little better or worse at each source). For the dashboard's tests and measurements.
#include "core/database.hpp"
#include "retrain/search.hpp"

#include <string>
#include <vector>

namespace curator::test {

struct FixtureVideo {
  int64_t video = 0;
  std::string source, label; ///< label: real or fake
  int faces = 2;             ///< test faces (track 0, frames 0, 10, 20...: DatasetFixture's)
};

struct RunFixtureOptions {
  std::string id_prefix = "run";
  std::string experiment_id;          ///< recorded on every run (empty: none)
  std::vector<std::string> sources;   ///< training sources cycle through these and "all"
  int count = 50;
  uint64_t seed = 1;
  int bootstrap = 50;                 ///< resamples of the intervals (small: fixtures are many)
};

/// Writes `o.count` finished runs (retrain::save_run); returns them in order.
std::vector<retrain::RunRecord> add_runs(core::Database& db, const std::vector<FixtureVideo>& test_videos,
                                         const RunFixtureOptions& o);

} // namespace curator::test
