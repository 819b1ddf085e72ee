#pragma once
//! One round of the continuous loop, and when to start one.
//!   round: refresh splits -> fresh snapshot -> train (one run, or a small random search) -> register
//!   the run with the best validation AUC -> evaluate the champion on the same snapshot's test split ->
//!   promotion gate -> record the decision (and move the champion). Rounds are recorded in
//!   retrain_rounds with their trigger and outcome.
//!   trigger: at least `min_new_confirmed` videos confirmed since the last round started ("count"), or
//!   `every_hours` since then with at least one new confirmation ("time"); never while a round runs.
//! One round at a time per data folder is the caller's rule (the daemon queues at most one job).
#include "dataset/dataset_store.hpp"
#include "retrain/model_registry.hpp"
#include "retrain/search.hpp"

#include <functional>
#include <optional>
#include <string>

namespace curator::core {
class Config;
}

namespace curator::retrain {

struct TriggerInputs {
  int64_t now_ms = 0;
  std::optional<int64_t> last_round_ms;  ///< when the last round started
  int64_t confirmed_since = 0;           ///< videos confirmed since then (all, without a round)
  std::optional<int64_t> oldest_new_confirmation_ms;
  bool round_running = false;
};

/// "count", "time" or nothing.
std::optional<std::string> retrain_trigger(const TriggerInputs& in, int64_t min_new_confirmed, double every_hours);

/// Reads the trigger inputs from the database.
TriggerInputs trigger_inputs(core::Database& db, int64_t now_ms);

struct RoundOptions {
  std::string trigger = "manual";
  TrainParams base;
  int search_runs = 1;
  int max_epochs = 3;
  GateConfig gate;
  int threads = 2;
  dataset::DatasetSettings dataset;
  nlohmann::json serving; ///< the candidates' serving settings (video_scorer.hpp serving_settings)
  static RoundOptions from_config(const core::Config& config);
};

struct RoundResult {
  int64_t round = 0;
  std::string state, snapshot_id, search_id, error;
  std::optional<int64_t> candidate;
  std::optional<PromotionRecord> decision;
  nlohmann::json to_json() const;
};

/// Puts a registered candidate through the gate: the champion (if any) is evaluated on the candidate's
/// snapshot test split, compared per source with the candidate's own test metrics, and the decision is
/// recorded (moving the champion when it passes).
PromotionRecord gate_candidate(core::Database& db, const core::DataDir& dir, const core::Clock& clock, int64_t version,
                               const GateConfig& gate, int threads, const std::string& actor);

RoundResult run_round(core::Database& db, const core::DataDir& dir, const core::Clock& clock, const RoundOptions& options,
                      const std::function<bool()>& should_stop);

} // namespace curator::retrain
