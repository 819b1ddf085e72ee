#pragma once
//! The model registry. Every registered model is a version with immutable files in
//! <data>/models/v<N>/: model.pt (weights for curator), torchscript.pt (python: torch.jit.load) and
//! card.json (parameters, init, snapshot id, code version, per-source metrics with intervals, training
//! sources, duration). The alias `champion` names one version; its history is kept and `rollback`
//! walks it back. A gate decision (promoted or not) is recorded with its per-source reasons, the alias
//! moves and the audit log is written in one transaction, so a crash leaves either the old or the new
//! champion, both loadable. Thread-safe (each call uses its own connection).
#include "retrain/promotion_gate.hpp"
#include "retrain/training.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace SQLite {
class Database;
}

namespace curator::core {
class Clock;
class Database;
class DataDir;
} // namespace curator::core

namespace curator::retrain {

/// candidate -> champion (promoted) | rejected (the gate said no); a champion replaced later is archived.
enum class ModelState { candidate, champion, rejected, archived };
const char* model_state_name(ModelState state);
/// Throws InvalidInput for an unknown name.
ModelState parse_model_state(const std::string& text);

struct ModelVersion {
  int64_t version = 0;
  std::string run_id, snapshot_id;
  ModelState state = ModelState::candidate;
  std::filesystem::path dir; ///< absolute
  nlohmann::json card;
  int64_t created_ms = 0;
  ModelRef ref() const { return ModelRef::from_dir(dir); }
  nlohmann::json to_json() const;
};

struct PromotionRecord {
  int64_t id = 0, candidate = 0;
  std::optional<int64_t> champion;
  std::string snapshot_id;
  bool promoted = false;
  nlohmann::json decision;
  int64_t at_ms = 0;
  nlohmann::json to_json() const;
};

class ModelRegistry {
public:
  ModelRegistry(core::Database& db, const core::DataDir& dir, const core::Clock& clock);

  /// A finished run (model.pt + card.json in `run_dir`) becomes a new candidate version, with its
  /// TorchScript export. Throws NotFound when the run has no model.
  ModelVersion register_run(const std::string& run_id, const std::filesystem::path& run_dir);

  std::optional<ModelVersion> champion() const;
  std::vector<ModelVersion> list() const;
  /// Throws NotFound.
  ModelVersion get(int64_t version) const;

  /// Records the gate's decision on `candidate` (evaluated against `champion` on `snapshot_id`'s test
  /// split); when it promotes, `champion` moves to the candidate in the same transaction. Throws Conflict
  /// when the champion changed since the caller looked (`champion` no longer current).
  PromotionRecord record_decision(int64_t candidate, std::optional<int64_t> champion, const std::string& snapshot_id,
                                  const GateDecision& decision, const GateConfig& gate, const std::string& actor);
  /// The champion before the current one becomes champion again. Throws Conflict without one.
  ModelVersion rollback(const std::string& actor);
  std::vector<PromotionRecord> decisions(int limit) const;
  /// Per source, how many recorded decisions judged it: the looks its test split has had (splits never
  /// move, so every decision looked at the same test split, grown). The gate spends alpha by it.
  std::map<std::string, int> looks_per_source() const;

  /// For the status report, on a database that may predate the tables: champion, versions,
  /// champion_init, last_run {id, state, warnings}, training_now.
  static nlohmann::json status(SQLite::Database& conn);

private:
  core::Database& db_;
  const core::DataDir& dir_;
  const core::Clock& clock_;
};

} // namespace curator::retrain
