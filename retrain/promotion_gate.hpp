#pragma once
//! The promotion gate: a candidate replaces the champion only when, on the same frozen test faces scored
//! by both models at decision time, it is better on at least one judged source with family-wise
//! confidence and worse on none.
//!  - Per source, a paired cluster bootstrap (unit_bootstrap.hpp: whole split units drawn, stratified by
//!    their label mix; the same draws for both models; `resamples` draws from `seed`) gives dAUC =
//!    candidate - champion with a 95% percentile interval, on the configured metric (video level with the
//!    confident strategy, what the served verdict uses, by default). Frame-level dAUC comes from the same
//!    draws and is always reported. Every interval comes with its unit counts.
//!  - A source is judged only with at least `min_test_videos` real and as many fake test videos.
//!  - Multiplicity: every decision is one more look at the test split (splits never move). Look k may
//!    spend alpha_k = alpha * 6 / (pi^2 k^2) (all looks together: at most `alpha`), shared among the
//!    judged sources by Holm's step-down rule on one-sided p-values of dAUC <= 0 (normal approximation
//!    from the draws' spread). k = 1 + the most looks any judged source has had before.
//!  - Four verdicts per judged source: better (Holm rejects dAUC <= 0), worse (the whole 95% interval
//!    below -tolerance), non_inferior (its lower bound at or above -tolerance), else inconclusive.
//!  - The unjudged sources are pooled ("small sources"): the candidate must not be worse there either.
//!  - With a champion: promote when some judged source is better and no judged source, nor the pooled
//!    small sources, is worse.
//!  - Without one: promote when every judged source's AUC exceeds first_min_auc at level alpha_k
//!    (intersection-union: no split of alpha among sources is needed).
//!  - A candidate trained from scratch (no pretrained weights) is refused unless allow_scratch; a
//!    candidate with a non-finite score is refused (the caller then rejects the version).
//! Pure functions; thread-safe.
#include "retrain/unit_bootstrap.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
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
  double alpha = 0.025; ///< one-sided family-wise error over the judged sources and all looks at the test split
  int resamples = 1000;
  uint64_t seed = 1;
  bool allow_scratch = false;
  /// The number format both models score in: the one serving uses (score.precision resolved on this
  /// machine), so that the gated model is the served one.
  std::string precision = "fp32";
  static GateConfig from_config(const core::Config& config);
  nlohmann::json to_json() const;
};

/// One source's test faces, scored by both models on the same crops (frame order arbitrary). `champion`
/// is empty when there is no champion; `unit` (the split unit of each crop's video) is empty when every
/// video is its own unit.
struct PairedScores {
  std::vector<int64_t> video;
  std::vector<std::string> unit;
  std::vector<int> label; ///< 1 fake, 0 real (a video's frames share its label)
  std::vector<double> candidate, champion;
};

struct Estimate {
  double value = 0, low = 0, high = 0; ///< on all data; the 2.5th and 97.5th bootstrap percentiles
  nlohmann::json to_json() const;      ///< NaN as null
};

enum class Verdict { better, non_inferior, inconclusive, worse, passes_minimum, below_minimum, unjudged };
const char* verdict_name(Verdict v);

struct SourceVerdict {
  std::string source;
  bool judged = false;
  int real_videos = 0, fake_videos = 0, frames = 0;
  UnitCounts units;
  int looks_before = 0; ///< earlier decisions that judged this source on its test split
  Estimate candidate, champion, delta;                     ///< on the gate's metric
  Estimate candidate_frames, champion_frames, delta_frames; ///< frame level, always
  /// One-sided: with a champion, of dAUC <= 0; without, of AUC <= first_min_auc. NaN when unjudged.
  double p_value = std::numeric_limits<double>::quiet_NaN();
  double level = std::numeric_limits<double>::quiet_NaN(); ///< what p_value is compared with (spending, Holm)
  Verdict verdict = Verdict::unjudged;
  std::string reason; ///< one sentence
  nlohmann::json to_json() const;
};

struct GateDecision {
  bool promote = false;
  std::string summary;
  std::string init;       ///< the candidate's initialisation (scratch, faceapi:<sha>, imagenet:<sha>)
  int look = 1;           ///< this decision is look `look` at the test split
  double alpha_spent = 0; ///< the error rate this look may spend (before Holm)
  std::vector<SourceVerdict> sources;
  std::optional<SourceVerdict> small_sources; ///< the unjudged sources pooled, when they hold both classes
  nlohmann::json to_json() const;
};

/// `sources`: each source's paired scores. `has_champion` says whether `champion` scores are filled.
/// `looks_before`: per source, earlier decisions that judged it (see ModelRegistry::looks_per_source).
/// A non-finite candidate score gives a refusal naming it; mismatched lengths or a non-finite champion
/// score throw InvalidInput.
GateDecision promotion_gate(const std::map<std::string, PairedScores>& sources, bool has_champion,
                            const std::string& candidate_init, const GateConfig& config,
                            const std::map<std::string, int>& looks_before = {});

/// A video's probability from its frames' under a metric name ("videos_mean" or "videos_confident").
double video_probability(const std::vector<double>& frames, const std::string& metric);

} // namespace curator::retrain
