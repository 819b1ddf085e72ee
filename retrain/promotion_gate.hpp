#pragma once
//! The promotion gate: a candidate replaces the champion only when, on the same frozen test faces scored
//! by both models at decision time, no judged source got worse beyond the tolerance and at least one got
//! better, each with 95% confidence.
//!  - Per source, a paired bootstrap over test videos (stratified: reals and fakes resampled apart; the
//!    same draws for both models; `resamples` draws from `seed`) gives dAUC = candidate - champion with a
//!    95% percentile interval, on the configured metric (video level with the confident strategy, what
//!    the served verdict uses, by default). Frame-level dAUC comes from the same video draws (all frames of
//!    each drawn video) and is always reported.
//!  - A source is judged only with at least `min_test_videos` real and as many fake test videos; the
//!    others are listed as unjudged. No judged source: no promotion.
//!  - With a champion: promote when every judged source has a lower bound >= -tolerance and at least one
//!    judged source has a lower bound > 0.
//!  - Without one: promote when every judged source has its own AUC interval's lower bound >= first_min_auc.
//!  - A candidate trained from scratch (no ImageNet weights) is refused unless allow_scratch.
//! Pure functions; thread-safe.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace curator::core {
class Config;
}

namespace curator::retrain {

struct GateConfig {
  std::string metric = "videos_confident"; ///< frames, videos_mean or videos_confident
  int min_test_videos = 20;
  double tolerance = 0.02;
  double first_min_auc = 0.6;
  int resamples = 1000;
  uint64_t seed = 1;
  bool allow_scratch = false;
  static GateConfig from_config(const core::Config& config);
  nlohmann::json to_json() const;
};

/// One source's test faces, scored by both models on the same crops (frame order arbitrary). `champion`
/// is empty when there is no champion.
struct PairedScores {
  std::vector<int64_t> video;
  std::vector<int> label; ///< 1 fake, 0 real (a video's frames share its label)
  std::vector<double> candidate, champion;
};

struct Estimate {
  double value = 0, low = 0, high = 0; ///< on all data; the 2.5th and 97.5th bootstrap percentiles
  nlohmann::json to_json() const; ///< NaN as null
};

struct SourceVerdict {
  std::string source;
  bool judged = false;
  int real_videos = 0, fake_videos = 0, frames = 0;
  Estimate candidate, champion, delta;                     ///< on the gate's metric
  Estimate candidate_frames, champion_frames, delta_frames; ///< frame level, always
  std::string verdict; ///< better, not_worse, worse, passes_minimum, below_minimum, unjudged
  std::string reason;  ///< one sentence
  nlohmann::json to_json() const;
};

struct GateDecision {
  bool promote = false;
  std::string summary;
  std::string init; ///< the candidate's initialisation (scratch, or imagenet:<sha>)
  std::vector<SourceVerdict> sources;
  nlohmann::json to_json() const;
};

/// `sources`: each source's paired scores. `has_champion` says whether `champion` scores are filled.
/// Throws InvalidInput on a non-finite score or mismatched lengths.
GateDecision promotion_gate(const std::map<std::string, PairedScores>& sources, bool has_champion,
                            const std::string& candidate_init, const GateConfig& config);

/// A video's probability from its frames' under a metric name ("videos_mean" or "videos_confident").
double video_probability(const std::vector<double>& frames, const std::string& metric);

} // namespace curator::retrain
