#pragma once
//! The promotion gate (after TFX's blessing): a candidate replaces the champion only when, on the same
//! frozen test split, no eligible source got worse and at least one got better.
//!  - eligible source: at least `min_test_videos` real and as many fake test videos;
//!  - with a champion: every eligible source needs candidate AUC >= champion AUC - tolerance, and some
//!    eligible source needs candidate AUC > champion AUC + margin;
//!  - without a champion: every eligible source needs candidate AUC >= first_min_auc;
//!  - no eligible source at all: no promotion.
//! Pure function; thread-safe.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace curator::core {
class Config;
}

namespace curator::retrain {

struct GateConfig {
  std::string metric = "frames"; ///< which AUC: frames, videos_mean or videos_confident
  int min_test_videos = 2;
  double tolerance = 0.0;
  double margin = 0.005;
  double first_min_auc = 0.6;
  static GateConfig from_config(const core::Config& config);
  nlohmann::json to_json() const;
};

struct SourceVerdict {
  std::string source;
  bool eligible = false;
  double candidate_auc = 0, champion_auc = 0; ///< NaN when unknown
  std::string verdict; ///< better, equal, worse, below_minimum, passes_minimum, too_few_videos
  std::string reason;  ///< one sentence
};

struct GateDecision {
  bool promote = false;
  std::string summary;
  std::vector<SourceVerdict> sources;
  nlohmann::json to_json() const;
};

/// `candidate` and `champion` are evaluate() results on the same test split ({source: {frames,
/// videos_mean, videos_confident}}); `champion` is null without a champion.
GateDecision promotion_gate(const nlohmann::json& candidate, const nlohmann::json& champion, const GateConfig& config);

} // namespace curator::retrain
