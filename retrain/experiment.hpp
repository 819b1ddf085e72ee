#pragma once
//! The study's cross-source experiment: on one frozen snapshot, train on each source alone and on all of
//! them together (N seeds, or a K-run random search over the seed study's space per cell), evaluate every
//! model on every source's test split, and report the matrix (rows: training sources, columns: test
//! sources; video-level AUC, the mean over the cell's runs with the range across them, or the one run's
//! 95% cluster-bootstrap interval, and the test units; the same at frame level). Runs are recorded in
//! training_runs with the experiment's id, so an experiment stopped or killed resumes where it was
//! (finished runs are kept, an interrupted run resumes from its checkpoint). ExperimentStore is the only code that reads or writes the experiments table.
//! One experiment at a time per process (LibTorch).
#include "dataset/dataset_store.hpp"
#include "retrain/search.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace curator::core {
class Clock;
class DataDir;
} // namespace curator::core

namespace curator::retrain {

struct ExperimentOptions {
  std::string id;                   ///< a-z, 0-9, '-', '_'; an existing id resumes that experiment
  std::vector<std::string> sources; ///< at least two
  int seeds = 1;                    ///< runs per cell with `base` and seeds 1..N (when search is 0)
  int search = 0;                   ///< else a random search of this many runs per cell
  double budget_seconds = 0;        ///< stop starting runs after this long (0: no limit)
  TrainParams base;
  int max_epochs = 3;
  int threads = 2;
  nlohmann::json to_json() const;
};

struct ExperimentRecord {
  std::string id, kind, snapshot_id, state;
  nlohmann::json options, result;
  int64_t created_ms = 0, finished_ms = 0;
  nlohmann::json to_json() const;
};

class ExperimentStore {
public:
  explicit ExperimentStore(core::Database& db) : db_(db) {}
  void create(const ExperimentRecord& e);
  void finish(const std::string& id, const std::string& state, const nlohmann::json& result, int64_t now_ms);
  std::optional<ExperimentRecord> get(const std::string& id);
  /// Newest first.
  std::vector<ExperimentRecord> list();

private:
  core::Database& db_;
};

/// The matrix of `runs` (each run's training source is its row; "all" for all sources): rows, columns
/// and per cell {"video": {auc, low, high}, "frame": {...}, "runs"}; null where a test split lacks a class.
nlohmann::json cross_source_matrix(const std::vector<RunRecord>& runs, const std::vector<std::string>& sources);
/// The matrix as an aligned text table.
std::string format_matrix(const nlohmann::json& matrix);

struct ExperimentContext {
  core::Database& db;
  const core::DataDir& dir;
  const core::Clock& clock;
  dataset::DatasetSettings dataset;
  std::function<bool()> should_stop;
  std::function<void(const RunRecord&)> on_run;
};

/// Runs (or resumes) a cross-source experiment; returns its record, with the matrix once every cell is
/// done ("stopped" with the partial matrix when stopped or out of time). Throws InvalidInput for fewer
/// than two sources, a source the snapshot does not have, or options that differ from the resumed
/// experiment's.
ExperimentRecord run_cross_source(const ExperimentContext& ctx, const ExperimentOptions& options);

} // namespace curator::retrain
