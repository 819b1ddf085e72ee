#pragma once
//! Whether a retraining round could promote its candidate now, answered before any training from the
//! configuration and the confirmed dataset, with the promotion gate's own rules (promotion_gate.hpp):
//!  - the candidate's initialisation: a candidate trained from scratch is refused unless
//!    promotion.allow_scratch, so a round can promote only when the backbone is "faceapi" (face-pretrained
//!    from the install's face models), or train.init_weights names an existing file, or scratch is allowed;
//!  - the test data: the gate judges a source only with at least promotion.min_test_videos real and as
//!    many fake test videos, and promotes nothing without a judged source. With a champion or without
//!    one (the first-model rule adds an AUC minimum per judged source, known only after training), a
//!    round needs at least one source the gate can judge. Test videos are counted as the gate will see
//!    them: confirmed, in the test split, with face crops (dataset::member_counts).
//! The round's backbone and init weights are train.backbone and train.init_weights, overridden by
//! scheduler.params as the round applies them. A reason other than `ok` comes with one sentence saying
//! why nothing can be promoted and what to do. Pure but for outlook_inputs (read-only); thread-safe.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace SQLite {
class Database;
}

namespace curator::core {
class Config;
}

namespace curator::retrain {

enum class OutlookReason {
  ok,                   ///< a round can promote (the gate still judges the candidate's scores)
  init_weights_missing, ///< train.init_weights names no file: every round would fail
  scratch_only,         ///< every candidate would be trained from scratch and scratch is not allowed
  no_confirmed_data,    ///< no confirmed video with faces has a split yet
  too_few_test_videos,  ///< no source has enough confirmed real and fake test videos
};

/// "ok", "init_weights_missing", "scratch_only", "no_confirmed_data", "too_few_test_videos".
const char* outlook_reason_name(OutlookReason reason);

/// One source's confirmed test videos with faces, by label.
struct SourceTestVideos {
  std::string source;
  int real = 0, fake = 0;
};

struct OutlookInputs {
  std::string backbone;            ///< the round's backbone
  std::string init_weights;        ///< the round's init weights file; empty: none
  bool init_weights_exist = false; ///< whether that file exists
  bool allow_scratch = false;
  int min_test_videos = 20;
  double test_fraction = 1.0 / 6;  ///< dataset.test_fraction, for the advice
  bool has_champion = false;
  int confirmed_videos = 0;        ///< confirmed videos with faces and a split, all splits
  std::vector<SourceTestVideos> test;
};

struct PromotionOutlook {
  bool can_promote = false;
  OutlookReason reason = OutlookReason::ok;
  std::string sentence; ///< why and what to do; for `ok`, what the round will need to pass
  /// {can_promote, reason, sentence}
  nlohmann::json to_json() const;
  bool operator==(const PromotionOutlook& o) const;
  bool operator!=(const PromotionOutlook& o) const { return !(*this == o); }
};

/// The answer for these inputs. Configuration reasons come before data ones: a scratch-only loop cannot
/// promote whatever data arrives.
PromotionOutlook promotion_outlook(const OutlookInputs& in);

/// Reads the inputs from the configuration and the database (read-only; a database that predates the
/// tables counts as empty). Throws ConfigError when scheduler.params is not a JSON object.
OutlookInputs outlook_inputs(const core::Config& config, SQLite::Database& conn);

/// promotion_outlook(outlook_inputs(config, conn)).
PromotionOutlook promotion_outlook(const core::Config& config, SQLite::Database& conn);

} // namespace curator::retrain
